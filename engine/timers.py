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

from drejebog.engine.calendar import WorkingCalendar
from drejebog.engine.deadlines import (
    add_duration,
    breach_date,
    due_date,
    escalation_date,
    local_instant,
    occurrence_due,
    reminder_date,
)
from drejebog.engine.model import Deadline, EscalationStep, Recurring


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


def reminder_timers(
    case_id: str,
    rule: Deadline | Recurring,
    occurrence: str,
    due: date,
    anchor: date,
    k: int,
    now: datetime,
    calendar: WorkingCalendar,
) -> list[Timer]:
    """The reminders before `due` still ahead of `now` (a passed one is never sent late)."""
    timers: list[Timer] = []
    for index, reminder in enumerate(rule.reminders):
        day = reminder_date(due, reminder.before, reminder.adjust, calendar)
        at = local_instant(day, rule.time_of_day)
        if at > now:
            timers.append(
                Timer(
                    at,
                    case_id,
                    rule.name,
                    occurrence,
                    f"påmindelse.{index}",
                    TimerKind.REMINDER,
                    reminder.roles,
                    due,
                    index,
                    anchor,
                    k,
                )
            )
    return timers


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
    timers = reminder_timers(case_id, rule, occurrence, due, anchor, 0, now, calendar)
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
        local_instant(day, rule.time_of_day),
        case_id,
        rule.name,
        occurrence,
        f"eskalering.{index}",
        TimerKind.ESCALATION,
        step.roles,
        due,
        index,
        anchor,
        k,
    )


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
    timers = reminder_timers(case_id, rule, occurrence, due, anchor, k, now, calendar)
    missing_day = _breach_day(rule, due, calendar)
    roles = rule.missing.roles if rule.missing else ()
    timers.append(
        Timer(
            local_instant(missing_day, rule.time_of_day),
            case_id,
            rule.name,
            occurrence,
            "mangler",
            TimerKind.CHECKIN_MISSING,
            roles,
            due,
            0,
            anchor,
            k,
        )
    )
    return timers


def first_escalation_from(
    case_id: str,
    rule: Deadline | Recurring,
    occurrence: str,
    due: date,
    anchor: date,
    k: int,
    now: datetime,
    calendar: WorkingCalendar,
) -> Timer | None:
    """The first rung of the ladder that is still ahead of `now` (the ladder goes on from it)."""
    for index in range(len(rule.escalation)):
        timer = escalation_timer(case_id, rule, occurrence, due, index, anchor, k, calendar)
        if timer.due_at >= now:
            return timer
    return None


def replan_deadline(
    case_id: str,
    rule: Deadline,
    anchor: date,
    occurrence: str,
    now: datetime,
    calendar: WorkingCalendar,
) -> tuple[date, list[Timer]]:
    """A deadline's timers from `now` on, for a case that entered its state earlier."""
    due, timers = plan_deadline(case_id, rule, anchor, occurrence, now, calendar)
    timers = [t for t in timers if t.kind is TimerKind.REMINDER]
    ladder = first_escalation_from(case_id, rule, occurrence, due, anchor, 0, now, calendar)
    return due, [*timers, *([ladder] if ladder else [])]


def replan_cycle(
    case_id: str,
    rule: Recurring,
    anchor: date,
    cycle: str,
    now: datetime,
    calendar: WorkingCalendar,
) -> list[Timer]:
    """A running cycle's timers from `now` on: the first occurrence whose missing notice is
    still ahead, and the rest of the ladder of the occurrence before it."""
    k = 1
    while True:
        timers = plan_occurrence(case_id, rule, anchor, cycle, k, now, calendar)
        missing = next(t for t in timers if t.kind is TimerKind.CHECKIN_MISSING)
        if missing.due_at >= now:
            break
        k += 1
    if k > 1:
        previous = plan_occurrence(case_id, rule, anchor, cycle, k - 1, now, calendar)
        notice = next(t for t in previous if t.kind is TimerKind.CHECKIN_MISSING)
        ladder = first_escalation_from(
            case_id, rule, notice.occurrence, notice.due_date, anchor, k - 1, now, calendar
        )
        if ladder is not None:
            timers.append(ladder)
    return timers
