"""Recurring duties with fixed due dates, misses resolved without a report-back, and misses
in a row (issue 11, points 1 and 2).

The fixture (tests/fixtures/tilbagemelding.yaml): a monthly report-back owned by the citizen,
anchored on entering the state, Monday 1 March 2027: due 1 April (Thursday), 3 May (1 May is
a Saturday, moved forward), 1 June, 1 July, 2 August (1 August is a Sunday). 3 dage henstand:
April's missing notice goes out Monday 5 April, the leder 5 arbejdsdage later (12 April).
After 2 misses in a row the leder is told, `hyppig` is set and a task created.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from drejebog.engine.codec import runtime_to_json, snapshot_from_json
from drejebog.engine.deadlines import local_date
from drejebog.engine.diagram import render
from drejebog.engine.loader import load_file, parse_text
from drejebog.engine.model import Drejebog, DueDates, Recurring, TimerKind
from drejebog.engine.runtime import CaseRuntime, Cycle
from drejebog.engine.timers import window_of
from tests.conftest import FIXTURES, local, run_case

OPENED = "2027-03-01 09:00"
TEXT = (FIXTURES / "tilbagemelding.yaml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def fixed() -> Drejebog:
    return load_file(FIXTURES / "tilbagemelding.yaml")


def _restarting() -> Drejebog:
    drejebog, problems = parse_text(
        TEXT.replace("fristdage: faste", "fristdage: fra_opfyldelse"), "genstart.yaml"
    )
    assert problems == [] and drejebog is not None
    return drejebog


def _run(drejebog: Drejebog, events: list[tuple[str, str]], end: str = "2027-08-31 23:00"):
    return run_case(drejebog, OPENED, [(at, name, {}) for at, name in events], end)


def _seen(records, *kinds: str) -> list[tuple[str, str, str, str | None, int]]:
    """(local day, kind, due day, step or role, misses in a row) of the duty's records."""
    return [
        (
            f"{local_date(r.at):%d.%m}",
            r.kind,
            f"{r.due_date:%d.%m}" if r.due_date else "",
            r.step if r.kind == "checkin" else r.role,
            r.in_a_row,
        )
        for r in records
        if r.kind in kinds
    ]


def test_a_report_back_in_its_window_never_moves_the_due_dates(fixed):
    records = _run(fixed, [("2027-03-20 10:00", "meldt_tilbage")], "2027-05-31 23:00")
    assert _seen(records, "checkin", "checkin_missing") == [
        ("20.03", "checkin", "01.04", "til tiden", 0),
        ("07.05", "checkin_missing", "03.05", "mentor", 1),  # 3 May + 3 dage, then Friday
    ]
    # today's behaviour, kept for `fristdage: fra_opfyldelse`: the period starts again on
    # 20 March, so the next due date is 20 April and nothing is recorded for the report-back
    restarted = _run(_restarting(), [("2027-03-20 10:00", "meldt_tilbage")], "2027-05-31 23:00")
    assert _seen(restarted, "checkin", "checkin_missing")[0] == (
        "26.04",
        "checkin_missing",
        "20.04",
        "mentor",
        1,  # counted and shown: the duty has `mangler_i_træk`
    )


def test_a_second_report_back_in_the_same_window_counts_for_nothing(fixed):
    records = _run(
        fixed,
        [("2027-03-20 10:00", "meldt_tilbage"), ("2027-03-25 10:00", "meldt_tilbage")],
        "2027-04-30 23:00",
    )
    assert _seen(records, "checkin") == [("20.03", "checkin", "01.04", "til tiden", 0)]


def test_a_report_back_in_the_grace_is_late_and_the_missing_notice_never_goes_out(fixed):
    records = _run(fixed, [("2027-04-03 10:00", "meldt_tilbage")], "2027-06-30 23:00")
    assert _seen(records, "checkin", "checkin_missing", "escalation") == [
        ("03.04", "checkin", "01.04", "for sent", 0),
        ("03.04", "checkin", "03.05", "til tiden", 0),  # it is in May's window too
        # 1 June + 3 dage = Friday 4 June; the notice on the next working day
        ("07.06", "checkin_missing", "01.06", "mentor", 1),
        ("14.06", "escalation", "01.06", "leder", 0),
    ]


