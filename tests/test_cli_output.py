"""`drejebog diagram` and `drejebog simulate` as a projektleder runs them."""

from __future__ import annotations

import json

from click.testing import CliRunner

from drejebog.cli.main import main
from tests.conftest import FIXTURES

MINI = str(FIXTURES / "mini.yaml")
SCENARIO = str(FIXTURES / "mini_scenario.yaml")


def test_mermaid_diagram_shows_deadlines_checkins_and_guards():
    result = CliRunner().invoke(main, ["diagram", MINI])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "stateDiagram-v2" in text
    assert "frist overdragelse: 14 dage fra rehab_moede (sagsbehandler)" in text
    assert "hver 1 måned: tilbagemelding (borger, henstand 3 dage)" in text
    assert "visiteret --> rehab: rehab_holdt [indstilling == 'ressourceforloeb']" in text
    assert "rehab --> forloeb: overdrag [jobmaal_afklaret]" in text
    assert "[*] --> visiteret" in text and "afsluttet --> [*]" in text


def test_dot_diagram_has_the_same_content():
    result = CliRunner().invoke(main, ["diagram", "--format", "dot", MINI])
    assert result.exit_code == 0, result.output
    assert result.output.startswith('digraph "Mini-drejebog til test (version 1)"')
    assert "frist overdragelse: 14 dage fra rehab_moede (sagsbehandler)" in result.output
    assert 'rehab -> forloeb [label="overdrag [jobmaal_afklaret]"]' in result.output


def test_diagram_of_a_broken_drejebog_exits_1_with_positions():
    result = CliRunner().invoke(main, ["diagram", str(FIXTURES / "broken.yaml")])
    assert result.exit_code == 1
    assert "broken.yaml:4:1: ukendt nøgle 'beskrivelsee'" in result.output


def test_simulate_json_lines_then_error_at_the_scenario_line():
    result = CliRunner().invoke(main, ["simulate", "--json", SCENARIO])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith("{")]
    records = [json.loads(line) for line in lines]
    assert [(r["at"], r["case"], r["kind"], r["name"], r["role"], r["state"]) for r in records] == [
        ("2027-03-01T09:00:00+01:00", "anna", "state", "visiteret", None, "visiteret"),
        ("2027-03-01T10:00:00+01:00", "anna", "state", "rehab", None, "rehab"),
        (
            "2027-03-01T10:00:00+01:00",
            "anna",
            "task",
            "vk_deltager",
            "virksomhedskonsulent",
            "rehab",
        ),
        ("2027-03-01T10:00:00+01:00", "anna", "task", "hjemmemoede", "sagsbehandler", "rehab"),
        ("2027-03-02T09:00:00+01:00", "bo", "state", "visiteret", None, "visiteret"),
    ]
    assert (
        f"fejl: {SCENARIO}:15:9: sag bo: hændelsen 'tilbagemelding' er ikke tilladt i "
        "tilstanden 'visiteret'"
    ) in result.output


def test_scenario_problems_are_all_reported_with_positions(tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        f"drejebog: {MINI}\n"
        "slut: 2027-13-01 00:00\n"
        "sager:\n"
        "  - id: a\n"
        "    start: 2027-03-01 09:00\n"
        "    hændelser:\n"
        "      - {tid: 2027-03-02 09:00, hændelse: rehab_hold}\n"
        "      - {tid: 2027-03-01 08:00, hændelse: afslut, data: {ukendt: 1}}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["simulate", str(scenario)])
    assert result.exit_code == 1
    assert (
        f"{scenario}:2:7: 'slut': '2027-13-01 00:00' er ikke et gyldigt tidspunkt" in result.output
    )
    assert (
        f"{scenario}:7:43: ukendt hændelse 'rehab_hold' (mente du 'rehab_holdt'?)" in result.output
    )
    assert f"{scenario}:8:58: ukendt faktum 'ukendt'" in result.output
    assert f"{scenario}:8:9: hændelserne skal stå i tidsrækkefølge" in result.output
