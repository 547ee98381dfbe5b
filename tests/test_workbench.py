"""The projektleder's workbench (app/drejebog_workbench.py) without a store: the text check
is `drejebog check`'s, the source lines carry their problems, and a simulation stops at its
limits (records, seconds of work) and says so instead of holding the server."""

from __future__ import annotations

from itertools import count

from drejebog.app.drejebog_workbench import check_text, simulate_text
from drejebog.engine.loader import check_file
from drejebog.engine.scenario import load_scenario
from drejebog.engine.simulator import simulate
from tests.conftest import FIXTURES

MINI = (FIXTURES / "mini.yaml").read_text(encoding="utf-8")
SCENARIO = (FIXTURES / "mini_scenario.yaml").read_text(encoding="utf-8")
# Anna only (no refused event), with 'slut' centuries ahead: the monthly duty runs on
LONG = SCENARIO.split("  - id: bo")[0].replace("slut: 2027-03-20 00:00", "slut: 2427-03-20 00:00")
LONG = LONG.replace(
    "indstilling: ressourceforloeb}",
    "indstilling: ressourceforloeb}\n"
    "      - tid: 2027-03-02 10:00\n        hændelse: overdrag\n"
    "        data: {jobmaal_afklaret: true}",
)


def test_the_text_check_finds_what_the_file_check_finds() -> None:
    broken = FIXTURES / "broken.yaml"
    checked = check_text(broken.read_text(encoding="utf-8"))
    _, expected = check_file(broken)
    shown = [(p.line, p.column, p.message) for p in checked.problems]
    assert shown == [(p.line, p.column, p.message) for p in expected]
    assert not checked.ok and checked.diagram() == ""
    marked = {line.number for line in checked.lines() if line.problems}
    assert marked == {p.line for p in expected}


def test_crlf_text_is_checked_as_the_same_drejebog() -> None:
    assert check_text(MINI.replace("\n", "\r\n")).ok
    assert "stateDiagram" in check_text(MINI).diagram()


def test_a_simulation_is_the_simulators_own() -> None:
    checked = check_text(MINI)
    assert checked.drejebog is not None
    result = simulate_text(checked.drejebog, SCENARIO)
    expected = []
    try:
        for record in simulate(load_scenario(FIXTURES / "mini_scenario.yaml")):
            expected.append(record)
    except Exception as exc:  # Bo's refused event, as the CLI shows it
        message = str(exc)
    assert [r.name for r in result.records] == [r.name for r in expected]
    assert len(result.problems) == 1 and result.problems[0].line == 15
    assert result.problems[0].message in message


def test_a_simulation_stops_at_its_record_limit() -> None:
    checked = check_text(MINI)
    assert checked.drejebog is not None
    result = simulate_text(checked.drejebog, LONG, max_records=50)
    assert result.problems == ()
    assert len(result.records) == 50
    assert result.stopped == "stoppet efter 50 hændelser (grænsen)"


def test_a_simulation_stops_after_its_seconds_of_work() -> None:
    checked = check_text(MINI)
    assert checked.drejebog is not None
    ticks = count()
    result = simulate_text(checked.drejebog, LONG, timer=lambda: float(next(ticks)), seconds=10.0)
    assert result.stopped is not None and "10 sekunders arbejde" in result.stopped
    assert 5 < len(result.records) < 20  # one tick a record: stopped after the 11th tick


def test_an_oversized_scenario_is_refused_before_it_is_parsed() -> None:
    checked = check_text(MINI)
    assert checked.drejebog is not None
    result = simulate_text(checked.drejebog, "#" * (256 * 1024 + 1))
    assert result.records == () and "højst 262.144 bytes" in result.problems[0].message