def test_a_late_report_back_stops_the_ladder_of_its_occurrence(fixed):
    records = _run(fixed, [("2027-04-07 10:00", "meldt_tilbage")], "2027-05-31 23:00")
    assert _seen(records, "checkin_missing", "checkin", "escalation") == [
        ("05.04", "checkin_missing", "01.04", "mentor", 1),
        ("07.04", "checkin", "01.04", "for sent", 0),
        ("07.04", "checkin", "03.05", "til tiden", 0),
    ]  # no leder on 12 April


def test_a_resolved_miss_stops_the_ladder_but_the_misses_go_on_counting(fixed):
    records = _run(fixed, [("2027-04-07 10:00", "kontaktet")], "2027-05-31 23:00")
    assert _seen(
        records, "checkin_missing", "miss_resolved", "escalation", "misses_in_a_row", "task"
    ) == [
        ("05.04", "checkin_missing", "01.04", "mentor", 1),
        ("07.04", "miss_resolved", "01.04", None, 0),  # no leder on 12 April
        ("07.05", "checkin_missing", "03.05", "mentor", 2),
        ("07.05", "misses_in_a_row", "03.05", "leder", 2),
        ("07.05", "task", "", "sagsbehandler", 0),
        ("14.05", "escalation", "03.05", "leder", 0),
    ]


def test_resolving_when_nothing_is_missing_changes_nothing(fixed):
    runtime = CaseRuntime(fixed)
    opened = runtime.open_case("sag", local(OPENED))
    step = runtime.apply(opened.case, "kontaktet", {}, local("2027-03-10 10:00"))
    assert step.records == [] and step.schedule == [] and step.cancel_rules == []
    assert step.case.cycles == opened.case.cycles


def test_the_rung_fires_once_per_run_of_misses_and_a_report_back_starts_a_new_run(fixed):
    records = _run(fixed, [("2027-06-10 10:00", "meldt_tilbage")], "2027-09-30 23:00")
    assert _seen(records, "checkin_missing", "checkin", "misses_in_a_row", "task") == [
        ("05.04", "checkin_missing", "01.04", "mentor", 1),
        ("07.05", "checkin_missing", "03.05", "mentor", 2),
        ("07.05", "misses_in_a_row", "03.05", "leder", 2),
        ("07.05", "task", "", "sagsbehandler", 0),
        ("07.06", "checkin_missing", "01.06", "mentor", 3),  # no second rung
        ("10.06", "checkin", "01.06", "for sent", 0),
        ("10.06", "checkin", "01.07", "til tiden", 0),
        ("06.08", "checkin_missing", "02.08", "mentor", 1),  # a new run
        ("06.09", "checkin_missing", "01.09", "mentor", 2),
        ("06.09", "misses_in_a_row", "01.09", "leder", 2),  # the new run's rung
    ]  # the task is still open, so it is not created twice


def test_the_rung_sets_its_facts_and_creates_its_task_once(fixed):
    runtime = CaseRuntime(fixed)
    case = runtime.open_case("sag", local(OPENED)).case
    pending = list(runtime.open_case("sag", local(OPENED)).schedule)
    seen = []
    at = local("2027-05-08 12:00")
    while pending:  # fire everything due by 8 May, in order, as the daemon does
        timer = min(pending, key=lambda t: t.due_at)
        if timer.due_at > at:
            break
        pending.remove(timer)
        step = runtime.fire(case, timer, timer.due_at)
        case = step.case
        pending.extend(step.schedule)
        seen.extend(r.kind for r in step.records)
    assert seen.count("misses_in_a_row") == 1 and seen.count("task") == 1
    assert case.facts["hyppig"] is True
    assert "gennemgaa" in case.open_tasks
    cycle = case.cycles["tilbagemelding"]
    assert (cycle.missed, cycle.in_a_row, cycle.settled) == (2, 2, 0)
    done = runtime.apply(case, "gennemgaaet", {}, local("2027-05-10 10:00"))
    assert "gennemgaa" not in done.case.open_tasks
    assert [(r.rule, r.outcome) for r in done.results] == [("gennemgaa", "opfyldt")]


def test_a_restarting_duty_counts_misses_in_a_row_too():
    records = _run(_restarting(), [("2027-05-10 10:00", "meldt_tilbage")], "2027-08-31 23:00")
    assert _seen(records, "checkin_missing", "misses_in_a_row") == [
        ("05.04", "checkin_missing", "01.04", "mentor", 1),
        ("07.05", "checkin_missing", "03.05", "mentor", 2),
        ("07.05", "misses_in_a_row", "03.05", "leder", 2),
        # the report-back on 10 May restarts the period (next due 10 June) and the count
        ("14.06", "checkin_missing", "10.06", "mentor", 1),
        ("16.07", "checkin_missing", "12.07", "mentor", 2),  # 10 July is a Saturday
        ("16.07", "misses_in_a_row", "12.07", "leder", 2),
        ("16.08", "checkin_missing", "10.08", "mentor", 3),  # once per run
    ]


