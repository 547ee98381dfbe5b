"""Say why a date moved (issue 11, point 10): the calendar returns the reason with the date it
moved, and the simulator's text and JSON and the case's open deadlines carry it on."""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner

from drejebog.cli.main import main
from drejebog.engine.calendar import Moved, WorkingCalendar
from drejebog.engine.codec import runtime_to_json, snapshot_from_json
from drejebog.engine.durations import Adjust
from drejebog.engine.runtime import CaseRuntime
from drejebog.workflows import SCENARIOS_DIR
from tests.conftest import local, run_case

CALENDAR = WorkingCalendar([date(2027, 6, 4)])


@pytest.mark.parametrize(
    ("day", "rule", "moved"),
    [
        (date(2027, 12, 24), Adjust.BACKWARD, "24. december er lukkedag → 23.12.2027"),
        (date(2027, 3, 29), Adjust.FORWARD, "2. påskedag → 30.03.2027"),
        (date(2027, 3, 26), Adjust.BACKWARD, "langfredag → 24.03.2027"),
        (date(2027, 5, 6), Adjust.FORWARD, "Kristi himmelfartsdag → 07.05.2027"),
        (date(2027, 3, 6), Adjust.FORWARD, "6. marts er lørdag → 08.03.2027"),
        (date(2027, 6, 4), Adjust.BACKWARD, "4. juni er lokal lukkedag → 03.06.2027"),
        (date(2027, 6, 5), Adjust.FORWARD, "5. juni er lukkedag → 07.06.2027"),
    ],
    ids=[
        "juleaften",
        "2_paaskedag",
        "langfredag",
        "kristi_himmelfart",
        "weekend",
        "lokal",
        "grundlov",
    ],
)
def test_the_calendar_says_why_it_moved_a_day(day, rule, moved):
    assert CALENDAR.moved(day, rule) == Moved(CALENDAR.adjust(day, rule), moved)


@pytest.mark.parametrize(
    ("day", "rule"),
    [(date(2027, 3, 30), Adjust.FORWARD), (date(2027, 3, 29), Adjust.KEEP)],
    ids=["working_day", "behold"],
)
def test_a_day_the_calendar_does_not_move_has_no_reason(day, rule):
    assert CALENDAR.moved(day, rule) == Moved(day, None)


def test_a_deadline_moved_by_easter_says_so_on_its_task_reminder_and_rungs(mini):
    # rehab 15 March + 14 dage = Monday 29 March, 2. påskedag; the sagsbehandler's deadline
    # moves back (`tilbage`) past langfredag and skærtorsdag to Wednesday 24 March. The
    # reminder (3 dage før: Sunday 21 March) moves back to Friday 19 March.
    records = run_case(
        mini,
        "2027-03-15 09:00",
        [
            (
                "2027-03-15 10:00",
                "rehab_holdt",
                {"rehab_moede": "2027-03-15", "indstilling": "ressourceforloeb"},
            )
        ],
        end="2027-04-30 23:59",
    )
    moved = {(r.kind, r.role): r.moved for r in records if r.name == "overdragelse"}
    due = "2. påskedag → 24.03.2027"
    assert moved == {
        ("reminder", "sagsbehandler"): f"{due}; 21. marts er søndag → 19.03.2027",
        ("escalation", "leder"): due,
        ("escalation", "projektleder"): due,
    }
    assert {r.due_date for r in records if r.name == "overdragelse"} == {date(2027, 3, 24)}


def test_an_open_deadline_keeps_its_reason_through_the_stored_json(mini):
    runtime = CaseRuntime(mini)
    case = runtime.open_case("sag", local("2027-03-15 09:00")).case
    data = {"rehab_moede": "2027-03-15", "indstilling": "ressourceforloeb"}
    case = runtime.apply(case, "rehab_holdt", data, local("2027-03-15 10:00")).case
    stored = runtime_to_json(case)
    assert stored["open_rules"]["overdragelse"]["moved"] == "2. påskedag → 24.03.2027"
    back = snapshot_from_json(mini, "sag", case.state, {}, stored, case.entered_at)
    assert back.open_rules == case.open_rules


def test_simulate_prints_flyttet_in_text_and_json():
    scenario = str(SCENARIOS_DIR / "ressourceforloeb_anna.yaml")
    runner = CliRunner()
    lines = [
        json.loads(line)
        for line in runner.invoke(main, ["simulate", scenario, "--json"]).output.splitlines()
    ]
    assert all("flyttet" in line for line in lines)
    moved = [line for line in lines if line["flyttet"]]
    assert moved and all(" → " in line["flyttet"] for line in moved)
    text = runner.invoke(main, ["simulate", scenario]).output.splitlines()
    shown = [line for line in text if "flyttet: " in line]
    assert [line.split("flyttet: ")[1] for line in shown] == [line["flyttet"] for line in moved]
