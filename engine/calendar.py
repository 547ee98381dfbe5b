"""Danish working days: what a jobcenter counts arbejdsdage and moves deadlines by.

Non-working: Saturday, Sunday, the public holidays (from the `holidays` package's PUBLIC
category, which knows Store Bededag stopped being one in 2024), grundlovsdag (5 June),
juleaftensdag (24 December), nytårsaftensdag (31 December), and the drejebog's own closing
days. 1 May is a working day, so the package's optional category (which adds it) is not used.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from types import MappingProxyType

import holidays
from holidays.constants import PUBLIC

from drejebog.engine.durations import Adjust

_FIXED_CLOSED = {(6, 5): "Grundlovsdag", (12, 24): "Juleaftensdag", (12, 31): "Nytårsaftensdag"}
_WEEKEND = {5: "lørdag", 6: "søndag"}
_CLOSING_DAY = "lokal lukkedag"
_ONE_DAY = timedelta(days=1)
_MONTHS = (
    "januar", "februar", "marts", "april", "maj", "juni",
    "juli", "august", "september", "oktober", "november", "december",
)  # fmt: skip
# how a holiday is named where a moved date is explained ("2. påskedag → 30.03.2027")
_SHORT_NAMES = {
    "Anden påskedag": "2. påskedag",
    "Anden pinsedag": "2. pinsedag",
    "Anden juledag": "2. juledag",
}


@dataclass(frozen=True, slots=True)
class Moved:
    """A date after the helligdag rule: the day, and, when the rule moved it, why, in Danish
    ("24. december er lukkedag → 23.12.2027", "2. påskedag → 30.03.2027")."""

    day: date
    reason: str | None = None


@lru_cache(maxsize=64)
def _closed_days(year: int) -> Mapping[date, str]:
    """The national non-working days of one year besides weekends, with Danish names.

    Cached per year and shared by every calendar; a case's dates span few years, so 64 is
    plenty and keeps memory bounded in a long-running daemon.
    """
    # country_holidays("DK") is holidays.Denmark, with type hints; PUBLIC spelled out so a
    # change of the package's default categories cannot bring in 1 May.
    public = holidays.country_holidays("DK", years=year, language="da", categories=(PUBLIC,))
    days = {day: str(name) for day, name in public.items()}
    for (month, day), name in _FIXED_CLOSED.items():
        days[date(year, month, day)] = name
    return MappingProxyType(days)


def _plain_date(day: date, what: str = "datoen") -> date:
    # datetime is a subclass of date but never equal to one: a lookup would silently miss.
    if isinstance(day, datetime):
        raise TypeError(f"{what} skal være en dato uden klokkeslæt, ikke {day.isoformat()}")
    return day


class WorkingCalendar:
    """The Danish working-day calendar, plus a drejebog's local closing days (`lukkedage`)."""

    def __init__(self, closing_days: Iterable[date] = ()) -> None:
        self._closing_days = frozenset(_plain_date(d, "en lukkedag") for d in closing_days)

    @property
    def closing_days(self) -> frozenset[date]:
        return self._closing_days

    def non_working_reason(self, day: date) -> str | None:
        """Why `day` is not a working day, in Danish, or None when it is one.

        A holiday's name wins over the weekday ("Påskedag", not "søndag"), and both win over
        "lokal lukkedag".
        """
        holiday = _closed_days(_plain_date(day).year).get(day)
        if holiday is not None:
            return holiday
        weekend = _WEEKEND.get(day.weekday())
        if weekend is not None:
            return weekend
        if day in self._closing_days:
            return _CLOSING_DAY
        return None

    def is_working_day(self, day: date) -> bool:
        return self.non_working_reason(day) is None

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        day += _ONE_DAY
        while not self.is_working_day(day):
            day += _ONE_DAY
        return day

    def previous_working_day(self, day: date) -> date:
        """The last working day strictly before `day`."""
        day -= _ONE_DAY
        while not self.is_working_day(day):
            day -= _ONE_DAY
        return day

    def adjust(self, day: date, rule: Adjust) -> date:
        """`day` itself when it is a working day (or the rule is KEEP), else moved per `rule`."""
        return self.moved(day, rule).day

    def moved(self, day: date, rule: Adjust) -> Moved:
        """`adjust`, with the reason when the day moved: what the calendar found on the day
        (a holiday's name, a closing day, a weekend day) and the day it moved to."""
        if rule is Adjust.KEEP:
            return Moved(day)
        reason = self.non_working_reason(day)
        if reason is None:
            return Moved(day)
        step = self.next_working_day if rule is Adjust.FORWARD else self.previous_working_day
        to = step(day)
        return Moved(to, f"{_why(day, reason)} → {to:%d.%m.%Y}")


def _why(day: date, reason: str) -> str:
    """The first half of a moved date's explanation: "2. påskedag", "24. december er
    lukkedag", "6. marts er lørdag", "17. maj er lokal lukkedag"."""
    named = f"{day.day}. {_MONTHS[day.month - 1]}"
    if (day.month, day.day) in _FIXED_CLOSED:
        return f"{named} er lukkedag"
    if reason in _WEEKEND.values() or reason == _CLOSING_DAY:
        return f"{named} er {reason}"
    short = _SHORT_NAMES.get(reason, reason)
    # holidays are written in lower case in running Danish text, except Kristi himmelfartsdag
    return short if short.startswith("Kristi") else short[:1].lower() + short[1:]
