"""The case runtime on the mini drejebog: state changes, tasks, deadlines, cycles, errors."""

from __future__ import annotations

from datetime import UTC, date, timedelta

import pytest

from drejebog.engine.errors import BadEventData, EventNotAllowed, GuardRejected, UnknownEvent
from drejebog.engine.loader import load_text, parse_text
from drejebog.engine.model import TimerKind
from drejebog.engine.runtime import CaseRuntime
from drejebog.engine.timers import missed_in_all
from tests.conftest import FIXTURES, brief, local, run_case

REHAB = {"rehab_moede": "2027-03-01", "indstilling": "ressourceforloeb"}


def test_rehab_meeting_starts_overdragelse_deadline_with_reminder_and_ladder(mini):
    # 2027-03-01 is a Monday; + 14 dage = Monday 15 March (a working day, kept).
    # Reminder 3 dage før = Friday 12 March. Breach day = first working day after the
    # 15th = Tuesday 16 March (leder); 7 dage later = Tuesday 23 March (projektleder).
    records = run_case(
        mini,
        "2027-03-01 09:00",
        [("2027-03-01 10:00", "rehab_holdt", {**REHAB, "virksomhedsrettet_fra": "2027-06-01"})],
        end="2027-03-31 23:59",
    )
    assert brief(records) == [
        ("2027-03-01 09:00", "state", "visiteret", None),
        ("2027-03-01 10:00", "state", "rehab", None),
        ("2027-03-01 10:00", "task", "vk_deltager", "virksomhedskonsulent"),
        ("2027-03-01 10:00", "task", "hjemmemoede", "sagsbehandler"),
        ("2027-03-12 08:00", "reminder", "overdragelse", "sagsbehandler"),
        ("2027-03-16 08:00", "escalation", "overdragelse", "leder"),
        ("2027-03-23 08:00", "escalation", "overdragelse", "projektleder"),
    ]
    assert records[4].due_date == date(2027, 3, 15)
    assert records[4].at.astimezone(UTC).hour == 7  # 08:00 CET in winter


def test_overdragelse_in_time_cancels_the_ladder_and_starts_monthly_report_back(mini):
    # Entered forloeb on 15 March: occurrence 1 due 15 April (Thu, kept: helligdag behold).
    # Reminder 2 dage før: 13 April 08:00 CEST (after the DST switch on 28 March).
    # Missing after henstand 3 dage: 18 April is a Sunday, so the notice goes out on the
    # first working day after it, Monday 19 April; 5 arbejdsdage later, Monday 26 April.
    # The report-back on 10 May restarts the cycle: due 10 June, reminder 8 June, due+3 =
    # 13 June (Sunday) so missing on Monday 14 June. May's occurrence never fires.
    records = run_case(
        mini,
        "2027-03-01 09:00",
        [
            ("2027-03-01 10:00", "rehab_holdt", REHAB),
            ("2027-03-15 15:00", "overdrag", {"jobmaal_afklaret": "ja"}),
            ("2027-05-10 10:00", "tilbagemelding", {}),
        ],
        end="2027-06-20 23:59",
    )
    assert brief(records)[4:] == [
        ("2027-03-12 08:00", "reminder", "overdragelse", "sagsbehandler"),
        ("2027-03-15 15:00", "state", "forloeb", None),
        ("2027-04-13 08:00", "reminder", "tilbagemelding", "borger"),
        ("2027-04-19 08:00", "checkin_missing", "tilbagemelding", "mentor"),
        ("2027-04-19 08:00", "checkin_missing", "tilbagemelding", "koordinerende_sagsbehandler"),
        ("2027-04-26 08:00", "escalation", "tilbagemelding", "leder"),
        ("2027-06-08 08:00", "reminder", "tilbagemelding", "borger"),
        ("2027-06-14 08:00", "checkin_missing", "tilbagemelding", "mentor"),
        ("2027-06-14 08:00", "checkin_missing", "tilbagemelding", "koordinerende_sagsbehandler"),
    ]
    assert records[6].at.astimezone(UTC).hour == 6  # 08:00 CEST in summer


