"""Planning timers: which reminders, escalation steps and check-in notices a rule needs.

Pure functions of (rule, anchor date, now). A timer is identified by a natural key
(case, rule, occurrence, step), so the store can make a second firing impossible with a
UNIQUE constraint. The occurrence carries the case's plan sequence number, which changes
every time a rule is (re)planned, so a re-planned rule never collides with an old timer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from drejebog.engine.calendar import WorkingCalendar
from drejebog.engine.deadlines import escalation_date, local_instant, reminder_date
from drejebog.engine.model import Deadline, EscalationStep, Recurring, TimerKind

__all__ = [
    "Timer",
    "TimerKind",
    "escalation_timer",
    "first_escalation_from",
    "plan_deadline",
    "plan_occurrence",
    "reminder_timers",
    "replan_cycle",
    "replan_deadline",
]


@dataclass(frozen=True, kw_only=True)
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
                    due_at=at,
                    case_id=case_id,
                    rule=rule.name,
                    occurrence=occurrence,
                    step=f"påmindelse.{index}",
                    kind=TimerKind.REMINDER,
                    roles=reminder.roles,
                    due_date=due,
                    index=index,
                    anchor=anchor,
                    k=k,
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
    due = rule.due(anchor, calendar)
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
    day = escalation_date(rule.breach_day(due, calendar), step.after, step.adjust, calendar)
    return Timer(
        due_at=local_instant(day, rule.time_of_day),
        case_id=case_id,
        rule=rule.name,
        occurrence=occurrence,
        step=f"eskalering.{index}",
        kind=TimerKind.ESCALATION,
        roles=step.roles,
        due_date=due,
        index=index,
        anchor=anchor,
        k=k,
    )


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
    due = rule.due(anchor, k, calendar)
    occurrence = f"{cycle}.k{k}"
    timers = reminder_timers(case_id, rule, occurrence, due, anchor, k, now, calendar)
    missing_day = rule.breach_day(due, calendar)
    roles = rule.missing.roles if rule.missing else ()
    timers.append(
        Timer(
            due_at=local_instant(missing_day, rule.time_of_day),
            case_id=case_id,
            rule=rule.name,
            occurrence=occurrence,
            step="mangler",
            kind=TimerKind.CHECKIN_MISSING,
            roles=roles,
            due_date=due,
            index=0,
            anchor=anchor,
            k=k,
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
