"""Deadline arithmetic in the jobcenter's terms. Pure: the calendar is passed in.

- N dage counts from the day after the anchor: the 1st + 14 dage is the 15th.
- N arbejdsdage is the Nth working day after the anchor.
- uger end on the same weekday; måneder on the same day of the month, clamped to the month's
  last day (31 January + 1 måned = 28/29 February).
- A recurring occurrence k is anchor + k × period, computed from the anchor every time.
- A date becomes an instant at a local time of day in Europe/Copenhagen, per date, so 08:00
  stays 08:00 on both sides of a DST switch.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from engine.calendar import WorkingCalendar
from engine.durations import Adjust, Duration, Unit

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


def _shift(anchor: date, amount: int, unit: Unit, calendar: WorkingCalendar) -> date:
    """Move `anchor` by a signed amount of `unit`."""
    if unit is Unit.DAYS:
        return anchor + timedelta(days=amount)
    if unit is Unit.WEEKS:
        return anchor + timedelta(weeks=amount)
    if unit is Unit.MONTHS:
        return anchor + relativedelta(months=amount)
    day = anchor
    step = calendar.next_working_day if amount > 0 else calendar.previous_working_day
    for _ in range(abs(amount)):
        day = step(day)
    return day


def add_duration(anchor: date, duration: Duration, calendar: WorkingCalendar) -> date:
    return _shift(anchor, duration.amount, duration.unit, calendar)


def subtract_duration(day: date, duration: Duration, calendar: WorkingCalendar) -> date:
    return _shift(day, -duration.amount, duration.unit, calendar)


def due_date(anchor: date, duration: Duration, adjust: Adjust, calendar: WorkingCalendar) -> date:
    return calendar.adjust(add_duration(anchor, duration, calendar), adjust)


def reminder_date(due: date, before: Duration, adjust: Adjust, calendar: WorkingCalendar) -> date:
    return calendar.adjust(subtract_duration(due, before, calendar), adjust)


def breach_date(due: date, calendar: WorkingCalendar) -> date:
    """The day a breach notice goes out: the first working day after the due date."""
    return calendar.next_working_day(due)


def escalation_date(
    breach_day: date, after: Duration, adjust: Adjust, calendar: WorkingCalendar
) -> date:
    return calendar.adjust(add_duration(breach_day, after, calendar), adjust)


def occurrence_due(
    anchor: date, period: Duration, k: int, adjust: Adjust, calendar: WorkingCalendar
) -> date:
    """Occurrence k (k >= 1) of a recurring duty, computed from the anchor, never chained."""
    if k < 1:
        raise ValueError("k skal være mindst 1")
    return calendar.adjust(_shift(anchor, period.amount * k, period.unit, calendar), adjust)


def local_instant(day: date, at: time) -> datetime:
    """Local wall time `at` on local date `day` (Europe/Copenhagen), as aware UTC.

    A time that does not exist (inside the spring-forward gap, e.g. 02:30 on the last Sunday of
    March) is read with the offset before the switch, so it lands just after the gap.
    """
    return datetime.combine(day, at, tzinfo=COPENHAGEN).astimezone(UTC)


def local_date(instant: datetime) -> date:
    if instant.tzinfo is None:
        raise ValueError(f"tidspunktet mangler tidszone: {instant.isoformat()}")
    return instant.astimezone(COPENHAGEN).date()


def is_in_time(event_at: datetime, due: date) -> bool:
    """In time when it happened on or before the due date, by the local (Danish) date."""
    return local_date(event_at) <= due


def parse_time_of_day(text: str) -> time:
    match = _TIME.match(str(text))
    if match is None:
        raise ValueError(f"ugyldigt klokkeslæt '{text}': skriv fx \"08:00\"")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise ValueError(f"ugyldigt klokkeslæt '{text}': timer 00-23 og minutter 00-59")
    return time(hour, minute)