def test_missing_report_back_keeps_the_cycle_running(mini):
    # No report-back at all: occurrence 2 is due 15 May (Saturday, kept); reminder 13 May;
    # due + 3 dage = 18 May; the first working day after it is Wednesday 19 May
    # (2. pinsedag is Monday 17 May 2027).
    records = run_case(
        mini,
        "2027-03-01 09:00",
        [
            ("2027-03-01 10:00", "rehab_holdt", REHAB),
            ("2027-03-15 15:00", "overdrag", {"jobmaal_afklaret": "ja"}),
        ],
        end="2027-05-20 00:00",
    )
    tail = [r for r in brief(records) if r[0] >= "2027-05"]
    assert tail == [
        ("2027-05-13 08:00", "reminder", "tilbagemelding", "borger"),
        ("2027-05-19 08:00", "checkin_missing", "tilbagemelding", "mentor"),
        ("2027-05-19 08:00", "checkin_missing", "tilbagemelding", "koordinerende_sagsbehandler"),
    ]


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (None, True),
        ("2027-06-01", True),
        ("2027-10-31", True),  # 7 months and 30 days after the meeting: the VK attends
        ("2027-11-01", False),  # exactly 8 months out: no VK task
        ("2028-03-01", False),
    ],
    ids=["no-date", "3-months", "just-under-8-months", "exactly-8-months", "12-months"],
)
def test_virksomhedskonsulent_attends_unless_start_is_8_months_out(mini, start, expected):
    data = dict(REHAB)
    if start:
        data["virksomhedsrettet_fra"] = start
    records = run_case(
        mini, "2027-03-01 09:00", [("2027-03-01 10:00", "rehab_holdt", data)], "2027-03-02 00:00"
    )
    tasks = {r.name for r in records if r.kind == "task"}
    assert ("vk_deltager" in tasks) is expected
    assert "hjemmemoede" in tasks


def test_branch_ends_case_when_indstilling_is_not_ressourceforloeb(mini):
    records = run_case(
        mini,
        "2027-03-01 09:00",
        [("2027-03-01 10:00", "rehab_holdt", {**REHAB, "indstilling": "fleksjob"})],
        end="2027-06-01 00:00",
    )
    assert brief(records) == [
        ("2027-03-01 09:00", "state", "visiteret", None),
        ("2027-03-01 10:00", "state", "afsluttet", None),
    ]


def test_moved_meeting_moves_the_deadline(mini):
    # The meeting moves from 1 to 8 March: due 22 March, reminder Friday 19 March.
    records = run_case(
        mini,
        "2027-03-01 09:00",
        [
            ("2027-03-01 10:00", "rehab_holdt", REHAB),
            ("2027-03-02 10:00", "ny_moededato", {"rehab_moede": "2027-03-08"}),
        ],
        end="2027-03-22 23:00",
    )
    reminders = [r for r in brief(records) if r[1] == "reminder"]
    assert reminders == [("2027-03-19 08:00", "reminder", "overdragelse", "sagsbehandler")]


def test_milestone_is_recorded_without_changing_state(mini):
    records = run_case(
        mini,
        "2027-03-01 09:00",
        [("2027-03-02 10:00", "praktik_startet", {})],
        end="2027-03-03 00:00",
    )
    assert brief(records)[-1] == ("2027-03-02 10:00", "milestone", "praktik_startet", None)
    assert records[-1].state == "visiteret"


@pytest.fixture
def rehab_case(mini):
    runtime = CaseRuntime(mini)
    opened = runtime.open_case("sag-1", local("2027-03-01 09:00"))
    step = runtime.apply(opened.case, "rehab_holdt", REHAB, local("2027-03-01 10:00"))
    return runtime, step.case


def test_guard_rejects_event_and_leaves_the_case_as_it_was(rehab_case):
    runtime, case = rehab_case
    before = (case.state, dict(case.facts), dict(case.open_rules), case.plan_seq)
    with pytest.raises(GuardRejected) as caught:
        runtime.apply(case, "overdrag", {"jobmaal_afklaret": "nej"}, local("2027-03-05 10:00"))
    assert "jobmaal_afklaret" in str(caught.value) and "sag-1" in str(caught.value)
    assert (case.state, dict(case.facts), dict(case.open_rules), case.plan_seq) == before


