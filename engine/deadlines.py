"""Deadline arithmetic in the jobcenter's terms. Pure: the calendar is passed in.

- N dage counts from the day after the anchor: the 1st + 14 dage is the 15th.
- N arbejdsdage is the Nth working day after the anchor (0 arbejdsdage is the anchor itself).
- uger end on the same weekday; måneder on the same day of the month, clamped to the month's
  last day (31 January + 1 måned = 28/29 February). With `(månedsslut)` the last day of a
  month gives the last day of the month N months on (28 February + 1 måned = 31 March); any
  other day counts as plain måneder.
- `udgangen af uge N` is the last day (Sunday) of the Nth calendar week (Monday to Sunday)
  after the anchor's own week; `udgangen af uge 0` is the Sunday of the anchor's week.
- A recurring occurrence k is anchor + k × period, computed from the anchor every time, so a
  clamped February never drags later months down to the 28th.
- A date becomes an instant at a local time of day in Europe/Copenhagen, per date, so 08:00
  stays 08:00 on both sides of a DST switch. Lateness is judged by the local date.
"""

from __future__ import annotations

import calendar as gregorian
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from drejebog.engine.calendar import Moved, WorkingCalendar
from drejebog.engine.clock import require_aware
from drejebog.engine.durations import Adjust, Duration, Unit

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
"""The jobcenter's time zone: every date is reasoned about and shown here."""

_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})")


def _month_end(day: date) -> date:
    return day.replace(day=gregorian.monthrange(day.year, day.month)[1])


def _shift(
    anchor: date, amount: int, unit: Unit, calendar: WorkingCalendar, month_end: bool = False
) -> date:
    """Move `anchor` by a signed amount of `unit`."""
    if unit is Unit.DAYS:
        return anchor + timedelta(days=amount)
    if unit is Unit.WEEKS:
        return anchor + timedelta(weeks=amount)
    if unit is Unit.WEEK_ENDS:
        sunday = anchor + timedelta(days=6 - anchor.weekday())
        return sunday + timedelta(weeks=amount)
    if unit is Unit.MONTHS:
        moved: date = anchor + relativedelta(months=amount)
        return _month_end(moved) if month_end and anchor == _month_end(anchor) else moved
    day = anchor
    step = calendar.next_working_day if amount > 0 else calendar.previous_working_day
    for _ in range(abs(amount)):
        day = step(day)
    return day


def add_duration(anchor: date, duration: Duration, calendar: WorkingCalendar) -> date:
    """`anchor` + `duration`, unadjusted (see the module docstring for the counting)."""
    return _shift(anchor, duration.amount, duration.unit, calendar, duration.month_end)


def subtract_duration(day: date, duration: Duration, calendar: WorkingCalendar) -> date:
    """The mirror of add_duration: `day` - `duration` (N arbejdsdage = Nth working day before)."""
    return _shift(day, -duration.amount, duration.unit, calendar, duration.month_end)


def due_date(anchor: date, duration: Duration, adjust: Adjust, calendar: WorkingCalendar) -> date:
    """D = anchor + frist, then the helligdag adjustment."""
    return due_moved(anchor, duration, adjust, calendar).day


def due_moved(anchor: date, duration: Duration, adjust: Adjust, calendar: WorkingCalendar) -> Moved:
    """`due_date`, with the calendar's reason when the adjustment moved it."""
    return calendar.moved(add_duration(anchor, duration, calendar), adjust)


def reminder_date(due: date, before: Duration, adjust: Adjust, calendar: WorkingCalendar) -> date:
    """A reminder's day: D - før, then its helligdag adjustment (`0 dage` = D itself)."""
    return reminder_moved(due, before, adjust, calendar).day


def reminder_moved(due: date, before: Duration, adjust: Adjust, calendar: WorkingCalendar) -> Moved:
    """`reminder_date`, with the calendar's reason when the adjustment moved it."""
    return calendar.moved(subtract_duration(due, before, calendar), adjust)


def breach_date(due: date, calendar: WorkingCalendar) -> date:
    """B, the day a breach notice goes out: the first working day strictly after D."""
    return calendar.next_working_day(due)


def escalation_date(
    breach_day: date, after: Duration, adjust: Adjust, calendar: WorkingCalendar
) -> date:
    """An escalation step's day: B + efter, then its helligdag adjustment (`0 dage` = B)."""
    return escalation_moved(breach_day, after, adjust, calendar).day


def escalation_moved(
    breach_day: date, after: Duration, adjust: Adjust, calendar: WorkingCalendar
) -> Moved:
    """`escalation_date`, with the calendar's reason when the adjustment moved it."""
    return calendar.moved(add_duration(breach_day, after, calendar), adjust)


