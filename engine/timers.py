"""Planning timers: which reminders, escalation steps and check-in notices a rule needs.

Pure functions of (rule, anchor date, now). A timer is identified by a natural key
(case, rule, occurrence, step), so the store can make a second firing impossible with a
UNIQUE constraint. The occurrence carries the case's plan sequence number, which changes
every time a rule is (re)planned, so a re-planned rule never collides with an old timer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum

from engine.calendar import WorkingCalendar
from engine.deadlines import (
    add_duration,
    breach_date,
    due_date,
    escalation_date,
    local_instant,
    occurrence_due,
    reminder_date,
)
from engine.model import Deadline, EscalationStep, Recurring


class TimerKind(Enum):
    REMINDER = "reminder"
    ESCALATION = "escalation"
    CHECKIN_MISSING = "checkin_missing"


@dataclass(frozen=True, order=True)
class Timer:
    due_at: datetime  # aware UTC: when it fires
    case_id: str
    rule: str  # the deadline's, task's or recurring obligation's `navn`
    occurrence: str  # e.g. "p3" (plan 3) or "p4.k2" (plan 4, 2nd occurrence)
    step: str  # "påmindelse.0", "eskalering.1", "mangler"
    kind: TimerKind
    roles: tuple[str, ...]
    due_date: date  # the deadline's (or occurrence's) local due date
    index: int  # which reminder / escalation step
    anchor: date  # the date the rule counts from (a recurring cycle's anchor)
    k: int = 0  # the occurrence number of a recurring obligation (0 for deadlines)

    @property
    def natural_key(self) -> tuple[str, str, str, str]:
        return (self.case_id, self.rule, self.occurrence, self.step)


def deadline_due(rule: Deadline, anchor: date, calendar: WorkingCalendar) -> date:
    return due_date(anchor, rule.duration, rule.adjust, calendar)


def plan_deadline(
    case_id: str,
    rule: Deadline,
    anchor: date,
    occurrence: str,
    now: datetime,
    calendar: WorkingCalendar,
) -> tuple[date, list[Timer]]:
    """The due date and the timers of one deadline: reminders still ahead, first escalation."""
    due = deadline_due(rule, anchor, calendar)
    timers: list[Timer] = []
    for index, reminder in enumerate(rule.reminders):
        day = reminder_date(due, reminder.before, reminder.adjust, calendar)
        at = local_instant(day, rule.time_of_day)
        if at > now:  # a reminder whose moment has passed is never sent late
            timers.append(
                Timer(at, case_id, rule.name, occurrence, f"påmindelse.{index}",
                      TimerKind.REMINDER, reminder.roles, due, index, anchor)
            )  # fmt: skip
    if rule.escalation:
        timers.append(escalation_timer(case_id, rule, occurrence, due, 0, anchor, 0, calendar))
    return due, timers


def escalation_timer(
    case_id: str,
    rule: Deadline | Recurring,
    occurrence: str,
    due: date,
    index: int,
    anchor: date,
    k: int,
    calendar: WorkingCalendar,
) -> Timer:
    step: EscalationStep = rule.escalation[index]
    day = escalation_date(_breach_day(rule, due, calendar), step.after, step.adjust, calendar)
    return Timer(
        local_instant(day, rule.time_of_day), case_id, rule.name, occurrence,
        f"eskalering.{index}", TimerKind.ESCALATION, step.roles, due, index, anchor, k,
    )  # fmt: skip


def _breach_day(rule: Deadline | Recurring, due: date, calendar: WorkingCalendar) -> date:
    """The first working day after the due date (after the grace, for recurring duties)."""
    if isinstance(rule, Recurring):
        return breach_date(add_duration(due, rule.grace, calendar), calendar)
    return breach_date(due, calendar)


def plan_occurrence(
    case_id: str,
    rule: Recurring,
    anchor: date,
    cycle: str,
    k: int,
    now: datetime,
    calendar: WorkingCalendar,
) -> list[Timer]:
    """Occurrence k of a recurring duty: its reminders still ahead and its missing notice."""
    due = occurrence_due(anchor, rule.period, k, rule.adjust, calendar)
    occurrence = f"{cycle}.k{k}"
    timers: list[Timer] = []
    for index, reminder in enumerate(rule.reminders):
        day = reminder_date(due, reminder.before, reminder.adjust, calendar)
        at = local_instant(day, rule.time_of_day)
        if at > now:
            timers.append(
                Timer(at, case_id, rule.name, occurrence, f"påmindelse.{index}",
                      TimerKind.REMINDER, reminder.roles, due, index, anchor, k)
            )  # fmt: skip
    missing_day = _breach_day(rule, due, calendar)
    roles = rule.missing.roles if rule.missing else ()
    timers.append(
        Timer(local_instant(missing_day, rule.time_of_day), case_id, rule.name, occurrence,
              "mangler", TimerKind.CHECKIN_MISSING, roles, due, 0, anchor, k)
    )  # fmt: skip
    return timers
