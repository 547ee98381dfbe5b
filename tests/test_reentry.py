"""Re-entering a state (issue 11, point 9), on the engine: an event that keeps the case in its
state (a self-transition, `til` naming the state it comes from, or an event without `til`)
leaves the state's deadlines as they are, so nothing already sent is sent again; leaving and
coming back starts them afresh; a rung whose time has passed when it is planned is not sent.

The fixture's `plan`: entered Monday 1 March 2027 09:00, 14 dage → due Monday 15 March;
reminder Friday 12 March 08:00; breach Tuesday 16 March 08:00 (leder), 7 dage later Tuesday
23 March (projektleder)."""

from __future__ import annotations

from datetime import date

import pytest

from drejebog.engine.loader import load_file
from drejebog.engine.model import Drejebog
from drejebog.engine.runtime import CaseRuntime
from tests.conftest import FIXTURES, brief, local, run_case

LADDER = [
    ("2027-03-12 08:00", "reminder", "plan", "sagsbehandler"),
    ("2027-03-16 08:00", "escalation", "plan", "leder"),
    ("2027-03-23 08:00", "escalation", "plan", "projektleder"),
]


@pytest.fixture(scope="module")
def book() -> Drejebog:
    return load_file(FIXTURES / "genindtraeden.yaml")


def _sent(records, rule="plan"):
    return [r for r in brief(records) if r[1] in ("reminder", "escalation") and r[2] == rule]


@pytest.mark.parametrize("event", ["samtale_holdt", "notat"], ids=["self_transition", "no_til"])
def test_an_event_that_keeps_the_state_after_a_breach_sends_nothing_again(book, event):
    records = run_case(
        book, "2027-03-01 09:00", [("2027-03-17 10:00", event, {})], end="2027-04-30 23:59"
    )
    assert _sent(records) == LADDER


@pytest.mark.parametrize("event", ["samtale_holdt", "notat"], ids=["self_transition", "no_til"])
def test_an_event_that_keeps_the_state_before_the_reminder_moves_no_date(book, event):
    records = run_case(
        book,
        "2027-03-01 09:00",
        [("2027-03-05 10:00", event, {}), ("2027-03-10 10:00", event, {})],
        end="2027-04-30 23:59",
    )
    assert _sent(records) == LADDER
    assert {r.due_date for r in records if r.name == "plan"} == {date(2027, 3, 15)}


def test_a_self_transition_keeps_the_open_deadline_and_cancels_nothing(book):
    runtime = CaseRuntime(book)
    opened = runtime.open_case("sag", local("2027-03-01 09:00")).case
    moede = {"moede": "2027-03-01"}
    entered = runtime.apply(opened, "plan_lavet", moede, local("2027-03-01 10:00")).case
    step = runtime.apply(entered, "rykker", {}, local("2027-03-10 10:00"))
    assert step.case.state == "opfoelgning"
    assert step.case.open_rules == entered.open_rules  # same plan number, same due date
    assert (step.cancel_rules, step.schedule, step.results) == ([], [], [])
    assert [(r.kind, r.name) for r in step.records] == [("state", "opfoelgning")]


def test_a_self_transition_starts_afresh_what_it_met_and_an_event_without_til_does_not(book):
    # naeste_samtale: 7 dage from entry (Monday 1 March) = Monday 8 March, breach Tuesday 9
    # March. The self-transition on Wednesday 3 March meets it and starts it again from that
    # day: due Wednesday 10 March, breach Thursday 11 March. `notat` only keeps the state.
    def breaches(events):
        records = run_case(book, "2027-03-01 09:00", events, end="2027-03-31 23:59")
        return _sent(records, "naeste_samtale")

    assert breaches([("2027-03-03 10:00", "samtale_holdt", {})]) == [
        ("2027-03-11 08:00", "escalation", "naeste_samtale", "leder")
    ]
    assert breaches([("2027-03-03 10:00", "notat", {})]) == [
        ("2027-03-09 08:00", "escalation", "naeste_samtale", "leder")
    ]


def test_leaving_and_coming_back_starts_the_deadline_afresh(book):
    # back in afklaring on Monday 22 March 10:00: + 14 dage = Monday 5 April (Easter 2027 is
    # 25-29 March, before it); reminder 3 dage før = Friday 2 April 08:00; breach Tuesday 6
    # April (leder); 7 dage later Tuesday 13 April (projektleder).
    records = run_case(
        book,
        "2027-03-01 09:00",
        [("2027-03-05 10:00", "pause", {}), ("2027-03-22 10:00", "genoptag", {})],
        end="2027-04-30 23:59",
    )
    assert _sent(records) == [
        ("2027-04-02 08:00", "reminder", "plan", "sagsbehandler"),
        ("2027-04-06 08:00", "escalation", "plan", "leder"),
        ("2027-04-13 08:00", "escalation", "plan", "projektleder"),
    ]
    assert {r.due_date for r in records if r.name == "plan"} == {date(2027, 4, 5)}


def test_a_rung_already_past_when_planned_is_not_sent(book):
    # referat: 5 dage from the meeting on Monday 1 February = Saturday 6 February, moved back
    # to Friday 5 February; breach Monday 8 February, 7 dage later 15 February, 30 dage after
    # the breach Wednesday 10 March. Entered on 5 March: only the last rung is still ahead.
    records = run_case(
        book,
        "2027-03-01 09:00",
        [("2027-03-05 10:00", "plan_lavet", {"moede": "2027-02-01"})],
        end="2027-04-30 23:59",
    )
    assert _sent(records, "referat") == [
        ("2027-03-10 08:00", "escalation", "referat", "projektleder"),
    ]
    assert {r.due_date for r in records if r.name == "referat"} == {date(2027, 2, 5)}


def test_a_self_transition_after_a_breach_of_a_fact_anchored_deadline_sends_nothing_again(book):
    # referat from Monday 1 March: 6 March (Saturday) moved back (`helligdag: tilbage`, the
    # default) to Friday 5 March; reminder 2 dage før, Wednesday 3 March; breach Monday 8
    # March (leder), 15 March (projektleder), 30 dage after the breach Wednesday 7 April.
    records = run_case(
        book,
        "2027-03-01 09:00",
        [
            ("2027-03-01 10:00", "plan_lavet", {"moede": "2027-03-01"}),
            ("2027-03-10 10:00", "rykker", {}),
            ("2027-03-20 10:00", "rykker", {}),
        ],
        end="2027-04-30 23:59",
    )
    assert _sent(records, "referat") == [
        ("2027-03-03 08:00", "reminder", "referat", "sagsbehandler"),
        ("2027-03-08 08:00", "escalation", "referat", "leder"),
        ("2027-03-15 08:00", "escalation", "referat", "projektleder"),
        ("2027-04-07 08:00", "escalation", "referat", "projektleder"),
    ]


def test_a_migration_keeps_the_anchor_of_a_deadline_a_self_transition_started_again(book):
    runtime = CaseRuntime(book)
    opened = runtime.open_case("sag", local("2027-03-01 09:00")).case
    again = runtime.apply(opened, "samtale_holdt", {}, local("2027-03-03 10:00")).case
    moved = runtime.migrate(again, book, "afklaring", local("2027-03-04 10:00")).case
    assert moved.open_rules["naeste_samtale"].due_date == date(2027, 3, 10)
    assert moved.open_rules["plan"].due_date == date(2027, 3, 15)