@pytest.mark.parametrize(
    ("event", "data", "error", "text"),
    [
        ("tilbagemelding", {}, EventNotAllowed, "ikke tilladt i tilstanden 'rehab'"),
        ("findes_ikke", {}, UnknownEvent, "ukendt hændelse 'findes_ikke'"),
        ("overdrag", {}, BadEventData, "mangler data: jobmaal_afklaret"),
        ("overdrag", {"jobmaal_afklaret": "måske"}, BadEventData, "ja eller nej"),
        ("ny_moededato", {"rehab_moede": "2027-02-30"}, BadEventData, "2027-02-30"),
        ("ny_moededato", {"rehab_moede": "2027-03-08", "x": 1}, BadEventData, "ukendte data x"),
    ],
    ids=["wrong-state", "unknown-event", "missing-data", "bad-yes-no", "bad-date", "extra-data"],
)
def test_rejected_events_say_why(rehab_case, event, data, error, text):
    runtime, case = rehab_case
    with pytest.raises(error) as caught:
        runtime.apply(case, event, data, local("2027-03-05 10:00"))
    assert text in str(caught.value)


def test_one_machine_per_drejebog_version_without_back_doors(mini):
    from drejebog.engine.machine import machine_for

    machine = machine_for(mini)
    assert machine_for(mini) is machine
    events = set(machine._machine.events)
    assert not any(name.startswith("to_") for name in events)  # auto_transitions=False
    assert events == set(mini.events)


def test_yaml_strings_never_reach_transitions_as_callbacks(mini):
    from drejebog.engine.machine import machine_for

    for event in machine_for(mini)._machine.events.values():
        for transitions in event.transitions.values():
            for transition in transitions:
                for condition in transition.conditions:
                    assert callable(condition.func), condition.func


# -- the catch-up ceiling and plausible dates (issue 10, point 6) -----------------------------

MINI_TEXT = (FIXTURES / "mini.yaml").read_text(encoding="utf-8")
MEETING_FACT = "rehab_moede: {titel: Rehabiliteringsmøde, type: dato}"


def mini_with(meeting_fact: str, anchored: bool = False) -> str:
    text = MINI_TEXT.replace(MEETING_FACT, meeting_fact)
    if anchored:  # the monthly report-back counted from the meeting's date
        text = text.replace(
            "        hver: 1 måned\n", "        hver: 1 måned\n        regnes_fra: rehab_moede\n"
        )
    return text


def missing_notices(step):
    return [t for t in step.schedule if t.kind is TimerKind.CHECKIN_MISSING]


def test_a_cycle_anchored_far_back_plans_only_the_latest_missed_occurrence():
    far_back = "rehab_moede: {titel: Møde, type: dato, tidligst: 200 år før}"
    runtime = CaseRuntime(load_text(mini_with(far_back, anchored=True)))
    case = runtime.open_case("sag-1", local("2027-03-01 09:00")).case
    data = {"rehab_moede": "1900-01-01", "indstilling": "ressourceforloeb"}
    case = runtime.apply(case, "rehab_holdt", data, local("2027-03-01 10:00")).case
    step = runtime.apply(case, "overdrag", {"jobmaal_afklaret": "ja"}, local("2027-03-02 10:00"))
    (notice,) = missing_notices(step)
    assert (notice.k, missed_in_all(notice), notice.due_date) == (1525, 1525, date(2027, 2, 1))
    assert notice.due_at < local("2027-03-02 10:00")  # due now: the sweep sends it at once
    assert len(step.schedule) == 1  # its reminders have passed; nothing else from 1900
    fired = runtime.fire(step.case, notice, local("2027-03-02 10:05"))
    assert len(fired.records) == 2  # mentor and koordinerende sagsbehandler, once each
    # the ladder's rung (5 arbejdsdage after the 4 February breach) has passed too: folded in;
    # March's reminder has passed; March's notice (4 March) is the cycle going on from now
    assert [(t.step, t.occurrence) for t in fired.schedule] == [("mangler", "p4.k1526")]
    assert all(t.due_at > local("2027-03-02 10:05") for t in fired.schedule)
    assert missed_in_all(missing_notices(fired)[0]) == 1


