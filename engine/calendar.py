"""Danish working days: what a jobcenter counts arbejdsdage and moves deadlines by.

Non-working: Saturday, Sunday, the public holidays (from the `holidays` package's PUBLIC
category, which knows Store Bededag stopped being one in 2024), grundlovsdag (5 June),
juleaftensdag (24 December), nytårsaftensdag (31 December), and the drejebog's own closing
days. 1 May is a working day, so the package's optional category is not used wholesale.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import holidays

from engine.durations import Adjust

_FIXED_CLOSED = {(6, 5): "Grundlovsdag", (12, 24): "Juleaftensdag", (12, 31): "Nytårsaftensdag"}
_WEEKEND = {5: "lørdag", 6: "søndag"}
_ONE_DAY = timedelta(days=1)


class WorkingCalendar:
    def __init__(self, closing_days: Iterable[date] = ()) -> None:
        self._closing_days = frozenset(closing_days)
        self._holidays_by_year: dict[int, dict[date, str]] = {}

    def _holidays(self, year: int) -> dict[date, str]:
        known = self._holidays_by_year.get(year)
        if known is None:
            public = holidays.country_holidays("DK", years=year, language="da")
            known = {day: str(name) for day, name in public.items()}
            for (month, day), name in _FIXED_CLOSED.items():
                known[date(year, month, day)] = name
            self._holidays_by_year[year] = known
        return known

    def non_working_reason(self, day: date) -> str | None:
        """Why `day` is not a working day (Danish), or None when it is one."""
        holiday = self._holidays(day.year).get(day)
        if holiday is not None:
            return holiday
        if day.weekday() in _WEEKEND:
            return _WEEKEND[day.weekday()]
        if day in self._closing_days:
            return "lokal lukkedag"
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
        if rule is Adjust.KEEP or self.is_working_day(day):
            return day
        if rule is Adjust.FORWARD:
            return self.next_working_day(day)
        return self.previous_working_day(day)
