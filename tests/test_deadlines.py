"""Deadlines the way a Danish jobcenter counts them, organised by rule.

The rules are stated once, in engine/calendar.py (which days are working days) and
engine/deadlines.py (counting, moving off a helligdag, reminders, breaches, cycles, local
time). Each section below tests one rule at its boundaries, with ids that say which:
`christmas_...`, `easter_...`, `dst_spring_skip_hour`, `31_jan_plus_1_maaned_leap_2028`.

The calendar around the hard cases (2026/27):
  Christmas: Thu 24 Dec juleaftensdag, Fri 25 juledag, Sat 26, Sun 27, Mon 28 working ...
             Thu 31 Dec nytårsaftensdag, Fri 1 Jan nytårsdag, Sat 2, Sun 3, Mon 4 Jan working.
  Easter 2027: Thu 25 Mar skærtorsdag, Fri 26 langfredag, Sat 27, Sun 28 påskedag,
               Mon 29 2. påskedag, Tue 30 Mar working.
  Kristi himmelfartsdag 2027: Thu 6 May; pinse: Sun 16 and Mon 17 May; grundlovsdag Sat 5 Jun.
  DST 2027: summer time from Sun 28 Mar 02:00, winter time from Sun 31 Oct 03:00.

Durations as text (parsing, errors) are tests/test_durations.py; the clocks are
tests/test_clock.py.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from drejebog.engine.calendar import WorkingCalendar
from drejebog.engine.deadlines import (
    COPENHAGEN,
    add_duration,
    breach_date,
    due_date,
    escalation_date,
    is_in_time,
    local_date,
    local_instant,
    occurrence_due,
    parse_time_of_day,
    reminder_date,
    subtract_duration,
)
from drejebog.engine.durations import Adjust, parse_duration

CAL = WorkingCalendar()
EIGHT = time(8, 0)


def d(text: str) -> date:
    return date.fromisoformat(text)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- the working-day calendar: which days count -------------------------------------------


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
        (date(2026, 12, 24), "Juleaftensdag"),  # a Thursday
        (date(2026, 12, 31), "Nytårsaftensdag"),  # a Thursday, the day before nytårsdag
        (date(2027, 3, 27), "lørdag"),  # Easter Saturday is no helligdag, just a Saturday
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
        "juleaftensdag_2026",
        "nytaarsaftensdag_2026",
        "easter_saturday",
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
    # closed Friday 4 June, then grundlovsdag on Saturday 5 June and Sunday: Monday 7 June
    before_grundlovsdag = WorkingCalendar([date(2027, 6, 4)])
    assert before_grundlovsdag.adjust(date(2027, 6, 4), Adjust.FORWARD) == date(2027, 6, 7)


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


# --- counting a duration: dage from the day after, arbejdsdage, uger, clamped måneder ------


@pytest.mark.parametrize(
    ("anchor", "duration", "expected"),
    [
        ("2027-03-01", "14 dage", "2027-03-15"),  # the 1st + 14 dage = the 15th
        ("2027-02-01", "14 dage", "2027-02-15"),
        ("2027-03-01", "1 dag", "2027-03-02"),
        ("2027-03-01", "0 dage", "2027-03-01"),
        ("2027-03-13", "0 arbejdsdage", "2027-03-13"),  # 0 arbejdsdage = the anchor, even Sat
        ("2027-03-12", "1 arbejdsdag", "2027-03-15"),  # Fri -> Mon
        ("2027-03-13", "1 arbejdsdag", "2027-03-15"),  # Sat -> Mon
        ("2027-03-19", "2 uger", "2027-04-02"),  # same weekday (Fri), over Easter regardless
        ("2027-03-03", "2 uger", "2027-03-17"),  # Wed -> Wed
        ("2027-03-15", "6 uger", "2027-04-26"),
        ("2027-01-15", "1 måned", "2027-02-15"),
        ("2027-01-31", "1 måned", "2027-02-28"),  # clamped to the month's end
        ("2028-01-31", "1 måned", "2028-02-29"),  # leap year
        ("2027-03-31", "1 måned", "2027-04-30"),
        ("2027-08-31", "1 måned", "2027-09-30"),
        ("2027-08-31", "6 måneder", "2028-02-29"),
        ("2027-11-15", "3 måneder", "2028-02-15"),  # over the year end
    ],
    ids=[
        "14_dage_from_the_day_after",
        "14_dage_february",
        "1_dag",
        "0_dage",
        "0_arbejdsdage_is_the_anchor",
        "1_arbejdsdag_friday",
        "1_arbejdsdag_saturday",
        "2_uger_same_weekday",
        "2_uger_wednesday",
        "6_uger",
        "1_maaned",
        "31_jan_plus_1_maaned_2027",
        "31_jan_plus_1_maaned_leap_2028",
        "31_mar_plus_1_maaned",
        "31_aug_plus_1_maaned",
        "31_aug_plus_6_maaneder",
        "3_maaneder_over_new_year",
    ],
)
def test_add_duration(anchor: str, duration: str, expected: str) -> None:
    assert add_duration(d(anchor), parse_duration(duration), CAL) == d(expected)


# --- due dates: counted, then moved off a non-working day (frem, tilbage, behold) ----------


@pytest.mark.parametrize(
    ("anchor", "duration", "adjust", "expected"),
    [
        # Fri 18 Dec + 14 dage = Fri 1 Jan (nytårsdag); frem: Sat 2, Sun 3 -> Mon 4 Jan;
        # tilbage: 31 Dec is nytårsaftensdag -> Wed 30 Dec.
        ("2026-12-18", "14 dage", Adjust.FORWARD, "2027-01-04"),
        ("2026-12-18", "14 dage", Adjust.BACKWARD, "2026-12-30"),
        ("2026-12-18", "14 dage", Adjust.KEEP, "2027-01-01"),
        # Mon 21 Dec + 14 dage = Mon 4 Jan, a working day: no move either way.
        ("2026-12-21", "14 dage", Adjust.BACKWARD, "2027-01-04"),
        # From Fri 18 Dec: 21, 22, 23 Dec (1-3), 24-27 closed, 28, 29, 30 Dec (4-6),
        # 31 Dec-3 Jan closed, 4, 5, 6, 7 Jan (7-10) -> Thu 7 Jan.
        ("2026-12-18", "10 arbejdsdage", Adjust.FORWARD, "2027-01-07"),
        # From Mon 21 Dec: 22, 23 (1-2), 28, 29, 30 (3-5), 4, 5, 6, 7, 8 Jan (6-10) -> Fri 8 Jan.
        ("2026-12-21", "10 arbejdsdage", Adjust.FORWARD, "2027-01-08"),
        # Fri 12 Mar + 14 dage = Fri 26 Mar, langfredag; frem: over the Easter weekend and
        # 2. påskedag -> Tue 30 Mar; tilbage: over skærtorsdag -> Wed 24 Mar.
        ("2027-03-12", "14 dage", Adjust.FORWARD, "2027-03-30"),
        ("2027-03-12", "14 dage", Adjust.BACKWARD, "2027-03-24"),
        # Thu 11 Mar + 14 dage = Thu 25 Mar, skærtorsdag -> frem Tue 30 Mar.
        ("2027-03-11", "14 dage", Adjust.FORWARD, "2027-03-30"),
        # From Thu 18 Mar: 19, 22, 23, 24 Mar (1-4), 25-29 closed, 30, 31 Mar, 1, 2 Apr (5-8),
        # 5, 6 Apr (9-10) -> Tue 6 Apr.
        ("2027-03-18", "10 arbejdsdage", Adjust.FORWARD, "2027-04-06"),
        # From Fri 19 Mar: 22, 23, 24 Mar (1-3), 25-29 closed, 30, 31 Mar, 1, 2 Apr (4-7),
        # 5, 6, 7 Apr (8-10) -> Wed 7 Apr.
        ("2027-03-19", "10 arbejdsdage", Adjust.FORWARD, "2027-04-07"),
        # From Wed 24 Mar: the 1st working day after is Tue 30 Mar.
        ("2027-03-24", "1 arbejdsdag", Adjust.KEEP, "2027-03-30"),
        # Sat 30 Jan + 1 måned: there is no 30 Feb, so the month's last day, Sun 28 Feb;
        # frem -> Mon 1 Mar, tilbage -> Fri 26 Feb.
        ("2027-01-30", "1 måned", Adjust.FORWARD, "2027-03-01"),
        ("2027-01-30", "1 måned", Adjust.BACKWARD, "2027-02-26"),
    ],
    ids=[
        "christmas_14_dage_frem",
        "christmas_14_dage_tilbage",
        "christmas_14_dage_behold",
        "christmas_14_dage_from_monday",
        "christmas_10_arbejdsdage_from_friday",
        "christmas_10_arbejdsdage_from_monday",
        "easter_14_dage_langfredag_frem",
        "easter_14_dage_langfredag_tilbage",
        "easter_14_dage_skaertorsdag_frem",
        "easter_10_arbejdsdage",
        "easter_10_arbejdsdage_from_friday",
        "easter_1_arbejdsdag",
        "month_end_clamped_then_frem",
        "month_end_clamped_then_tilbage",
    ],
)
def test_due_date_across_holidays(
    anchor: str, duration: str, adjust: Adjust, expected: str
) -> None:
    assert due_date(d(anchor), parse_duration(duration), adjust, CAL) == d(expected)


def test_arbejdsdage_skip_a_lokal_lukkedag() -> None:
    # From Wed 5 May 2027: 6 May Kristi himmelfartsdag, 7 May closed locally, weekend -> Mon 10.
    calendar = WorkingCalendar([d("2027-05-07")])
    assert add_duration(d("2027-05-05"), parse_duration("1 arbejdsdag"), calendar) == d(
        "2027-05-10"
    )
    assert add_duration(d("2027-05-05"), parse_duration("1 arbejdsdag"), CAL) == d("2027-05-07")


@pytest.mark.parametrize(
    ("day", "duration", "expected"),
    [
        ("2027-03-15", "14 dage", "2027-03-01"),
        ("2027-03-15", "0 dage", "2027-03-15"),
        ("2027-03-30", "1 arbejdsdag", "2027-03-24"),  # back over Easter
        ("2027-01-07", "10 arbejdsdage", "2026-12-18"),  # mirror of the Christmas count
        ("2027-04-02", "1 uge", "2027-03-26"),
        ("2027-03-31", "1 måned", "2027-02-28"),  # clamped
        ("2028-03-31", "1 måned", "2028-02-29"),
    ],
    ids=[
        "14_dage",
        "0_dage",
        "1_arbejdsdag_over_easter",
        "10_arbejdsdage_over_christmas",
        "1_uge",
        "1_maaned_clamped",
        "1_maaned_clamped_leap",
    ],
)
def test_subtract_duration(day: str, duration: str, expected: str) -> None:
    assert subtract_duration(d(day), parse_duration(duration), CAL) == d(expected)


# --- reminders before, the breach day after, escalation steps from it ----------------------


@pytest.mark.parametrize(
    ("due", "before", "adjust", "expected"),
    [
        ("2027-03-24", "3 dage", Adjust.BACKWARD, "2027-03-19"),  # Sun 21 -> Fri 19
        ("2027-03-24", "3 dage", Adjust.FORWARD, "2027-03-22"),  # Sun 21 -> Mon 22
        ("2027-03-24", "2 arbejdsdage", Adjust.BACKWARD, "2027-03-22"),
        ("2027-04-02", "1 uge", Adjust.BACKWARD, "2027-03-24"),  # langfredag -> Wed 24
        ("2027-03-24", "0 dage", Adjust.BACKWARD, "2027-03-24"),  # on the due date itself
    ],
    ids=[
        "3_dage_sunday_tilbage",
        "3_dage_sunday_frem",
        "2_arbejdsdage",
        "1_uge_langfredag_tilbage",
        "0_dage_is_the_due_date",
    ],
)
def test_reminder_date(due: str, before: str, adjust: Adjust, expected: str) -> None:
    assert reminder_date(d(due), parse_duration(before), adjust, CAL) == d(expected)


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        ("2027-03-10", "2027-03-11"),  # Wed -> Thu
        ("2027-03-12", "2027-03-15"),  # Fri -> over the weekend -> Mon
        ("2027-03-13", "2027-03-15"),  # a due date kept on a Saturday -> Mon
        ("2027-03-24", "2027-03-30"),  # Wed before skærtorsdag -> over Easter -> Tue 30 Mar
        ("2026-12-30", "2027-01-04"),  # over nytårsaftensdag and nytårsdag
    ],
    ids=["weekday", "over_weekend", "kept_on_saturday", "over_easter", "over_new_year"],
)
def test_breach_date_is_the_first_working_day_after_the_due_date(due: str, expected: str) -> None:
    assert breach_date(d(due), CAL) == d(expected)


@pytest.mark.parametrize(
    ("breach", "after", "adjust", "expected"),
    [
        ("2027-03-15", "0 dage", Adjust.FORWARD, "2027-03-15"),  # the breach notice itself
        ("2027-03-15", "5 dage", Adjust.FORWARD, "2027-03-22"),  # Sat 20 -> Mon 22
        ("2027-03-15", "5 dage", Adjust.KEEP, "2027-03-20"),
        ("2027-03-22", "3 arbejdsdage", Adjust.FORWARD, "2027-03-30"),  # 23, 24, (Easter), 30
        ("2027-03-12", "2 uger", Adjust.FORWARD, "2027-03-30"),  # langfredag -> Tue 30
    ],
    ids=["0_dage", "5_dage_frem", "5_dage_behold", "3_arbejdsdage_easter", "2_uger_langfredag"],
)
def test_escalation_date(breach: str, after: str, adjust: Adjust, expected: str) -> None:
    assert escalation_date(d(breach), parse_duration(after), adjust, CAL) == d(expected)


# --- recurring duties: occurrence k is anchor + k x period, never chained -----------------


def test_monthly_cycle_is_anchored_not_chained() -> None:
    # Anchored 31 Oct: every occurrence is anchor + k måneder, so February's clamp to the 28th
    # does not drag March down (chained, it would be 28 Mar).
    anchor, month = d("2026-10-31"), parse_duration("1 måned")
    dues = [occurrence_due(anchor, month, k, Adjust.KEEP, CAL) for k in range(1, 6)]
    expected = ["2026-11-30", "2026-12-31", "2027-01-31", "2027-02-28", "2027-03-31"]
    assert [due.isoformat() for due in dues] == expected
    chained = add_duration(add_duration(anchor, month, CAL), month, CAL)
    assert chained == d("2026-12-30")  # what chaining would wrongly give for k = 2


def test_monthly_cycle_with_helligdag_frem() -> None:
    # 30 Nov Mon; 31 Dec nytårsaftensdag -> Mon 4 Jan; 31 Jan Sun -> Mon 1 Feb;
    # 28 Feb Sun -> Mon 1 Mar; 31 Mar Wed.
    anchor, month = d("2026-10-31"), parse_duration("1 måned")
    dues = [occurrence_due(anchor, month, k, Adjust.FORWARD, CAL) for k in range(1, 6)]
    expected = ["2026-11-30", "2027-01-04", "2027-02-01", "2027-03-01", "2027-03-31"]
    assert [due.isoformat() for due in dues] == expected


def test_monthly_cycle_reaches_29_february_in_a_leap_year() -> None:
    anchor = d("2027-10-31")
    assert occurrence_due(anchor, parse_duration("1 måned"), 4, Adjust.KEEP, CAL) == d("2028-02-29")


@pytest.mark.parametrize(
    ("period", "k", "expected"),
    [
        ("2 uger", 1, "2027-04-01"),  # Thu 18 Mar + 14 days
        ("2 uger", 3, "2027-04-29"),
        ("5 arbejdsdage", 1, "2027-03-30"),  # 19, 22, 23, 24, (Easter), 30
        ("5 arbejdsdage", 2, "2027-04-06"),  # the 10th working day after the anchor
        ("3 måneder", 4, "2028-03-18"),
    ],
    ids=["uger_k1", "uger_k3", "arbejdsdage_k1", "arbejdsdage_k2", "maaneder_k4"],
)
def test_occurrence_due(period: str, k: int, expected: str) -> None:
    anchor = d("2027-03-18")
    assert occurrence_due(anchor, parse_duration(period), k, Adjust.KEEP, CAL) == d(expected)


@pytest.mark.parametrize("k", [0, -1], ids=["zero", "negative"])
def test_occurrences_count_from_one(k: int) -> None:
    with pytest.raises(ValueError, match="tælles fra 1"):
        occurrence_due(d("2027-03-18"), parse_duration("1 uge"), k, Adjust.KEEP, CAL)


# --- local time: 08:00 in Copenhagen on both sides of DST; lateness by the local date ------


@pytest.mark.parametrize(
    ("due", "expected_reminder", "expected_instant"),
    [
        # due Fri 2 Apr, 1 uge før = langfredag 26 Mar -> tilbage Wed 24 Mar: winter time
        ("2027-04-02", "2027-03-24", "2027-03-24 07:00"),
        # due Fri 9 Apr, 1 uge før = Fri 2 Apr: summer time
        ("2027-04-09", "2027-04-02", "2027-04-02 06:00"),
        # due Fri 5 Nov, 1 uge før = Fri 29 Oct: still summer time
        ("2027-11-05", "2027-10-29", "2027-10-29 06:00"),
        # due Fri 12 Nov, 1 uge før = Fri 5 Nov: winter time again
        ("2027-11-12", "2027-11-05", "2027-11-05 07:00"),
    ],
    ids=["dst_spring_before", "dst_spring_after", "dst_autumn_before", "dst_autumn_after"],
)
def test_reminder_at_0800_local_on_both_sides_of_dst(
    due: str, expected_reminder: str, expected_instant: str
) -> None:
    day = reminder_date(d(due), parse_duration("1 uge"), Adjust.BACKWARD, CAL)
    assert day == d(expected_reminder)
    instant = local_instant(day, EIGHT)
    assert instant == utc(expected_instant)
    assert instant.tzinfo is UTC
    assert instant.astimezone(COPENHAGEN).time() == EIGHT


@pytest.mark.parametrize(
    ("day", "at", "expected"),
    [
        ("2027-03-27", "08:00", "2027-03-27 07:00"),  # the Saturday before: CET
        ("2027-03-28", "08:00", "2027-03-28 06:00"),  # the switch day itself: CEST by 08:00
        ("2027-03-28", "01:59", "2027-03-28 00:59"),  # just before the gap
        ("2027-03-28", "02:30", "2027-03-28 01:30"),  # in the gap: 03:30 CEST, the later side
        ("2027-03-28", "03:00", "2027-03-28 01:00"),  # just after the gap
        ("2027-10-31", "02:30", "2027-10-31 00:30"),  # twice that night: the first (CEST)
        ("2027-10-31", "08:00", "2027-10-31 07:00"),  # the switch day: CET by 08:00
        ("2027-10-30", "08:00", "2027-10-30 06:00"),  # the Saturday before: CEST
        ("2027-03-29", "08:00", "2027-03-29 06:00"),  # the Monday after: CEST
        ("2027-11-01", "08:00", "2027-11-01 07:00"),  # the Monday after: CET
    ],
    ids=[
        "dst_spring_day_before",
        "dst_spring_switch_day",
        "dst_spring_before_gap",
        "dst_spring_skip_hour",
        "dst_spring_after_gap",
        "dst_autumn_repeated_hour",
        "dst_autumn_switch_day",
        "dst_autumn_day_before",
        "dst_spring_day_after",
        "dst_autumn_day_after",
    ],
)
def test_local_instant(day: str, at: str, expected: str) -> None:
    assert local_instant(d(day), parse_time_of_day(at)) == utc(expected)


@pytest.mark.parametrize(
    ("event_at", "in_time"),
    [
        ("2027-03-15 22:59", True),  # 23:59 local on the due date (CET)
        ("2027-03-15 23:01", False),  # 00:01 local on the 16th, though still the 15th in UTC
        ("2027-03-10 09:00", True),  # days early
        ("2027-03-14 23:30", True),  # 00:30 local on the 15th, the 14th in UTC
    ],
    ids=["winter_2359_local_due_day", "winter_0001_local_next_day", "early", "utc_day_before"],
)
def test_is_in_time_by_local_date_winter(event_at: str, in_time: bool) -> None:
    assert is_in_time(utc(event_at), d("2027-03-15")) is in_time


@pytest.mark.parametrize(
    ("event_at", "in_time"),
    [
        ("2027-07-15 21:59", True),  # 23:59 local (CEST)
        ("2027-07-15 22:01", False),  # 00:01 local on the 16th, still the 15th in UTC
    ],
    ids=["summer_2359_local_due_day", "summer_0001_local_next_day"],
)
def test_is_in_time_by_local_date_summer(event_at: str, in_time: bool) -> None:
    assert is_in_time(utc(event_at), d("2027-07-15")) is in_time


def test_is_in_time_accepts_any_aware_offset() -> None:
    # 23:59 on the due date, written with the Copenhagen winter offset
    event = datetime(2027, 3, 15, 23, 59, tzinfo=timezone(timedelta(hours=1)))
    assert is_in_time(event, d("2027-03-15"))


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        ("2027-03-27 23:30", "2027-03-28"),  # 00:30 CET
        ("2027-03-28 21:30", "2027-03-28"),  # 23:30 CEST
        ("2027-03-28 22:30", "2027-03-29"),  # 00:30 CEST
        ("2027-12-31 23:00", "2028-01-01"),  # midnight into the new year, local
    ],
    ids=["spring_switch_night", "summer_late_evening", "summer_after_midnight", "new_year"],
)
def test_local_date(instant: str, expected: str) -> None:
    assert local_date(utc(instant)) == d(expected)


def test_local_date_and_is_in_time_refuse_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="mangler tidszone"):
        local_date(datetime(2027, 3, 15, 12, 0))
    with pytest.raises(ValueError, match="mangler tidszone"):
        is_in_time(datetime(2027, 3, 15, 12, 0), d("2027-03-15"))


# --- klokken: a drejebog's time of day ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("08:00", time(8, 0)),
        ("8:00", time(8, 0)),
        ("23:59", time(23, 59)),
        ("00:00", time(0, 0)),
        (" 07:30 ", time(7, 30)),
    ],
    ids=["0800", "single_digit_hour", "2359", "midnight", "surrounding_space"],
)
def test_parse_time_of_day(text: str, expected: time) -> None:
    assert parse_time_of_day(text) == expected


@pytest.mark.parametrize(
    "text",
    ["25:00", "24:00", "08:60", "8", "480", "kl. 8", "08.00", "08:00:00", "", "0800"],
    ids=[
        "hour_25",
        "hour_24",
        "minute_60",
        "hour_only",
        "yaml_sexagesimal",
        "words",
        "dot",
        "seconds",
        "empty",
        "no_colon",
    ],
)
def test_bad_time_of_day_is_a_danish_value_error(text: str) -> None:
    with pytest.raises(ValueError, match=f"ugyldigt klokkeslæt '{text}'") as caught:
        parse_time_of_day(text)
    assert '"08:00"' in str(caught.value)


# --- calendar forms: the month-end rule and the end of week N (issue 11, point 8) ------------


@pytest.mark.parametrize(
    ("anchor", "duration", "expected"),
    [
        ("2027-02-28", "1 måned (månedsslut)", "2027-03-31"),  # the end stays the end
        ("2027-02-28", "1 måned", "2027-03-28"),  # the clamp rule, for comparison
        ("2027-01-31", "1 måned (månedsslut)", "2027-02-28"),
        ("2028-01-31", "1 måned (månedsslut)", "2028-02-29"),  # a leap year
        ("2027-04-30", "2 måneder (månedsslut)", "2027-06-30"),
        ("2027-03-30", "1 måned (månedsslut)", "2027-04-30"),  # 30 March is no month end
        ("2027-03-15", "1 måned (månedsslut)", "2027-04-15"),
        ("2027-03-03", "udgangen af uge 0", "2027-03-07"),  # a Wednesday: that week's Sunday
        ("2027-03-01", "udgangen af uge 1", "2027-03-14"),  # a Monday
        ("2027-03-07", "udgangen af uge 1", "2027-03-14"),  # a Sunday counts in its own week
        ("2027-03-08", "udgangen af uge 10", "2027-05-23"),
        ("2027-12-29", "udgangen af uge 1", "2028-01-09"),  # across the new year
    ],
)
def test_calendar_forms_add(anchor: str, duration: str, expected: str) -> None:
    assert add_duration(d(anchor), parse_duration(duration), CAL) == d(expected)


def test_the_end_of_week_n_moves_off_its_sunday_by_the_helligdag_rule() -> None:
    week = parse_duration("udgangen af uge 2")
    assert due_date(d("2027-03-03"), week, Adjust.BACKWARD, CAL) == d("2027-03-19")  # Friday
    assert due_date(d("2027-03-03"), week, Adjust.FORWARD, CAL) == d("2027-03-22")  # Monday
    assert due_date(d("2027-03-03"), week, Adjust.KEEP, CAL) == d("2027-03-21")


def test_a_recurring_month_end_duty_keeps_the_month_end_every_month() -> None:
    """Anchored on 28 February 2027 (a month end), monthly with the month-end rule: the last
    day of every month, counted from the anchor each time (never chained)."""
    period = parse_duration("1 måned (månedsslut)")
    dues = [occurrence_due(d("2027-02-28"), period, k, Adjust.KEEP, CAL) for k in range(1, 6)]
    assert dues == [
        d(x) for x in ("2027-03-31", "2027-04-30", "2027-05-31", "2027-06-30", "2027-07-31")
    ]
    plain = parse_duration("1 måned")
    assert occurrence_due(d("2027-02-28"), plain, 1, Adjust.KEEP, CAL) == d("2027-03-28")


def test_subtracting_the_month_end_rule_mirrors_it() -> None:
    assert subtract_duration(d("2027-03-31"), parse_duration("1 måned (månedsslut)"), CAL) == d(
        "2027-02-28"
    )
    assert subtract_duration(d("2027-03-31"), parse_duration("1 måned"), CAL) == d("2027-02-28")
    assert subtract_duration(d("2027-04-30"), parse_duration("1 måned (månedsslut)"), CAL) == d(
        "2027-03-31"
    )