def test_a_notice_fired_late_within_a_period_plans_the_next_occurrence_as_before(mini):
    runtime = CaseRuntime(mini)
    case = runtime.open_case("sag-1", local("2027-03-01 09:00")).case
    case = runtime.apply(case, "rehab_holdt", REHAB, local("2027-03-01 10:00")).case
    step = runtime.apply(case, "overdrag", {"jobmaal_afklaret": "ja"}, local("2027-03-03 10:00"))
    (first,) = missing_notices(step)
    assert (first.k, missed_in_all(first)) == (1, 1)
    late = runtime.fire(step.case, first, first.due_at + timedelta(days=20))
    assert [(t.k, missed_in_all(t)) for t in missing_notices(late)] == [(2, 1)]
    # down for more than a period: the next notice folds the passed occurrences in
    later = runtime.fire(step.case, first, first.due_at + timedelta(days=95))
    assert [(t.k, missed_in_all(t)) for t in missing_notices(later)] == [(4, 3)]


@pytest.mark.parametrize(
    ("fact", "value", "allowed"),
    [
        (MEETING_FACT, "0001-01-01", "fra 2017-03-01 til 2037-03-01 (10 år før til 10 år efter"),
        (MEETING_FACT, "9999-12-31", "fra 2017-03-01 til 2037-03-01"),
        (MEETING_FACT, "2037-03-02", "fra 2017-03-01 til 2037-03-01"),
        (
            "rehab_moede: {titel: Møde, type: dato, tidligst: 2 uger før, senest: 6 måneder}",
            "2027-02-14",
            "fra 2027-02-15 til 2027-09-01 (2 uger før til 6 måneder efter",
        ),
        (
            "rehab_moede: {titel: Møde, type: dato, senest: 0 dage}",
            "2027-03-02",
            "til 2027-03-01 (10 år før til 0 dage efter",
        ),
    ],
    ids=["year-1", "year-9999", "day-after-default", "declared", "not-in-the-future"],
)
def test_a_date_outside_the_facts_plausible_range_is_refused(fact, value, allowed):
    runtime = CaseRuntime(load_text(mini_with(fact)))
    case = runtime.open_case("sag-1", local("2027-03-01 09:00")).case
    data = {"rehab_moede": value, "indstilling": "ressourceforloeb"}
    with pytest.raises(BadEventData) as caught:
        runtime.apply(case, "rehab_holdt", data, local("2027-03-01 10:00"))
    message = str(caught.value)
    assert f"'rehab_moede' = {value} ligger uden for det tilladte" in message
    assert allowed in message
    with pytest.raises(BadEventData):  # opening a case with the fact is checked the same way
        runtime.open_case("sag-2", local("2027-03-01 09:00"), {"rehab_moede": value})


def test_the_range_edges_are_allowed():
    runtime = CaseRuntime(load_text(mini_with(MEETING_FACT)))
    case = runtime.open_case("sag-1", local("2027-03-01 09:00")).case
    for value in ("2017-03-01", "2037-03-01"):
        data = {"rehab_moede": value, "indstilling": "fleksjob"}
        assert runtime.apply(case, "rehab_holdt", data, local("2027-03-01 10:00")).case.facts[
            "rehab_moede"
        ] == date.fromisoformat(value)


@pytest.mark.parametrize(
    ("fact", "problem"),
    [
        ("type: dato, tidligst: 2 arbejdsdage", "'tidligst': brug dage, uger, måneder eller år"),
        ("type: dato, senest: 2 år før", "'senest'"),
        ("type: dato, senest: 900 år", "'senest': højst 800 år"),
        ("type: ja_nej, tidligst: 2 år", "'tidligst' bruges kun med type: dato"),
    ],
    ids=["working-days", "wrong-direction", "too-long", "not-a-date"],
)
def test_check_refuses_a_bad_range_at_its_line(fact, problem):
    text = mini_with(f"rehab_moede: {{titel: Møde, {fact}}}")
    _, problems = parse_text(text, "mini.yaml")
    assert [p.line for p in problems if problem in p.message] == [7]
