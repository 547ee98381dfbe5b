"""`drejebog check` finds each item of issue 11, point 11, and reports it in Danish at
file:line:column with exit code 1 and no traceback: `=` for `==`, a value not among the
fact's `værdier`, a name longer than the store keeps, a scenario file, a YAML syntax error, an
unknown jinja2 filter, and a deadline, task or duty that escalates but that nothing can
fulfil. Each case is the re-entry fixture with one change, so the rest of it is known good."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from drejebog.cli.main import main
from drejebog.workflows import SCENARIOS_DIR
from tests.conftest import FIXTURES

GOOD = (FIXTURES / "genindtraeden.yaml").read_text(encoding="utf-8")
FACT = "  moede: {titel: Mødedato, type: dato}\n"
CHOICE = FACT + "  udfald: {titel: Udfald, type: valg, værdier: [godkendt, afvist]}\n"
EVENT = "    titel: Samtale holdt (sagen bliver i afklaring)\n"
REMINDER = "          - {før: 3 dage, til: sagsbehandler}\n"
PLAN_MET = "        opfyldes_af: plan_lavet\n"
UNFULFILLED_TASK = """    opgaver:
      - navn: ring_op
        titel: Ring borgeren op
        rolle: sagsbehandler
        frist: 3 dage
        eskalering:
          - {efter: 0 dage, til: leder}
  pause:
"""
UNFULFILLED_DUTY = """  pause:
    titel: Pause
    tilbagevendende:
      - navn: status
        titel: Status hver måned
        hver: 1 måned
        ejer: borger
        opfyldes_af: []
        mangler: {til: sagsbehandler}
"""

# name: (old text, new text, the line's marker, the message's Danish words)
CASES = {
    "single_equals": (
        EVENT,
        EVENT + '    betingelse: "moede = dato"\n',
        "betingelse:",
        "brug '==' for at sammenligne",
    ),
    "value_not_in_vaerdier": (
        EVENT,
        EVENT + "    betingelse: \"udfald == 'godkent'\"\n",
        "betingelse:",
        "som ikke er en af dens værdier",
    ),
    "long_name": ("  notat:\n", "  " + "n" * 70 + ":\n", "n" * 70, "højst være 64 tegn"),
    "tab": ("  pause:\n    titel: Pause\n", "  pause:\n\ttitel: Pause\n", "\ttitel", "tabulator"),
    "unknown_filter": (
        REMINDER,
        '          - {før: 3 dage, til: sagsbehandler, emne: "{{ borger.navn | nyt }}"}\n',
        "| nyt",
        "filteret 'nyt' findes ikke",
    ),
    "deadline_nothing_fulfils": (
        PLAN_MET,
        "",
        "      - navn: plan",
        "fristen 'plan' eskalerer, men ingen hændelse kan opfylde den",
    ),
    "task_nothing_fulfils": (
        "  pause:\n",
        UNFULFILLED_TASK,
        "      - navn: ring_op",
        "opgaven 'ring_op' eskalerer, men ingen hændelse kan opfylde den",
    ),
    "duty_nothing_fulfils": (
        "  pause:\n    titel: Pause\n",
        UNFULFILLED_DUTY,
        "      - navn: status",
        "den tilbagevendende pligt 'status' eskalerer, men ingen hændelse kan opfylde den",
    ),
}


def _check(path: Path) -> tuple[int, list[str]]:
    result = CliRunner().invoke(main, ["check", str(path)])
    output = result.output + (result.stderr if result.stderr_bytes else "")
    assert "Traceback" not in output
    return result.exit_code, output.splitlines()


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_reports_the_problem_in_danish_at_its_place(name, tmp_path):
    old, new, marker, words = CASES[name]
    text = GOOD.replace(FACT, CHOICE) if name == "value_not_in_vaerdier" else GOOD
    assert old in text
    text = text.replace(old, new, 1)
    path = tmp_path / "proeve.yaml"
    path.write_text(text, encoding="utf-8")
    code, lines = _check(path)
    assert code == 1
    rows = text.split("\n")
    line = next(i for i, row in enumerate(rows, start=1) if marker in row)
    (problem,) = [row for row in lines if words in row]
    assert problem.startswith(f"{path}:{line}:"), (problem, line)
    column = int(problem.split(":")[2])
    assert 1 <= column <= len(rows[line - 1]) + 1


def test_the_unchanged_fixture_has_no_problem(tmp_path):
    path = tmp_path / "proeve.yaml"
    path.write_text(GOOD.replace(FACT, CHOICE), encoding="utf-8")
    assert _check(path)[0] == 0


def test_a_scenario_file_given_to_check_says_use_simulate():
    code, lines = _check(SCENARIOS_DIR / "ressourceforloeb_anna.yaml")
    assert code == 1
    (problem,) = lines
    assert ":5:1: dette er en scenariefil" in problem and "drejebog simulate" in problem