def occurrence_due(
    anchor: date, period: Duration, k: int, adjust: Adjust, calendar: WorkingCalendar
) -> date:
    """Occurrence k (k >= 1) of a recurring duty: anchor + k × period, then adjusted.

    Computed from the anchor, never chained from the previous due date: anchored 31 October
    monthly gives 30 Nov, 31 Dec, 31 Jan, 28 Feb, 31 Mar (before adjustment). For arbejdsdage it
    is the (k × N)th working day after the anchor.
    """
    return occurrence_moved(anchor, period, k, adjust, calendar).day


def occurrence_moved(
    anchor: date, period: Duration, k: int, adjust: Adjust, calendar: WorkingCalendar
) -> Moved:
    """`occurrence_due`, with the calendar's reason when the adjustment moved it."""
    if k < 1:
        raise ValueError(f"forekomst nummer {k} findes ikke: tælles fra 1")
    moved = _shift(anchor, period.amount * k, period.unit, calendar, period.month_end)
    return calendar.moved(moved, adjust)


def local_instant(day: date, at: time) -> datetime:
    """Local wall time `at` on local date `day` (Europe/Copenhagen), as aware UTC.

    Computed per date, so 08:00 is 07:00Z in winter and 06:00Z in summer. Around the switches:
    a time that does not exist (inside the spring-forward gap, e.g. 02:30 on the last Sunday of
    March) is read with the offset before the switch, so it lands on the later side, at 03:30
    summer time (01:30Z); a time that happens twice (02:30 on the last Sunday of October) is
    the first one, still summer time (00:30Z).
    """
    wall = datetime.combine(day, at.replace(tzinfo=None, fold=0), tzinfo=COPENHAGEN)
    return wall.astimezone(UTC)


def local_date(instant: datetime) -> date:
    """The date in Copenhagen at `instant` (aware; a naive datetime is a ValueError)."""
    return require_aware(instant).astimezone(COPENHAGEN).date()


def is_in_time(event_at: datetime, due: date) -> bool:
    """In time when it happened on or before the due date, by the local (Danish) date."""
    return local_date(event_at) <= due


def parse_time_of_day(text: str) -> time:
    """Read `"HH:MM"` (24-hour clock; "8:00" is read as 08:00). Danish ValueError otherwise."""
    match = _TIME.fullmatch(str(text).strip())
    if match is None:
        raise ValueError(
            f"ugyldigt klokkeslæt '{text}': skriv timer og minutter som \"08:00\" "
            "(i YAML med anførselstegn)"
        )
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise ValueError(
            f"ugyldigt klokkeslæt '{text}': timer skal være 00-23 og minutter 00-59, fx \"08:00\""
        )
    return time(hour, minute)


_APPOINTMENT = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})[ T]([0-9]{1,2}):([0-9]{2})(?::00)?")
APPOINTMENT_FORMAT = "ÅÅÅÅ-MM-DD TT:MM"


def parse_appointment(text: str) -> datetime:
    """A `tidspunkt`: local wall time in Europe/Copenhagen, "2027-03-01 10:00" (or with a
    "T" between date and time, as a browser's datetime-local field sends it, and ":00"
    seconds, as the case's JSON keeps it). Returned naive: it is a wall-clock time, and
    `local_instant` turns it into an instant per date.

    The two DST switches: a time inside the spring-forward gap (02:00-02:59 on the last
    Sunday of March) does not exist in Danish time and is refused; a time in the repeated
    hour (02:00-02:59 on the last Sunday of October) happens twice and is read as the first,
    still summer time, as `local_instant` reads every wall time. Danish ValueError otherwise.
    """
    raw = str(text).strip()
    match = _APPOINTMENT.fullmatch(raw)
    if match is None:
        raise ValueError(
            f"'{raw[:40]}' er ikke et tidspunkt: skriv dato og klokkeslæt som "
            f"{APPOINTMENT_FORMAT}, fx 2027-03-01 10:00"
        )
    year, month, day, hour, minute = (int(part) for part in match.groups())
    try:
        on = date(year, month, day)
    except ValueError:
        raise ValueError(
            f"'{raw}' er ikke et tidspunkt: datoen {year:04d}-{month:02d}-{day:02d} findes ikke"
        ) from None
    if hour > 23 or minute > 59:
        raise ValueError(
            f"'{raw}' er ikke et tidspunkt: timer skal være 00-23 og minutter 00-59"
        )
    wall = datetime.combine(on, time(hour, minute))
    if not exists_locally(wall):
        raise ValueError(
            f"'{raw}' findes ikke i dansk tid: natten til {on:%d.%m.%Y} stilles uret frem fra "
            "02:00 til 03:00 (sommertid); vælg et andet klokkeslæt, fx 03:00"
        )
    return wall


def exists_locally(wall: datetime) -> bool:
    """Whether a naive wall time exists in Copenhagen (False inside the spring-forward gap):
    a real wall time survives the round trip through UTC unchanged."""
    there = wall.replace(tzinfo=COPENHAGEN)
    back = there.astimezone(UTC).astimezone(COPENHAGEN).replace(tzinfo=None)
    return back == wall
