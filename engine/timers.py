"""Planning timers: which reminders, escalation steps and check-in notices a rule needs.

Pure functions of (rule, anchor date, now). A timer is identified by a natural key
(case, rule, occurrence, step), so the store can make a second firing impossible with a
UNIQUE constraint. The occurrence carries the case's plan sequence number, which changes
every time a rule is (re)planned, so a re-planned rule never collides with an old timer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from drejebog.engine.calendar import Moved, WorkingCalendar
from drejebog.engine.deadlines import escalation_moved, local_instant, reminder_moved
from drejebog.engine.model import AtLeast, Deadline, EscalationStep, Recurring, TimerKind

__all__ = [
    "Timer",
    "TimerKind",
    "catch_up_escalation",
    "count_check_timer",
    "escalation_timer",
    "first_ahead",
    "in_a_row_timer",
    "missed_in_all",
    "plan_deadline",
    "plan_duty",
    "plan_occurrence",
    "replan_cycle",
    "window_of",
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
    index: int  # which reminder / escalation step; a missing notice: occurrences folded in
    anchor: date  # the date the rule counts from (a recurring cycle's anchor)
    k: int = 0  # the occurrence number of a recurring obligation (0 for deadlines)
    # why the calendar moved the due date and this timer's own day (Danish, from
    # WorkingCalendar.moved; None: not moved). The simulator shows them; they are not stored
    # (store/timer_rows.py leaves out a field marked so): the daemon's messages do not say it
    due_moved: str | None = field(default=None, compare=False, metadata={"stored": False})
    day_moved: str | None = field(default=None, compare=False, metadata={"stored": False})

    @property
    def natural_key(self) -> tuple[str, str, str, str]:
        return (self.case_id, self.rule, self.occurrence, self.step)


@dataclass(slots=True)  # not frozen: a frozen __init__ cost 0.5 µs per plan (measured)
class _Occurrence:
    """One occurrence of a rule being planned: what all its timers share, and the timers."""

    case_id: str
    rule: Deadline | Recurring
    occurrence: str
    due_date: date
    anchor: date
    k: int
    due_moved: str | None = None  # why the calendar moved the due date (None: it did not)
    # the wall-clock time of the appointment the rule counts from (a `tidspunkt` anchor):
    # its reminders go out at that time unless they say their own `klokken`
    appointment: time | None = None

    def timer(
        self,
        due_at: datetime,
        step: str,
        kind: TimerKind,
        roles: tuple[str, ...],
        index: int,
        day_moved: str | None = None,
    ) -> Timer:
        return Timer(
            due_at=due_at,
            case_id=self.case_id,
            rule=self.rule.name,
            occurrence=self.occurrence,
            step=step,
            kind=kind,
            roles=roles,
            due_date=self.due_date,
            index=index,
            anchor=self.anchor,
            k=self.k,
            due_moved=self.due_moved,
            day_moved=day_moved,
        )

    def reminders(self, now: datetime, calendar: WorkingCalendar) -> list[Timer]:
        """The reminders before the due date still ahead of `now` (a passed one is never
        sent late). Each at its own `klokken`, else the appointment's time, else the rule's:
        a wall-clock time on its own local date, so across a DST switch it stays the time
        the meeting is at."""
        timers: list[Timer] = []
        for index, reminder in enumerate(self.rule.reminders):
            day = reminder_moved(self.due_date, reminder.before, reminder.adjust, calendar)
            clock = reminder.time_of_day or self.appointment or self.rule.time_of_day
            at = local_instant(day.day, clock)
            if at > now:
                step = f"påmindelse.{index}"
                kind = TimerKind.REMINDER
                timers.append(self.timer(at, step, kind, reminder.roles, index, day.reason))
        return timers

    def escalation(self, index: int, calendar: WorkingCalendar) -> Timer:
        """Rung `index` of the escalation ladder."""
        rule = self.rule
        step: EscalationStep = rule.escalation[index]
        breach = rule.breach_day(self.due_date, calendar)
        day = escalation_moved(breach, step.after, step.adjust, calendar)
        at = local_instant(day.day, rule.time_of_day)
        kind = TimerKind.ESCALATION
        return self.timer(at, f"eskalering.{index}", kind, step.roles, index, day.reason)

    def first_escalation_from(self, now: datetime, calendar: WorkingCalendar) -> Timer | None:
        """The first rung of the ladder still ahead of `now` (the ladder goes on from it)."""
        for index in range(len(self.rule.escalation)):
            timer = self.escalation(index, calendar)
            if timer.due_at >= now:
                return timer
        return None


def plan_deadline(
    case_id: str,
    rule: Deadline,
    anchor: date,
    occurrence: str,
    now: datetime,
    calendar: WorkingCalendar,
    appointment: time | None = None,
) -> tuple[Moved, list[Timer]]:
    """The due date (and why the calendar moved it) and the timers of one deadline: the
    reminders still ahead of `now` and the first rung of the escalation ladder still ahead
    of `now` (the ladder goes on from it). A reminder or rung whose time has passed when
    the deadline is planned (an anchor fact far back, a migration) is never sent late:
    planning is not a catch-up. `appointment`: the wall-clock time of a `tidspunkt` anchor."""
    due = rule.due_moved(anchor, calendar)
    planned = _Occurrence(
        case_id, rule, occurrence, due.day, anchor, 0, due.reason, appointment
    )
    timers = planned.reminders(now, calendar)
    ladder = planned.first_escalation_from(now, calendar)
    if ladder is not None:
        timers.append(ladder)
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
    due_moved: str | None = None,
) -> Timer:
    """Rung `index` of the escalation ladder of a rule's occurrence (the rung after a fired
    one, or the first after a missing check-in)."""
    planned = _Occurrence(case_id, rule, occurrence, due, anchor, k, due_moved)
    return planned.escalation(index, calendar)


def plan_occurrence(
    case_id: str,
    rule: Recurring,
    anchor: date,
    cycle: str,
    k: int,
    now: datetime,
    calendar: WorkingCalendar,
) -> list[Timer]:
    """Occurrence k of a recurring duty: its reminders still ahead and its missing notice.

    The catch-up ceiling: when the missing notice of occurrence k+1 has passed too (an
    anchor far in the past, or a standstill longer than a period), the occurrences are not
    planned one by one. Only the latest one whose notice has passed is planned; its notice
    stands for all of them, and its `index` counts the earlier ones it folds in (so the
    message can say how many are missing in all, see `missed_in_all`)."""
    latest = _last_missed(rule, anchor, now, calendar, after=k)
    folded = 0
    if latest > k:
        folded, k = latest - k, latest
    due = rule.due_moved(anchor, k, calendar)
    planned = _Occurrence(case_id, rule, f"{cycle}.k{k}", due.day, anchor, k, due.reason)
    timers = planned.reminders(now, calendar)
    roles = rule.missing.roles if rule.missing else ()
    missing_at = _missing_at(rule, due.day, calendar)
    timers.append(planned.timer(missing_at, "mangler", TimerKind.CHECKIN_MISSING, roles, folded))
    return timers


def missed_in_all(timer: Timer) -> int:
    """How many occurrences a missing notice stands for: 1, or more after a catch-up."""
    return timer.index + 1 if timer.kind is TimerKind.CHECKIN_MISSING else 0


def catch_up_escalation(
    case_id: str,
    rule: Recurring,
    notice: Timer,
    now: datetime,
    calendar: WorkingCalendar,
) -> Timer | None:
    """After a catch-up notice (one standing for several occurrences), the ladder goes on
    from its first rung still ahead of `now`: the rungs already passed are folded in too."""
    planned = _Occurrence(
        case_id, rule, notice.occurrence, notice.due_date, notice.anchor, notice.k, notice.due_moved
    )
    return planned.first_escalation_from(now, calendar)


def _missing_at(rule: Recurring, due: date, calendar: WorkingCalendar) -> datetime:
    return local_instant(rule.breach_day(due, calendar), rule.time_of_day)


def _last_missed(
    rule: Recurring, anchor: date, now: datetime, calendar: WorkingCalendar, after: int = 0
) -> int:
    """The highest k after `after` whose missing notice lies before `now` (`after` if none).

    The notice instants never decrease with k (a later occurrence is never adjusted to
    before an earlier one), so a galloping search finds k in O(log k) steps: an anchor a
    century back costs a few dozen date computations, not a thousand. The usual answer
    (the next notice is still ahead) costs one."""

    def passed(k: int) -> bool:
        return _missing_at(rule, rule.due(anchor, k, calendar), calendar) < now

    low, step = after, 1  # low is `after` or an occurrence whose notice has passed
    while passed(low + step):
        low, step = low + step, step * 2
    high = low + step  # its notice is still ahead
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if passed(middle) else (low, middle)
    return low


def first_ahead(rule: Recurring, anchor: date, now: datetime, calendar: WorkingCalendar) -> int:
    """The first occurrence whose missing notice is still ahead of `now`."""
    return _last_missed(rule, anchor, now, calendar) + 1


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
    k = _last_missed(rule, anchor, now, calendar) + 1
    timers = plan_occurrence(case_id, rule, anchor, cycle, k, now, calendar)
    if k > 1:
        previous = rule.due_moved(anchor, k - 1, calendar)
        occurrence = f"{cycle}.k{k - 1}"
        planned = _Occurrence(
            case_id, rule, occurrence, previous.day, anchor, k - 1, previous.reason
        )
        ladder = planned.first_escalation_from(now, calendar)
        if ladder is not None:
            timers.append(ladder)
    return timers


def window_of(rule: Recurring, anchor: date, day: date, calendar: WorkingCalendar) -> int:
    """The occurrence whose window (previous due date, its due date] holds `day`: the
    smallest k >= 1 whose due date is on or after `day`. Galloping, as `_last_missed`."""

    def before(k: int) -> bool:
        return rule.due(anchor, k, calendar) < day

    if not before(1):
        return 1
    low, step = 1, 1  # low: an occurrence due before `day`
    while before(low + step):
        low, step = low + step, step * 2
    high = low + step  # due on or after `day`
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if before(middle) else (low, middle)
    return high


def plan_duty(
    case_id: str,
    rule: Recurring,
    anchor: date,
    cycle: str,
    open_k: int,
    ladder_k: int,
    now: datetime,
    calendar: WorkingCalendar,
) -> list[Timer]:
    """A duty's timers after a report-back or a resolved miss (fixed due dates never move):
    occurrence `open_k` (reminders still ahead, its missing notice) and, when `ladder_k` is
    a missed occurrence nobody has answered yet, the rest of its escalation ladder from the
    first rung still ahead of `now` (a rung already passed is not sent late)."""
    timers = plan_occurrence(case_id, rule, anchor, cycle, open_k, now, calendar)
    if ladder_k >= 1:
        due = rule.due_moved(anchor, ladder_k, calendar)
        occurrence = f"{cycle}.k{ladder_k}"
        planned = _Occurrence(case_id, rule, occurrence, due.day, anchor, ladder_k, due.reason)
        ladder = planned.first_escalation_from(now, calendar)
        if ladder is not None:
            timers.append(ladder)
    return timers


def in_a_row_timer(
    case_id: str, rule: Recurring, notice: Timer, index: int, now: datetime
) -> Timer:
    """Rung `index` of `mangler_i_træk`, set going by the missing notice that completed the
    streak: it fires at once, and its natural key makes a second firing impossible."""
    rung = rule.in_a_row[index]
    planned = _Occurrence(
        case_id, rule, notice.occurrence, notice.due_date, notice.anchor, notice.k, notice.due_moved
    )
    return planned.timer(now, f"i_træk.{index}", TimerKind.IN_A_ROW, rung.roles, index)


def count_check_timer(
    case_id: str, rule: AtLeast, anchor: date, occurrence: str, calendar: WorkingCalendar
) -> Timer:
    """The one timer of a `mindst` rule: it checks the count on the first working day after
    the period's last day, at the rule's time of day (planned even when that has passed, as
    after a migration: then it checks at once)."""
    day = rule.check_day(anchor, calendar)
    return Timer(
        due_at=local_instant(day.day, rule.time_of_day),
        case_id=case_id,
        rule=rule.name,
        occurrence=occurrence,
        step="tjek",
        kind=TimerKind.AT_LEAST,
        roles=rule.roles,
        due_date=day.day,
        index=0,
        anchor=anchor,
        due_moved=day.reason,
    )
