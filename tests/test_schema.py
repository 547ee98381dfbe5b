"""`drejebog schema` (issue 11, point 12): the language's JSON Schema, generated from the
parser's own key lists, validates every shipped drejebog and every complete example in the
guide; a corpus of broken files fails both the schema and `check`; the committed
workflows/drejebog.schema.json is the command's output."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from drejebog.cli.main import main
from drejebog.engine import parser
from drejebog.engine.loader import parse_text
from drejebog.engine.schema import PARTS, drejebog_schema
from drejebog.workflows import SHIPPED_DIR
from tests.test_guide import COMPLETE

SCHEMA = drejebog_schema()
VALIDATOR = jsonschema.Draft202012Validator(
    SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)


def as_json(value: object) -> object:
    """A YAML document as an editor's language server sees it: dates are text."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    return value


def schema_errors(text: str) -> list[str]:
    return [error.message for error in VALIDATOR.iter_errors(as_json(yaml.safe_load(text)))]


def test_the_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_every_key_the_parser_knows_is_in_the_schema_and_nothing_else() -> None:
    for part, (keys, _, required) in PARTS.items():
        schema = SCHEMA if part == "drejebog" else SCHEMA["$defs"][part]
        assert list(schema["properties"]) == list(keys), part
        assert all(schema["properties"][key]["description"] for key in keys), part
        assert set(required) <= set(keys), part
    assert PARTS["drejebog"][0] is parser.TOP_KEYS


def test_the_committed_schema_file_is_the_commands_output() -> None:
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0
    committed = (SHIPPED_DIR / "drejebog.schema.json").read_text(encoding="utf-8")
    assert result.output == committed, "kør: drejebog schema > workflows/drejebog.schema.json"


@pytest.mark.parametrize("path", sorted(SHIPPED_DIR.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_drejebog_validates_and_points_its_editor_at_the_schema(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=drejebog.schema.json\n")
    assert schema_errors(text) == []


@pytest.mark.parametrize("block", COMPLETE, ids=lambda b: b.split("\n", 1)[0][:40])
def test_every_complete_example_in_the_guide_validates(block: str) -> None:
    assert schema_errors(block) == []


SHIPPED = (SHIPPED_DIR / "ressourceforloeb.yaml").read_text(encoding="utf-8")
BROKEN = [
    ("unknown-top-key", SHIPPED.replace("start: visiteret", "start: visiteret\nstartt: x", 1)),
    ("missing-state-title", SHIPPED.replace("    titel: I ressourceforløb\n", "", 1)),
    ("bad-adjust", SHIPPED.replace("helligdag: frem", "helligdag: fremad", 1)),
    ("bad-duration", SHIPPED.replace("frist: 14 dage", "frist: 14 timer", 1)),
    ("bad-fact-type", SHIPPED.replace("type: tal", "type: heltal", 1)),
    ("bad-boolean", SHIPPED.replace("milepæl: true", "milepæl: måske", 1)),
    ("bad-time", SHIPPED.replace('klokken: "08:00"', "klokken: otte", 1)),
    ("long-name", SHIPPED.replace("start: visiteret", "start: " + "v" * 70, 1)),
]
JOBRETTET = (SHIPPED_DIR / "jobrettet_samtale.yaml").read_text(encoding="utf-8")
# the rules of the whole case, what events start, counting and mindst (issue 11, points 4, 6)
BROKEN_CASEWIDE = [
    ("bad-ophoerer-ved", "ophører_ved: tilstandsskift", "ophører_ved: tilstand"),
    ("at-least-without-period", "      inden: 6 måneder\n", ""),
    ("at-least-count-zero", "      antal: 4\n", "      antal: 0\n"),
    ("unknown-key-in-whole-case", "hele_sagen:\n", "hele_sagen:\n  milepæle: []\n"),
    (
        "ophoerer-ved-in-whole-case",
        "      ejer: sagsbehandler\n      opfyldes_af: jobsamtale_holdt\n",
        "      ejer: sagsbehandler\n      opfyldes_af: jobsamtale_holdt\n      ophører_ved: x\n",
    ),
]


@pytest.mark.parametrize(
    ("name", "old", "new"), BROKEN_CASEWIDE, ids=[b[0] for b in BROKEN_CASEWIDE]
)
def test_a_broken_casewide_rule_fails_both_the_schema_and_check(name, old, new) -> None:
    assert JOBRETTET.count(old) == 1, name
    text = JOBRETTET.replace(old, new)
    assert schema_errors(text) != [], name
    _, problems = parse_text(text, "broken.yaml")
    assert problems != [], name


@pytest.mark.parametrize(("name", "text"), BROKEN, ids=[name for name, _ in BROKEN])
def test_a_broken_file_fails_both_the_schema_and_check(name: str, text: str) -> None:
    assert text != SHIPPED, name
    assert schema_errors(text) != [], name
    _, problems = parse_text(text, "broken.yaml")
    assert problems != [], name


def test_the_schema_command_prints_json() -> None:
    result = CliRunner().invoke(main, ["schema"])
    assert json.loads(result.output)["$defs"]["frist"]["required"] == ["navn", "frist", "ejer"]
