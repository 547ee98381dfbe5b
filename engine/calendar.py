"""Danish working days: what a jobcenter counts arbejdsdage and moves deadlines by.

Non-working: Saturday, Sunday, the public holidays (from the `holidays` package's PUBLIC
category, which knows Store Bededag stopped being one in 2024), grundlovsdag (5 June),
juleaftensdag (24 December), nytårsaftensdag (31 December), and the drejebog's own closing
days. 1 May is a working day, so the package's optional category (which adds it) is not used.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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
        if rule is Adjust.KEEP or self.is_working_day(day):
            return day
        if rule is Adjust.FORWARD:
            return self.next_working_day(day)
        return self.previous_working_day(day)
