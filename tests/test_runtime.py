"""The case runtime on the mini drejebog: state changes, tasks, deadlines, cycles, errors."""

from __future__ import annotations

from datetime import UTC, date

import pytest

from drejebog.engine.errors import BadEventData, EventNotAllowed, GuardRejected, UnknownEvent
from drejebog.engine.runtime import CaseRuntime
from tests.conftest import brief, local, run_case

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
