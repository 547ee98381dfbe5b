"""The rule kinds carry their behaviour: owner, time of day, due date, breach day, message.

A caller asks a rule, whatever its kind, and never tells a deadline from a task or a recurring
duty itself (a task's reminder once said 08:00 because `Task` had no time of day).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time

import pytest

from drejebog.engine.deadlines import COPENHAGEN
from drejebog.engine.loader import load_text
from drejebog.engine.model import Deadline, Recurring, Task, TimerKind
from drejebog.engine.names import KIND_NAMES, danish_kind
from drejebog.engine.runtime import CaseRuntime, Record
from drejebog.engine.timers import Timer
from tests.conftest import local

REHAB = {"rehab_moede": "2027-03-01", "indstilling": "ressourceforloeb"}

TASK_AT_TEN = """
drejebog: klokken_ti
titel: En opgave med frist kl. 10
version: 1
start: modtaget
tilstande:
  modtaget:
    titel: Modtaget
    opgaver:
      - navn: ring_op
        titel: Ring borgeren op
        rolle: sagsbehandler
        frist: 5 dage
        klokken: "10:00"
        opfyldes_af: ringet
        påmindelser:
          - før: 1 dag
            til: sagsbehandler
            emne: "Ring op"
            tekst: "Fristen er {{ frist.dato | dansk_dato }} kl. {{ frist.klokken }}."
      - navn: uden_frist
        titel: En opgave uden frist
        rolle: sagsbehandler
  slut:
    titel: Slut
    slut: true
hændelser:
  ringet:
    fra: modtaget
    til: slut
"""


@pytest.fixture(scope="module")
def task_at_ten():
    return load_text(TASK_AT_TEN, "klokken_ti.yaml")


def rule_of(drejebog, name):
    return drejebog.rule(name)[1]


def test_each_kind_names_its_owner(mini):
    assert rule_of(mini, "overdragelse").owner == "sagsbehandler"  # a deadline's ejer
    assert rule_of(mini, "hjemmemoede").owner == "sagsbehandler"  # a task's rolle
    assert rule_of(mini, "tilbagemelding").owner == "borger"  # a recurring duty's ejer


def test_a_task_has_the_time_of_day_of_its_deadline(task_at_ten):
    task = rule_of(task_at_ten, "ring_op")
    assert isinstance(task, Task) and task.deadline is not None
    assert task.time_of_day == task.deadline.time_of_day == time(10, 0)
    # a task without a deadline has the drejebog's time of day (it plans no timers)
    assert rule_of(task_at_ten, "uden_frist").time_of_day == time(8, 0)


def test_a_tasks_reminder_fires_at_the_time_of_day_of_its_deadline(task_at_ten):
    step = CaseRuntime(task_at_ten).open_case("sag", local("2027-03-01 09:00"))
    (reminder,) = step.schedule
    assert reminder.kind is TimerKind.REMINDER
    # due 6 March, a Saturday, moved back to Friday 5 March; the reminder a day before
    assert reminder.due_date == date(2027, 3, 5)
    assert f"{reminder.due_at.astimezone(COPENHAGEN):%Y-%m-%d %H:%M}" == "2027-03-04 10:00"


def test_timing_is_the_rule_that_plans_the_timers(mini, task_at_ten):
    deadline, recurring = rule_of(mini, "overdragelse"), rule_of(mini, "tilbagemelding")
    assert deadline.timing is deadline and recurring.timing is recurring
    task = rule_of(task_at_ten, "ring_op")
    assert task.timing is task.deadline
    assert rule_of(task_at_ten, "uden_frist").timing is None


def test_each_kind_finds_the_message_of_a_timer_kind_and_step(mini, task_at_ten):
    deadline = rule_of(mini, "overdragelse")
    assert deadline.message_for(TimerKind.REMINDER, 0).template == "paamindelse"
    assert deadline.message_for(TimerKind.ESCALATION, 1) is deadline.escalation[1].message
    assert deadline.message_for(TimerKind.CHECKIN_MISSING, 0) is None
    recurring = rule_of(mini, "tilbagemelding")
    assert recurring.message_for(TimerKind.CHECKIN_MISSING, 0) is recurring.missing.message
    assert recurring.message_for(TimerKind.ESCALATION, 0) is recurring.escalation[0].message
    assert replace(recurring, missing=None).message_for(TimerKind.CHECKIN_MISSING, 0) is None
    task = rule_of(task_at_ten, "ring_op")
    assert task.message_for(TimerKind.REMINDER, 0).subject == "Ring op"
    assert rule_of(task_at_ten, "uden_frist").message_for(TimerKind.REMINDER, 0) is None


def test_due_dates_and_breach_days(mini):
    runtime = CaseRuntime(mini)
    deadline = rule_of(mini, "overdragelse")
    assert isinstance(deadline, Deadline)
    due = deadline.due(date(2027, 3, 1), runtime.calendar)  # 14 dage from the meeting
    assert due == date(2027, 3, 15)
    assert deadline.breach_day(due, runtime.calendar) == date(2027, 3, 16)
    recurring = rule_of(mini, "tilbagemelding")
    assert isinstance(recurring, Recurring)
    # 1 måned from 1 May; the 3 dage of grace count before the next working day
    assert recurring.due(date(2027, 4, 1), 1, runtime.calendar) == date(2027, 5, 1)
    assert recurring.breach_day(date(2027, 5, 1), runtime.calendar) == date(2027, 5, 5)


def test_every_kind_has_one_danish_name():
    assert {kind.danish for kind in TimerKind} == {
        "påmindelse",
        "eskalering",
        "mangler",
        "mangler i træk",
        "for få",
    }
    assert all(kind.value in KIND_NAMES for kind in TimerKind)
    assert [danish_kind(k) for k in ("state", "task", "milestone", "digest")] == [
        "tilstand",
        "opgave",
        "milepæl",
        "dagens overblik",
    ]
    assert danish_kind("ukendt") == "ukendt"


def test_a_timer_due_before_a_migration_fires_once_under_its_version(mini):
    runtime = CaseRuntime(mini)
    opened = runtime.open_case("sag-1", local("2027-03-01 09:00"), citizen_name="Anna")
    step = runtime.apply(opened.case, "rehab_holdt", REHAB, local("2027-03-01 10:00"))
    reminder = next(t for t in step.schedule if t.kind is TimerKind.REMINDER)
    fired = runtime.fire_superseded(step.case, reminder, local("2027-03-13 09:00"))
    assert fired.case is step.case and fired.schedule == [] and fired.cancel_rules == []
    (record,) = fired.records
    assert (record.kind, record.name, record.role, record.step) == (
        "reminder",
        "overdragelse",
        "sagsbehandler",
        "påmindelse.0",
    )
    assert record.due_date == date(2027, 3, 15) and record.late_seconds == 25 * 3600


def test_timer_and_record_take_keywords_only():
    with pytest.raises(TypeError):
        Timer(local("2027-03-01 09:00"), "sag", "r", "p1", "mangler")  # type: ignore[misc]
    with pytest.raises(TypeError):
        Record(local("2027-03-01 09:00"), "sag", "state", "s", None, "s", "S")  # type: ignore[misc]
