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