def test_the_window_of_a_day(fixed):
    _, rule = fixed.rule("tilbagemelding")
    assert isinstance(rule, Recurring)
    calendar = CaseRuntime(fixed).calendar
    anchor = date(2027, 3, 1)
    assert window_of(rule, anchor, date(2027, 3, 1), calendar) == 1
    assert window_of(rule, anchor, date(2027, 4, 1), calendar) == 1
    assert window_of(rule, anchor, date(2027, 4, 2), calendar) == 2
    assert window_of(rule, anchor, date(2027, 5, 3), calendar) == 2  # 1 May moved to 3 May
    assert window_of(rule, anchor, date(2027, 5, 4), calendar) == 3
    far = window_of(rule, anchor, date(2067, 3, 2), calendar)
    assert far == 481  # 40 years and a day: the galloping search, not 481 steps one by one
    assert rule.due(anchor, far - 1, calendar) < date(2067, 3, 2) <= rule.due(anchor, far, calendar)


def test_the_cycle_keeps_its_counts_in_the_case_json(fixed):
    runtime = CaseRuntime(fixed)
    case = runtime.open_case("sag", local(OPENED)).case
    plain = runtime_to_json(case)
    assert set(plain["cycles"]["tilbagemelding"]) == {"occurrence", "anchor"}  # as before
    counted = Cycle("tilbagemelding", "p9", date(2027, 3, 1), 2, 4, 3, 2)
    case = replace(case, cycles={"tilbagemelding": counted})
    data = runtime_to_json(case)
    again = snapshot_from_json(fixed, "sag", case.state, {}, data, case.entered_at)
    assert again.cycles["tilbagemelding"] == counted


@pytest.mark.parametrize(
    ("old", "new", "due_dates"),
    [
        ("        fristdage: faste\n", "", DueDates.RESTART),
        ("        fristdage: faste\n", "        lovbestemt: true\n", DueDates.FIXED),
        (
            "        fristdage: faste\n",
            "        lovbestemt: true\n        fristdage: fra_opfyldelse\n",
            DueDates.RESTART,
        ),
    ],
)
def test_fixed_is_the_default_for_a_duty_set_by_law(old, new, due_dates):
    drejebog, problems = parse_text(TEXT.replace(old, new), "d.yaml")
    assert problems == [] and drejebog is not None
    _, rule = drejebog.rule("tilbagemelding")
    assert isinstance(rule, Recurring) and rule.due_dates is due_dates


@pytest.mark.parametrize(
    ("old", "new", "where", "message"),
    [
        (
            "fristdage: faste",
            "fristdage: fast",
            (20, 20),
            "'fristdage' skal være faste eller fra_opfyldelse, ikke 'fast' (mente du 'faste'?)",
        ),
        ("antal: 2", "antal: to", (33, 20), "'antal' skal være et helt tal, mindst 1, ikke 'to'"),
        ("antal: 2", "antal: 0", (33, 20), "'antal' skal være et helt tal, mindst 1, ikke '0'"),
        (
            "løser_mangel: kontaktet",
            "løser_mangel: meldt_tilbage",
            (22, 23),
            "hændelsen 'meldt_tilbage' står både i 'opfyldes_af' og 'løser_mangel'",
        ),
        (
            "løser_mangel: kontaktet",
            "løser_mangel: kontakt",
            (22, 23),
            "'kontakt'",
        ),
        (
            "            til: leder\n            sæt:",
            "            til: leder\n            hvem: leder\n            sæt:",
            (35, 13),
            "ukendt nøgle 'hvem' i trinnet i 'mangler_i_træk'",
        ),
        (
            "              rolle: sagsbehandler\n",
            "              rolle: sagsbehandler\n              frist: 5 dage\n",
            (41, 15),
            "ukendt nøgle 'frist' i opgaven i 'mangler_i_træk'",
        ),
    ],
)
def test_check_reports_the_new_keys_at_their_line_and_column(old, new, where, message):
    assert old in TEXT
    _, problems = parse_text(TEXT.replace(old, new), "d.yaml")
    found = [((p.line, p.column), p.message) for p in problems]
    assert any(at == where and message in text for at, text in found), found


