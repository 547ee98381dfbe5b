"""The complete drejebøger shown in the projektleder's guide pass the checker."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from drejebog.engine.loader import parse_text

GUIDE = Path(__file__).resolve().parent.parent / "workflows" / "README.md"
BLOCKS = re.findall(r"```yaml\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)
COMPLETE = [
    block
    for block in BLOCKS
    if re.search(r"^drejebog:", block, re.M) and re.search(r"^tilstande:", block, re.M)
]


def test_the_guide_has_complete_examples():
    assert len(COMPLETE) >= 2


@pytest.mark.parametrize("block", COMPLETE, ids=lambda b: b.split("\n", 1)[0][:40])
def test_complete_examples_in_the_guide_are_valid(block):
    drejebog, problems = parse_text(block, "workflows/README.md")
    assert problems == [] and drejebog is not None


def test_the_whole_case_example_shows_what_the_simulator_prints(tmp_path):
    """Guide 3.20/3.21: the drejebog, its scenario and the output the guide shows."""
    from click.testing import CliRunner

    from drejebog.cli.main import main

    text = GUIDE.read_text(encoding="utf-8")
    (drejebog,) = [b for b in BLOCKS if b.startswith("drejebog: hele_sagen\n")]
    (scenario,) = [b for b in BLOCKS if b.startswith("drejebog: hele_sagen.yaml\n")]
    shown = re.search(r"`drejebog simulate` viser:\n\n```\n(.*?)```", text, re.S)
    assert shown is not None
    (tmp_path / "hele_sagen.yaml").write_text(drejebog, encoding="utf-8")
    (tmp_path / "mia.yaml").write_text(scenario, encoding="utf-8")
    result = CliRunner().invoke(main, ["simulate", str(tmp_path / "mia.yaml")])
    assert result.exit_code == 0, result.output
    assert result.output == shown.group(1)
