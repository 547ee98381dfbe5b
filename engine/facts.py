"""Event data arrives as text (the CLI) or YAML values (scenarios): convert it by fact type."""

from __future__ import annotations

import re
from datetime import date, datetime

from drejebog.engine.calendar import WorkingCalendar
from drejebog.engine.deadlines import add_duration, parse_appointment, subtract_duration
from drejebog.engine.durations import Duration, Unit
from drejebog.engine.errors import DrejebogError
from drejebog.engine.model import Fact, FactType

# a fact's range is in dage, uger, måneder or år (the parser refuses arbejdsdage), so the
# calendar's working days are never asked for
_NO_CALENDAR = WorkingCalendar()

_TRUE = {"ja", "true", "sand", "1"}
_FALSE = {"nej", "false", "falsk", "0"}


class FactValueError(DrejebogError, ValueError):
    """A value that does not fit its fact's type; the message names the fact and the value."""


def convert_fact(fact: Fact, value: object) -> object:
    """`value` as the fact's type; raises FactValueError naming the fact and the value."""
    if value is None:
        return None
    if fact.type is FactType.DATE:
        if isinstance(value, datetime):
            raise FactValueError(f"'{fact.id}' skal være en dato, ikke et tidspunkt ('{value}')")
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            raise FactValueError(
                f"'{fact.id}' skal være en dato som 2027-03-01, ikke '{value}'"
            ) from None
    if fact.type is FactType.APPOINTMENT:
        return convert_appointment(fact, value)
    if fact.type is FactType.YES_NO:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE | _FALSE:
            return text in _TRUE
        raise FactValueError(f"'{fact.id}' skal være ja eller nej, ikke '{value}'")
    if fact.type is FactType.NUMBER:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        try:
            number = float(str(value).replace(",", "."))
        except ValueError:
            raise FactValueError(f"'{fact.id}' skal være et tal, ikke '{value}'") from None
        return int(number) if number.is_integer() else number
    text = str(value)
    if fact.type is FactType.CHOICE and text not in fact.values:
        raise FactValueError(
            f"'{text}' er ikke en gyldig værdi for '{fact.id}' (vælg mellem: "
            f"{', '.join(fact.values)})"
        )
    return text


def convert_appointment(fact: Fact, value: object) -> datetime:
    """A `tidspunkt` fact's value: a naive local wall time (engine/deadlines.py
    `parse_appointment`; a time in the spring-forward gap is refused, one in the repeated
    autumn hour is the first). A bare date is refused: a meeting needs its time of day."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise FactValueError(
                f"'{fact.id}' skal være lokal dansk tid uden tidszone, ikke '{value}'"
            )
        value = value.isoformat(sep=" ", timespec="minutes") if not value.second else value
    elif isinstance(value, date):
        raise FactValueError(
            f"'{fact.id}' skal være et tidspunkt med klokkeslæt, fx "
            f"{value.isoformat()} 10:00, ikke kun datoen"
        )
    try:
        return parse_appointment(str(value))
    except ValueError as exc:
        raise FactValueError(f"'{fact.id}': {exc}") from None


def check_plausible(fact: Fact, value: object, today: date) -> None:
    """Refuse a date fact's value outside its plausible range around `today` (the date of
    the event that sets it): a meeting in 1900 or 9999 is a typing error, and would make a
    recurring duty catch up a century (engine/timers.py caps that too)."""
    if fact.type not in (FactType.DATE, FactType.APPOINTMENT) or not isinstance(value, date):
        return
    if isinstance(value, datetime):
        value = value.date()
    first = subtract_duration(today, fact.earliest, _NO_CALENDAR)
    last = add_duration(today, fact.latest, _NO_CALENDAR)
    if not first <= value <= last:
        raise FactValueError(
            f"'{fact.id}' = {value.isoformat()} ligger uden for det tilladte: fra "
            f"{first.isoformat()} til {last.isoformat()} ({span_text(fact.earliest)} før til "
            f"{span_text(fact.latest)} efter hændelsens dato {today.isoformat()}); ret datoen, "
            "eller giv faktummet et andet 'tidligst'/'senest' i drejebogen"
        )


def span_text(duration: Duration) -> str:
    """A range's length as the guide writes it: whole years as 'år'."""
    if duration.unit is Unit.MONTHS and duration.amount and duration.amount % 12 == 0:
        return f"{duration.amount // 12} år"
    return str(duration)


_STORED_APPOINTMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:00")


def shown_fact(value: object) -> object:
    """A stored fact as people read it: a `tidspunkt` (kept in the case's JSON as
    '2027-03-01T10:00:00') as '2027-03-01 10:00', the local wall time it is; anything else
    as it is. `case show` and the web case page both use it."""
    if isinstance(value, str) and _STORED_APPOINTMENT.fullmatch(value):
        return value.replace("T", " ")[:16]
    return value
