"""Appointments and changing facts (issue 11, points 3 and 5), on the engine.

A `tidspunkt` fact holds a local date and wall-clock time. The fixture's reminders go out
the day before: the citizen's SMS at the meeting's own time, the worker's note at a fixed
08:00 (`klokken`). Moving the meeting re-plans them; `ryd` (cancelling it) leaves the
deadline waiting with no timers. DST ids name the switches: Sunday 31 October 2027 (back to
winter time) and Sunday 28 March 2027 (forward to summer time).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from click.testing import CliRunner

from drejebog.cli.main import main
from drejebog.engine.codec import facts_from_json, facts_to_json
from drejebog.engine.deadlines import COPENHAGEN, local_instant, parse_appointment
from drejebog.engine.errors import BadEventData, DrejebogInvalid, MigrationRefused
from drejebog.engine.expressions import compile_expression
from drejebog.engine.facts import FactValueError, convert_fact
from drejebog.engine.loader import load_file, load_text
from drejebog.engine.model import Drejebog
from drejebog.engine.runtime import CaseRuntime
from drejebog.engine.templates import template_environment
from tests.conftest import FIXTURES, local, run_case

TEXT = (FIXTURES / "aftaler.yaml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def book() -> Drejebog:
    return load_file(FIXTURES / "aftaler.yaml")


def _notices(records) -> list[tuple[str, str, str | None]]:
    """(local time with offset, kind, role) of the reminders and escalations sent."""
    return [
        (f"{r.at.astimezone(COPENHAGEN):%Y-%m-%d %H:%M %z}", r.kind, r.role)
        for r in records
        if r.kind in ("reminder", "escalation")
    ]


def _booked(book, when: str, events=(), end="2027-12-31 23:59"):
    first = ("2027-01-04 10:00", "jobsamtale_booket", {"jobsamtale": when})
    return run_case(book, "2027-01-04 09:00", [first, *events], end=end)


# -- reading a tidspunkt -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["2027-03-01 10:00", "2027-03-01T10:00", "2027-03-01T10:00:00", " 2027-03-01 10:00 "],
    ids=["space", "datetime_local", "stored_json", "padded"],
)
def test_a_tidspunkt_is_read_as_local_wall_time(text):
    assert parse_appointment(text) == datetime(2027, 3, 1, 10, 0)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("2027-03-01 25:00", "timer skal være 00-23"),
        ("2027-03-01 10:60", "minutter 00-59"),
        ("2027-02-30 10:00", "datoen 2027-02-30 findes ikke"),
        ("i morgen kl. 10", "skriv dato og klokkeslæt som ÅÅÅÅ-MM-DD TT:MM"),
        ("2027-03-01", "skriv dato og klokkeslæt"),
        ("2027-03-01 10:00+01:00", "skriv dato og klokkeslæt"),
        ("2027-03-01 10:00:30", "skriv dato og klokkeslæt"),
        ("x" * 100_000, "skriv dato og klokkeslæt"),
        ("2027-03-28 02:30", "findes ikke i dansk tid"),
        ("2027-03-28 02:00", "findes ikke i dansk tid"),
    ],
    ids=[
        "hour_25",
        "minute_60",
        "february_30",
        "text",
        "date_only",
        "offset",
        "seconds",
        "huge",
        "spring_gap",
        "spring_gap_start",
    ],
)
def test_a_malformed_or_nonexistent_tidspunkt_is_a_danish_error(text, words):
    with pytest.raises(ValueError) as caught:
        parse_appointment(text)
    message = str(caught.value)
    assert words in message
    assert len(message) < 300  # a huge input is not echoed whole


def test_the_wall_times_around_the_spring_gap_exist():
    assert parse_appointment("2027-03-28 01:59") == datetime(2027, 3, 28, 1, 59)
    assert parse_appointment("2027-03-28 03:00") == datetime(2027, 3, 28, 3, 0)


def test_the_repeated_autumn_hour_is_read_as_the_first_one_summer_time():
    wall = parse_appointment("2027-10-31 02:30")
    assert local_instant(wall.date(), wall.time()) == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)


def test_a_tidspunkt_fact_refuses_a_bare_date_and_an_aware_time(book):
    fact = book.facts["jobsamtale"]
    with pytest.raises(FactValueError, match="kun datoen"):
        convert_fact(fact, date(2027, 3, 1))
    with pytest.raises(FactValueError, match="uden tidszone"):
        convert_fact(fact, datetime(2027, 3, 1, 10, tzinfo=UTC))
    assert convert_fact(fact, datetime(2027, 3, 1, 10)) == datetime(2027, 3, 1, 10)


def test_a_tidspunkt_survives_the_case_json(book):
    facts = {"jobsamtale": datetime(2027, 3, 1, 10, 15), "notat": None}
    stored = facts_to_json(facts)
    assert stored == {"jobsamtale": "2027-03-01T10:15:00"}
    assert facts_from_json(book, stored)["jobsamtale"] == datetime(2027, 3, 1, 10, 15)


def test_an_event_with_a_bad_tidspunkt_is_refused_and_names_the_fact(book):
    runtime = CaseRuntime(book)
    case = runtime.open_case("sag", local("2027-03-01 09:00")).case
    for bad in ("2027-03-28 02:30", "25:00", "2027-02-30 10:00"):
        with pytest.raises(BadEventData, match="'jobsamtale'"):
            runtime.apply(case, "jobsamtale_booket", {"jobsamtale": bad}, local("2027-03-01 10:00"))


# -- reminders at the meeting's time -------------------------------------------------------


def test_reminders_go_out_the_day_before_at_the_meetings_time_and_at_a_fixed_klokken(book):
    records = _booked(book, "2027-05-12 14:30")
    assert _notices(records) == [
        ("2027-05-11 08:00 +0200", "reminder", "sagsbehandler"),
        ("2027-05-11 14:30 +0200", "reminder", "borger"),
        ("2027-05-13 08:00 +0200", "escalation", "sagsbehandler"),
    ]


@pytest.mark.parametrize(
    ("meeting", "expected"),
    [
        (
            "2027-11-01 10:00",
            [
                ("2027-10-31 08:00 +0100", "reminder", "sagsbehandler"),
                ("2027-10-31 10:00 +0100", "reminder", "borger"),
            ],
        ),
        (
            "2027-03-29 10:00",
            [
                ("2027-03-28 08:00 +0200", "reminder", "sagsbehandler"),
                ("2027-03-28 10:00 +0200", "reminder", "borger"),
            ],
        ),
        # the meeting's time does not exist on the day before: as every wall time, read
        # with the offset before the switch, it lands an hour later, 03:30 summer time
        (
            "2027-03-29 02:30",
            [
                ("2027-03-28 03:30 +0200", "reminder", "borger"),
                ("2027-03-28 08:00 +0200", "reminder", "sagsbehandler"),
            ],
        ),
        # the meeting's time happens twice on the day before: the first, summer time
        (
            "2027-11-01 02:30",
            [
                ("2027-10-31 02:30 +0200", "reminder", "borger"),
                ("2027-10-31 08:00 +0100", "reminder", "sagsbehandler"),
            ],
        ),
    ],
    ids=["absolute_autumn", "absolute_spring", "spring_skip_hour", "autumn_repeat_hour"],
)
def test_the_sms_keeps_the_meetings_wall_clock_time_across_a_dst_switch(book, meeting, expected):
    records = _booked(book, meeting, end=meeting)
    assert _notices(records) == expected


def test_the_reminder_template_shows_the_meeting_in_danish(book):
    text = template_environment().from_string("Husk {{ m | dansk_tidspunkt }}.")
    assert text.render(m=datetime(2027, 11, 1, 10, 5)) == "Husk 1. november 2027 kl. 10:05."


def test_dag_makes_a_tidspunkt_comparable_with_dato():
    guard = compile_expression("dag(jobsamtale) > dato")
    assert guard({"jobsamtale": datetime(2027, 3, 2, 9, 0), "dato": date(2027, 3, 1)})
    assert not guard({"jobsamtale": datetime(2027, 3, 1, 23, 0), "dato": date(2027, 3, 1)})


# -- moved and cancelled -------------------------------------------------------------------


def test_a_moved_meeting_sends_nothing_for_the_old_time(book):
    moved = ("2027-05-03 12:00", "jobsamtale_flyttet", {"jobsamtale": "2027-05-20 09:15"})
    records = _booked(book, "2027-05-12 14:30", [moved])
    assert _notices(records) == [
        ("2027-05-19 08:00 +0200", "reminder", "sagsbehandler"),
        ("2027-05-19 09:15 +0200", "reminder", "borger"),
        ("2027-05-21 08:00 +0200", "escalation", "sagsbehandler"),
    ]
    shown = [(r.kind, r.step, r.appointment) for r in records if r.kind == "appointment"]
    assert shown == [
        ("appointment", "booket", datetime(2027, 5, 12, 14, 30)),
        ("appointment", "flyttet", datetime(2027, 5, 20, 9, 15)),
    ]


def test_a_meeting_moved_to_another_time_the_same_day_moves_the_sms(book):
    moved = ("2027-05-03 12:00", "jobsamtale_flyttet", {"jobsamtale": "2027-05-12 08:45"})
    records = _booked(book, "2027-05-12 14:30", [moved], end="2027-05-12 23:00")
    assert [n for n in _notices(records) if n[2] == "borger"] == [
        ("2027-05-11 08:45 +0200", "reminder", "borger")
    ]


def test_a_cancelled_meeting_sends_nothing_and_its_deadline_waits(book):
    cancelled = ("2027-05-03 12:00", "jobsamtale_aflyst", {})
    records = _booked(book, "2027-05-12 14:30", [cancelled])
    assert _notices(records) == []
    assert [(r.kind, r.step, r.appointment) for r in records if r.kind == "appointment"][-1] == (
        "appointment",
        "aflyst",
        None,
    )
    runtime = CaseRuntime(book)
    case = runtime.open_case("sag", local("2027-05-01 09:00")).case
    booked = runtime.apply(
        case, "jobsamtale_booket", {"jobsamtale": "2027-05-12 14:30"}, local("2027-05-01 10:00")
    ).case
    step = runtime.apply(booked, "jobsamtale_aflyst", {}, local("2027-05-03 12:00"))
    assert step.cancel_rules == ["deltag_jobsamtale"]
    assert step.schedule == []
    waiting = step.case.open_rules["deltag_jobsamtale"]
    assert (waiting.anchor, waiting.due_date) == (None, None)
    assert waiting.occurrence != booked.open_rules["deltag_jobsamtale"].occurrence
    assert step.case.facts["jobsamtale"] is None


def test_a_cancelled_meeting_booked_again_is_planned_afresh(book):
    events = [
        ("2027-05-03 12:00", "jobsamtale_aflyst", {}),
        ("2027-05-04 12:00", "jobsamtale_flyttet", {"jobsamtale": "2027-05-25 11:00"}),
    ]
    records = _booked(book, "2027-05-12 14:30", events)
    assert _notices(records) == [
        ("2027-05-24 08:00 +0200", "reminder", "sagsbehandler"),
        ("2027-05-24 11:00 +0200", "reminder", "borger"),
        ("2027-05-26 08:00 +0200", "escalation", "sagsbehandler"),
    ]


def test_a_timer_of_the_old_time_does_not_fire_on_the_moved_case(book):
    runtime = CaseRuntime(book)
    case = runtime.open_case("sag", local("2027-05-01 09:00")).case
    booked = runtime.apply(
        case, "jobsamtale_booket", {"jobsamtale": "2027-05-12 14:30"}, local("2027-05-01 10:00")
    )
    old = next(t for t in booked.schedule if t.roles == ("borger",))
    for event, data in (
        ("jobsamtale_flyttet", {"jobsamtale": "2027-05-20 09:15"}),
        ("jobsamtale_aflyst", {}),
    ):
        changed = runtime.apply(booked.case, event, data, local("2027-05-03 12:00")).case
        assert runtime.fire(changed, old, old.due_at).records == []


# -- check -----------------------------------------------------------------------------------


def _check_text(tmp_path, text: str) -> tuple[int, list[str], list[str]]:
    path = tmp_path / "proeve.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(path)])
    output = result.output + (result.stderr if result.stderr_bytes else "")
    assert "Traceback" not in output
    return result.exit_code, output.splitlines(), text.split("\n")


def _line_of(rows: list[str], marker: str) -> int:
    return next(i for i, row in enumerate(rows, start=1) if marker in row)


def test_check_the_fixture_is_clean(tmp_path):
    assert _check_text(tmp_path, TEXT)[0] == 0


def test_check_an_anchor_no_entering_event_can_supply_is_an_error_at_the_anchor(tmp_path):
    text = TEXT.replace("    data: [jobsamtale]\n", "    data: []\n", 1)
    code, lines, rows = _check_text(tmp_path, text)
    assert code == 1
    (problem,) = [line for line in lines if "ingen hændelse, der fører ind" in line]
    line = _line_of(rows, "regnes_fra: jobsamtale")
    column = rows[line - 1].index("jobsamtale") + 1
    assert problem.startswith(f"{tmp_path / 'proeve.yaml'}:{line}:{column}: ")
    assert "'deltag_jobsamtale' regnes fra 'jobsamtale'" in problem


def test_check_an_anchor_set_in_an_earlier_state_is_supplied(tmp_path):
    text = TEXT.replace("    data: [jobsamtale]\n", "    data: []\n", 1).replace(
        "hændelser:\n",
        "hændelser:\n  forhaandsbooket:\n    titel: Booket på forhånd\n    fra: ny\n"
        "    data: [jobsamtale]\n",
    )
    assert _check_text(tmp_path, text)[0] == 0


def test_check_an_entering_event_that_clears_the_anchor_is_an_error(tmp_path):
    text = TEXT.replace("    data: [jobsamtale]\n", "    data: [notat]\n    ryd: [jobsamtale]\n", 1)
    code, lines, rows = _check_text(tmp_path, text)
    assert code == 1
    problems = [line for line in lines if "'jobsamtale_booket' rydder faktummet" in line]
    assert len(problems) == 1
    assert f":{_line_of(rows, 'regnes_fra: jobsamtale')}:" in problems[0]


def test_check_an_event_may_not_both_set_and_clear_a_fact(tmp_path):
    text = TEXT.replace("    valgfri_data: [notat]\n", "    valgfri_data: [jobsamtale]\n")
    code, lines, rows = _check_text(tmp_path, text)
    assert code == 1
    (problem,) = [line for line in lines if "både sætter og rydder" in line]
    assert f":{_line_of(rows, 'ryd: [jobsamtale]')}:" in problem


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("type: tidspunkt", "type: tidspunkter", "mente du 'tidspunkt'"),
        ('klokken: "08:00"\n            til', 'klokken: "25:00"\n            til', "klokkeslæt"),
        ("ryd: [jobsamtale]", "ryd: [jobsamtalen]", "jobsamtalen"),
    ],
    ids=["type_typo", "reminder_klokken", "ryd_unknown_fact"],
)
def test_check_reports_a_bad_tidspunkt_klokken_or_ryd(tmp_path, old, new, words):
    assert old in TEXT
    code, lines, _ = _check_text(tmp_path, TEXT.replace(old, new, 1))
    assert code == 1
    assert any(words in line for line in lines), lines


def test_a_tidspunkt_in_sæt_is_checked_like_event_data():
    text = TEXT.replace(
        "    ryd: [jobsamtale]\n", "    sæt:\n      jobsamtale: 2027-03-28 02:30\n", 1
    )
    with pytest.raises(DrejebogInvalid) as caught:
        load_text(text)
    assert "findes ikke i dansk tid" in str(caught.value.problems)


def test_reminder_klokken_is_parsed(book):
    _, rule = book.rule("deltag_jobsamtale")
    assert [r.time_of_day for r in rule.reminders] == [None, time(8, 0)]  # type: ignore[union-attr]


# -- versions --------------------------------------------------------------------------------


def test_a_migration_that_would_make_a_date_a_tidspunkt_is_refused_naming_the_fact(book):
    dated = load_text(TEXT.replace("type: tidspunkt", "type: dato"))
    old = CaseRuntime(dated)
    case = old.open_case("sag", local("2027-05-01 09:00")).case
    case = old.apply(
        case, "jobsamtale_booket", {"jobsamtale": "2027-05-12"}, local("2027-05-01 10:00")
    ).case
    with pytest.raises(MigrationRefused) as caught:
        CaseRuntime(book).migrate(case, dated, "booket", local("2027-05-02 10:00"))
    assert "'jobsamtale'" in str(caught.value) and "klokkeslæt" in str(caught.value)
    # without a value the case moves, its deadline waiting as before
    empty = old.apply(case, "jobsamtale_aflyst", {}, local("2027-05-01 11:00")).case
    moved = CaseRuntime(book).migrate(empty, dated, "booket", local("2027-05-02 10:00"))
    assert moved.case.open_rules["deltag_jobsamtale"].due_date is None
    assert moved.schedule == []


def test_a_duty_counted_from_a_cleared_fact_stops_and_one_moved_follows_it():
    duty = """    tilbagevendende:
      - navn: ugentlig_status
        titel: Ugentlig status efter samtalen
        hver: 1 uge
        regnes_fra: jobsamtale
        ejer: borger
        opfyldes_af: jobsamtale_holdt
        mangler: {til: sagsbehandler}
  holdt:
"""
    book = load_text(TEXT.replace("  holdt:\n", duty, 1))
    runtime = CaseRuntime(book)
    case = runtime.open_case("sag", local("2027-05-01 09:00")).case
    booked = runtime.apply(
        case, "jobsamtale_booket", {"jobsamtale": "2027-05-12 14:30"}, local("2027-05-01 10:00")
    )
    assert booked.case.cycles["ugentlig_status"].anchor == date(2027, 5, 12)
    moved = runtime.apply(
        booked.case,
        "jobsamtale_flyttet",
        {"jobsamtale": "2027-05-20 09:00"},
        local("2027-05-03 10:00"),
    )
    assert moved.case.cycles["ugentlig_status"].anchor == date(2027, 5, 20)
    assert "ugentlig_status" in moved.cancel_rules
    cleared = runtime.apply(moved.case, "jobsamtale_aflyst", {}, local("2027-05-04 10:00"))
    assert "ugentlig_status" not in cleared.case.cycles
    assert "ugentlig_status" in cleared.cancel_rules
    assert [t for t in cleared.schedule if t.rule == "ugentlig_status"] == []
