"""`drejebog check` on the rules of the whole case, what events start, counting facts and
`mindst` (issue 11, points 4 and 6): each misuse is a Danish problem at its file:line:column
with exit code 1 and no traceback. Each case is tests/fixtures/hele_sagen.yaml with one
change, so the rest of it is known good."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from drejebog.cli.main import main
from tests.conftest import FIXTURES

GOOD = (FIXTURES / "hele_sagen.yaml").read_text(encoding="utf-8")
CHECK_RULE = "      faktum: jobsamtaler\n"
NO_SHOW_TASK = "        ophører_ved: tilstandsskift\n"

# name: (old text, new text, the line's text, where on it the column points, Danish words)
CASES = {
    "unknown_event_counted": (
        "    tæller: [samtale_holdt]\n",
        "    tæller: [samtale_holt]\n",
        "tæller: [samtale_holt]",
        "samtale_holt",
        "ukendt hændelse 'samtale_holt' (mente du 'samtale_holdt'?)",
    ),
    "counter_not_a_number": (
        "    type: tal\n    tæller: [samtale_holdt]\n",
        "    type: tekst\n    tæller: [samtale_holdt]\n",
        "tæller: [samtale_holdt]",
        "[samtale_holdt]",
        "'tæller' bruges kun med type: tal (faktummet 'jobsamtaler' er tekst)",
    ),
    "counter_counts_nothing": (
        "    tæller: [samtale_holdt]\n",
        "    tæller: []\n",
        "tæller: []",
        "[]",
        "'tæller' skal nævne mindst én hændelse",
    ),
    "counter_as_event_data": (
        "    titel: Borgeren starter på kursus\n",
        "    titel: Borgeren starter på kursus\n    data: [jobsamtaler]\n",
        "data: [jobsamtaler]",
        "jobsamtaler",
        "faktummet 'jobsamtaler' tæller hændelser ('tæller') og kan ikke sættes med 'data'",
    ),
    "counter_set": (
        "    titel: Borgeren starter på kursus\n",
        "    titel: Borgeren starter på kursus\n    sæt: {udeblivelser: 0}\n",
        "sæt: {udeblivelser: 0}",
        "udeblivelser",
        "faktummet 'udeblivelser' tæller hændelser ('tæller') og kan ikke sættes med 'sæt'",
    ),
    "count_of_a_fact_that_counts_nothing": (
        "  udeblivelser:\n",
        "  note:\n    titel: Note\n    type: tal\n  udeblivelser:\n",
        "faktum: note",  # the rule counts 'note' (see `_text`)
        "note",
        "'mindst' skal tælle et faktum med 'tæller', men faktummet 'note' tæller ingen",
    ),
    "count_of_an_unknown_fact": (
        CHECK_RULE,
        "      faktum: samtaler\n",
        "faktum: samtaler",
        "samtaler",
        "ukendt faktum 'samtaler'",
    ),
    "at_least_without_a_period": (
        "      inden: 6 måneder\n",
        "",
        "- navn: fire_samtaler",
        "navn",
        "mangler 'inden'",
    ),
    "at_least_count_zero": (
        "      antal: 4\n",
        "      antal: 0\n",
        "antal: 0",
        "0",
        "'antal' skal være et helt tal, mindst 1, ikke '0'",
    ),
    "ends_at_an_unknown_moment": (
        NO_SHOW_TASK,
        "        ophører_ved: tilstand\n",
        "ophører_ved: tilstand",
        "tilstand",
        "'ophører_ved' skal være sagens_slut eller tilstandsskift, ikke 'tilstand'",
    ),
    "ends_with_a_state_in_a_state": (
        "    titel: På kursus\n",
        "    titel: På kursus\n    opgaver:\n      - navn: kursusplan\n        titel: Plan\n"
        "        rolle: sagsbehandler\n        ophører_ved: tilstandsskift\n",
        "ophører_ved: tilstandsskift",  # the first: the state's task, before the events
        "ophører_ved",
        "ukendt nøgle 'ophører_ved' i opgaven",
    ),
    "whole_case_counted_from_a_fact": (
        "      hver: 6 uger\n",
        "      hver: 6 uger\n      regnes_fra: jobsamtaler\n",
        "regnes_fra: jobsamtaler",
        "regnes_fra",
        "en regel under 'hele_sagen' regnes fra sagens start ('indtræden'), ikke fra "
        "'jobsamtaler'",
    ),
    "unknown_key_in_the_whole_case": (
        "hele_sagen:\n",
        "hele_sagen:\n  milepæle: []\n",
        "milepæle: []",
        "milepæle",
        "ukendt nøgle 'milepæle' i 'hele_sagen'",
    ),
    "event_task_nothing_fulfils": (
        "        frist: 2 arbejdsdage\n        opfyldes_af: samtale_holdt\n",
        "        frist: 2 arbejdsdage\n",
        "- navn: opfoelg_udeblivelse",
        "navn",
        "opgaven 'opfoelg_udeblivelse' eskalerer, men ingen hændelse kan opfylde den "
        "('opfyldes_af' mangler eller er tom): reglen (som en hændelse starter) eskalerer "
        "hver sag, indtil sagen slutter",
    ),
    "at_least_in_a_final_state": (
        "    titel: I job\n",
        "    titel: I job\n    mindst:\n      - {navn: efter, faktum: jobsamtaler, antal: 1, "
        "inden: 1 uge, til: leder}\n",
        "  job:",
        "job",
        "slut-tilstanden 'job' kan ikke have frister, opgaver eller tilbagevendende pligter",
    ),
}


def _check(path: Path) -> tuple[int, list[str]]:
    result = CliRunner().invoke(main, ["check", str(path)])
    output = result.output + (result.stderr if result.stderr_bytes else "")
    assert "Traceback" not in output
    return result.exit_code, output.splitlines()


def _text(name: str) -> str:
    old, new, *_ = CASES[name]
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    if name == "count_of_a_fact_that_counts_nothing":
        text = text.replace(CHECK_RULE, "      faktum: note\n")
    return text


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_reports_the_problem_in_danish_at_its_place(name, tmp_path):
    text = _text(name)
    path = tmp_path / "proeve.yaml"
    path.write_text(text, encoding="utf-8")
    code, lines = _check(path)
    assert code == 1
    _, _, marker, at, words = CASES[name]
    rows = text.split("\n")
    line = next(i for i, row in enumerate(rows, start=1) if marker in row)
    found = [row for row in lines if words in row]
    assert len(found) == 1, lines
    where = found[0].removeprefix(f"{path}:").split(":")[:2]
    assert int(where[0]) == line, (found, line)
    row = rows[line - 1]
    columns = [row.index(at) + 1, row.index(at)]  # the item, or the '[' / quote before it
    if name in ("at_least_without_a_period", "event_task_nothing_fulfils"):
        columns = [row.index("-") + 3]  # the rule's mapping
    assert int(where[1]) in columns, (found, row)


def test_the_unchanged_fixture_has_no_problem(tmp_path):
    path = tmp_path / "proeve.yaml"
    path.write_text(GOOD, encoding="utf-8")
    assert _check(path)[0] == 0


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("tæller: [samtale_holdt]", "tæller: {a: {b: [c]}}", "'tæller' skal være en liste"),
        ("tæller: [samtale_holdt]", "tæller: [samtale_holdt, 7, null]", "ukendt hændelse '7'"),
        ("faktum: jobsamtaler", "faktum: [jobsamtaler]", "'faktum' skal være en tekst"),
    ],
)
def test_hostile_counting_keys_are_one_danish_problem_each(old, new, words, tmp_path):
    path = tmp_path / "fjendtlig.yaml"
    path.write_text(GOOD.replace(old, new, 1), encoding="utf-8")
    code, lines = _check(path)
    assert code == 1
    assert len([row for row in lines if words in row]) == 1, lines


def test_a_huge_antal_is_only_a_number(tmp_path):
    path = tmp_path / "stor.yaml"
    path.write_text(GOOD.replace("antal: 4", "antal: " + "9" * 40, 1), encoding="utf-8")
    assert _check(path)[0] == 0