def test_a_rung_that_does_nothing_and_rungs_out_of_order_are_reported():
    text = TEXT.replace(
        "        mangler_i_træk:\n          - antal: 2\n",
        "        mangler_i_træk:\n          - antal: 3\n          - antal: 2\n",
    )
    _, problems = parse_text(text, "d.yaml")
    messages = [(p.line, p.message) for p in problems]
    assert (
        33,
        "trinnet i 'mangler_i_træk' gør ingenting: giv det 'til', 'sæt' eller 'opgave'",
    ) in messages
    assert any(
        line == 34 and "stigende 'antal' (2 kommer efter 3)" in message
        for line, message in messages
    ), messages


def test_a_migration_keeps_what_the_duty_has_settled_and_counted(fixed):
    newer, problems = parse_text(TEXT.replace("version: 1", "version: 2"), "v2.yaml")
    assert problems == [] and newer is not None
    runtime = CaseRuntime(fixed)
    opened = runtime.open_case("sag", local(OPENED))
    settled = runtime.apply(opened.case, "meldt_tilbage", {}, local("2027-03-20 10:00")).case
    moved = CaseRuntime(newer).migrate(settled, fixed, "forloeb", local("2027-03-25 10:00"))
    cycle = moved.case.cycles["tilbagemelding"]
    assert (cycle.settled, cycle.anchor) == (1, date(2027, 3, 1))
    # April already has its report-back: nothing is planned for it, May is
    assert {(t.k, t.due_date) for t in moved.schedule} == {(2, date(2027, 5, 3))}


def test_a_moved_anchor_keeps_the_misses_in_a_row():
    text = (
        TEXT.replace(
            "        hver: 1 måned\n", "        hver: 1 måned\n        regnes_fra: startdato\n"
        )
        .replace(
            "fakta:\n",
            "fakta:\n  startdato:\n    titel: Startdato\n    type: dato\n",
        )
        .replace(
            "  kontaktet:\n",
            "  ny_startdato:\n    fra: forloeb\n    data: [startdato]\n  kontaktet:\n",
        )
    )
    drejebog, problems = parse_text(text, "d.yaml")
    assert problems == [] and drejebog is not None
    records = run_case(
        drejebog,
        OPENED,
        [("2027-04-20 10:00", "ny_startdato", {"startdato": "2027-04-20"})],
        "2027-05-31 23:00",
        {"startdato": "2027-03-01"},
    )
    assert _seen(records, "checkin_missing", "misses_in_a_row") == [
        ("05.04", "checkin_missing", "01.04", "mentor", 1),
        # counted from 20 April now: due 20 May, + 3 dage = Sunday 23 May, notice Monday
        ("24.05", "checkin_missing", "20.05", "mentor", 2),
        ("24.05", "misses_in_a_row", "20.05", "leder", 2),
    ]


def test_a_migration_keeps_the_open_task_of_a_rung(fixed):
    newer, _ = parse_text(TEXT.replace("version: 1", "version: 2"), "v2.yaml")
    assert newer is not None
    runtime = CaseRuntime(fixed)
    opened = runtime.open_case("sag", local(OPENED))
    (notice,) = [t for t in opened.schedule if t.kind is TimerKind.CHECKIN_MISSING]
    # one miss already counted: this notice is the second in a row, so the rung follows
    counted = Cycle("tilbagemelding", "p1", date(2027, 3, 1), in_a_row=1)
    step = runtime.fire(
        replace(opened.case, cycles={"tilbagemelding": counted}), notice, notice.due_at
    )
    (rung,) = [t for t in step.schedule if t.kind is TimerKind.IN_A_ROW]
    with_task = runtime.fire(step.case, rung, rung.due_at).case
    assert "gennemgaa" in with_task.open_tasks
    moved = CaseRuntime(newer).migrate(with_task, fixed, "forloeb", local("2027-04-10 10:00"))
    assert moved.case.open_tasks["gennemgaa"] == with_task.open_tasks["gennemgaa"]


def test_the_diagram_shows_fixed_due_dates_and_the_rungs(fixed):
    shown = render(fixed)
    assert (
        "hver 1 måned: tilbagemelding (borger, henstand 3 dage, faste fristdage, 2 i træk" in shown
    )
    assert "faste fristdage" not in render(_restarting())
