"""The Danish working-day calendar: weekends, helligdage, the three extra closed days, lukkedage."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from drejebog.engine.calendar import WorkingCalendar
from drejebog.engine.durations import Adjust

CAL = WorkingCalendar()


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (date(2027, 3, 13), "lørdag"),
        (date(2027, 3, 14), "søndag"),
        (date(2027, 1, 1), "Nytårsdag"),
        (date(2027, 3, 25), "Skærtorsdag"),
        (date(2027, 3, 26), "Langfredag"),
        (date(2027, 3, 28), "Påskedag"),  # a Sunday: the holiday's name wins
        (date(2027, 3, 29), "Anden påskedag"),
        (date(2027, 5, 6), "Kristi himmelfartsdag"),
        (date(2027, 5, 16), "Pinsedag"),
        (date(2027, 5, 17), "Anden pinsedag"),
        (date(2023, 5, 5), "Store bededag"),
        (date(2026, 6, 5), "Grundlovsdag"),  # a Friday: closed by our own rule
        (date(2027, 6, 5), "Grundlovsdag"),  # a Saturday: still named for the holiday
        (date(2027, 12, 24), "Juleaftensdag"),
        (date(2027, 12, 25), "Juledag"),
        (date(2027, 12, 26), "Anden juledag"),
        (date(2027, 12, 31), "Nytårsaftensdag"),
    ],
    ids=[
        "saturday",
        "sunday",
        "nytaarsdag",
        "skaertorsdag",
        "langfredag",
        "paaskedag_on_sunday",
        "anden_paaskedag",
        "kristi_himmelfartsdag",
        "pinsedag",
        "anden_pinsedag",
        "store_bededag_2023",
        "grundlovsdag_friday",
        "grundlovsdag_saturday",
        "juleaftensdag",
        "juledag",
        "anden_juledag",
        "nytaarsaftensdag",
    ],
)
def test_non_working_days_and_their_danish_reason(day: date, reason: str) -> None:
    assert not CAL.is_working_day(day)
    assert CAL.non_working_reason(day) == reason


@pytest.mark.parametrize(
    "day",
    [
        date(2024, 4, 26),  # 4th Friday after Easter 2024: Store Bededag abolished from 2024
        date(2025, 5, 16),
        date(2027, 4, 23),
        date(2026, 5, 1),  # 1 May, a Friday: a working day for a jobcenter
        date(2029, 5, 1),  # 1 May, a Tuesday
        date(2027, 3, 24),  # the Wednesday before skærtorsdag
        date(2027, 3, 30),  # the Tuesday after 2. påskedag
        date(2027, 12, 23),
        date(2027, 12, 27),  # Monday after Christmas
        date(2027, 12, 30),
        date(2027, 6, 4),
    ],
    ids=[
        "store_bededag_2024",
        "store_bededag_2025",
        "store_bededag_2027",
        "first_of_may_2026",
        "first_of_may_2029",
        "before_easter",
        "after_easter",
        "lillejuleaften",
        "monday_after_christmas",
        "day_before_nytaarsaften",
        "day_before_grundlovsdag",
    ],
)
def test_working_days(day: date) -> None:
    assert CAL.is_working_day(day)
    assert CAL.non_working_reason(day) is None


def test_lokal_lukkedag_is_closed_only_in_its_own_calendar() -> None:
    # Friday after Kristi himmelfartsdag (Thursday 6 May 2027), a common closing day
    closing = date(2027, 5, 7)
    calendar = WorkingCalendar([closing])
    assert calendar.non_working_reason(closing) == "lokal lukkedag"
    assert not calendar.is_working_day(closing)
    assert calendar.closing_days == frozenset({closing})
    assert CAL.is_working_day(closing)
    # Thursday holiday, Friday closed, weekend: the next working day is Monday 10 May
    assert calendar.next_working_day(date(2027, 5, 5)) == date(2027, 5, 10)
    assert calendar.previous_working_day(date(2027, 5, 10)) == date(2027, 5, 5)


def test_closing_day_on_a_weekend_or_holiday_keeps_the_national_reason() -> None:
    calendar = WorkingCalendar([date(2027, 3, 13), date(2027, 3, 26)])
    assert calendar.non_working_reason(date(2027, 3, 13)) == "lørdag"
    assert calendar.non_working_reason(date(2027, 3, 26)) == "Langfredag"


def test_closing_days_may_be_any_iterable() -> None:
    calendar = WorkingCalendar(d for d in [date(2027, 8, 2)])
    assert not calendar.is_working_day(date(2027, 8, 2))


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2027, 3, 12), date(2027, 3, 15)),  # Friday -> Monday
        (date(2027, 3, 13), date(2027, 3, 15)),  # Saturday -> Monday
        (date(2027, 3, 15), date(2027, 3, 16)),  # strictly after, even on a working day
        (date(2027, 3, 24), date(2027, 3, 30)),  # Wed before Easter -> Tue after 2. påskedag
        (date(2026, 12, 23), date(2026, 12, 28)),  # Wed -> over 24, 25, 26, 27 Dec
        (date(2026, 12, 30), date(2027, 1, 4)),  # Wed -> over 31 Dec, 1 Jan, weekend
    ],
    ids=["friday", "saturday", "working_day", "easter", "christmas", "new_year"],
)
def test_next_working_day(day: date, expected: date) -> None:
    assert CAL.next_working_day(day) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2027, 3, 15), date(2027, 3, 12)),  # Monday -> Friday
        (date(2027, 3, 16), date(2027, 3, 15)),  # strictly before
        (date(2027, 3, 30), date(2027, 3, 24)),  # Tue after Easter -> Wed before
        (date(2027, 1, 4), date(2026, 12, 30)),  # Monday 4 Jan -> Wed 30 Dec, over the year
    ],
    ids=["monday", "working_day", "easter", "new_year"],
)
def test_previous_working_day(day: date, expected: date) -> None:
    assert CAL.previous_working_day(day) == expected


@pytest.mark.parametrize(
    ("day", "rule", "expected"),
    [
        (date(2027, 3, 13), Adjust.FORWARD, date(2027, 3, 15)),
        (date(2027, 3, 13), Adjust.BACKWARD, date(2027, 3, 12)),
        (date(2027, 3, 13), Adjust.KEEP, date(2027, 3, 13)),
        (date(2027, 3, 26), Adjust.FORWARD, date(2027, 3, 30)),  # langfredag -> after Easter
        (date(2027, 3, 26), Adjust.BACKWARD, date(2027, 3, 24)),  # -> before skærtorsdag
        (date(2027, 3, 26), Adjust.KEEP, date(2027, 3, 26)),
        (date(2027, 5, 6), Adjust.FORWARD, date(2027, 5, 7)),  # Kristi himmelfart -> Friday
        (date(2027, 5, 6), Adjust.BACKWARD, date(2027, 5, 5)),
        (date(2027, 3, 17), Adjust.FORWARD, date(2027, 3, 17)),  # a working day stays
        (date(2027, 3, 17), Adjust.BACKWARD, date(2027, 3, 17)),
        (date(2027, 3, 17), Adjust.KEEP, date(2027, 3, 17)),
    ],
    ids=[
        "saturday_frem",
        "saturday_tilbage",
        "saturday_behold",
        "langfredag_frem",
        "langfredag_tilbage",
        "langfredag_behold",
        "himmelfart_frem",
        "himmelfart_tilbage",
        "working_day_frem",
        "working_day_tilbage",
        "working_day_behold",
    ],
)
def test_adjust(day: date, rule: Adjust, expected: date) -> None:
    assert CAL.adjust(day, rule) == expected


def test_adjust_respects_closing_days() -> None:
    calendar = WorkingCalendar([date(2027, 5, 7)])
    assert calendar.adjust(date(2027, 5, 6), Adjust.FORWARD) == date(2027, 5, 10)
    assert calendar.adjust(date(2027, 5, 7), Adjust.BACKWARD) == date(2027, 5, 5)
    assert calendar.adjust(date(2027, 5, 7), Adjust.KEEP) == date(2027, 5, 7)


def test_a_whole_year_has_the_expected_number_of_working_days() -> None:
    # 2027: 365 days, 104 weekend days; weekday holidays: 1 Jan (Fri), 25 Mar, 26 Mar, 29 Mar,
    # 6 May, 17 May, 24 Dec (Fri), 31 Dec (Fri) = 8. (5 Jun, 25 and 26 Dec are weekend days.)
    days = [date.fromordinal(date(2027, 1, 1).toordinal() + i) for i in range(365)]
    assert sum(CAL.is_working_day(d) for d in days) == 365 - 104 - 8


@pytest.mark.parametrize(
    "call",
    ["is_working_day", "non_working_reason", "next_working_day", "previous_working_day"],
)
def test_a_datetime_is_refused_rather_than_silently_missing_the_holiday(call: str) -> None:
    with pytest.raises(TypeError, match="dato uden klokkeslæt"):
        getattr(CAL, call)(datetime(2027, 12, 24, 8, 0))


def test_a_datetime_closing_day_is_refused() -> None:
    with pytest.raises(TypeError, match="lukkedag"):
        WorkingCalendar([datetime(2027, 5, 7, 0, 0)])
