"""Deadline arithmetic the way a Danish jobcenter counts (dates checked against a calendar).

Easter 2027: skærtorsdag 25 March, langfredag 26 March, påskedag 28 March, 2. påskedag 29
March. Summer time 2027: 28 March to 31 October.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from freezegun import freeze_time

from drejebog.engine.calendar import WorkingCalendar
from drejebog.engine.clock import SimulatedClock, SystemClock
from drejebog.engine.deadlines import (
    add_duration,
    breach_date,
    due_date,
    is_in_time,
    local_instant,
    occurrence_due,
    parse_time_of_day,
    reminder_date,
)
from drejebog.engine.durations import Adjust, Duration, DurationError, Unit, parse_duration

CAL = WorkingCalendar()
D = parse_duration


@pytest.mark.parametrize(
    ("anchor", "duration", "adjust", "expected"),
    [
        # Fri 18 Dec 2026 + 14 dage = Fri 1 Jan (nytårsdag): forward over the weekend to Mon 4
        (date(2026, 12, 18), "14 dage", Adjust.FORWARD, date(2027, 1, 4)),
        # ... backward past 31 Dec (closed) to Wed 30 Dec; kept as 1 Jan
        (date(2026, 12, 18), "14 dage", Adjust.BACKWARD, date(2026, 12, 30)),
        (date(2026, 12, 18), "14 dage", Adjust.KEEP, date(2027, 1, 1)),
        # Mon 21 Dec + 10 arbejdsdage: 22, 23, 28, 29, 30 Dec, 4, 5, 6, 7, 8 Jan
        (date(2026, 12, 21), "10 arbejdsdage", Adjust.FORWARD, date(2027, 1, 8)),
        # Fri 12 Mar 2027 + 14 dage = langfredag: forward past Easter to Tue 30 March ...
        (date(2027, 3, 12), "14 dage", Adjust.FORWARD, date(2027, 3, 30)),
        # ... backward past skærtorsdag to Wed 24 March
        (date(2027, 3, 12), "14 dage", Adjust.BACKWARD, date(2027, 3, 24)),
        # Fri 19 Mar + 10 arbejdsdage: 22, 23, 24, 30, 31 Mar, 1, 2, 5, 6, 7 Apr
        (date(2027, 3, 19), "10 arbejdsdage", Adjust.FORWARD, date(2027, 4, 7)),
        # 1st + 14 dage = 15th (counted from the day after)
        (date(2027, 2, 1), "14 dage", Adjust.KEEP, date(2027, 2, 15)),
        # uger end on the same weekday: Wed 3 March + 2 uger = Wed 17 March
        (date(2027, 3, 3), "2 uger", Adjust.KEEP, date(2027, 3, 17)),
        # måneder: same day of the month, clamped to the month's end
        (date(2027, 1, 31), "1 måned", Adjust.KEEP, date(2027, 2, 28)),
        (date(2028, 1, 31), "1 måned", Adjust.KEEP, date(2028, 2, 29)),
        (date(2027, 8, 31), "1 måned", Adjust.KEEP, date(2027, 9, 30)),
        (date(2027, 3, 1), "0 dage", Adjust.KEEP, date(2027, 3, 1)),
    ],
    ids=[
        "14-dage-new-year-forward",
        "14-dage-new-year-backward",
        "14-dage-new-year-keep",
        "10-arbejdsdage-christmas",
        "14-dage-easter-forward",
        "14-dage-easter-backward",
        "10-arbejdsdage-easter",
        "1st-plus-14",
        "uger-same-weekday",
        "31-jan-plus-1-maaned",
        "31-jan-leap-year",
        "31-aug-plus-1-maaned",
        "0-dage",
    ],
)
def test_due_dates(anchor, duration, adjust, expected):
    assert due_date(anchor, D(duration), adjust, CAL) == expected


def test_monthly_cycle_is_computed_from_its_anchor_never_chained():
    anchor = date(2026, 10, 31)
    dues = [occurrence_due(anchor, D("1 måned"), k, Adjust.KEEP, CAL) for k in range(1, 6)]
    assert dues == [
        date(2026, 11, 30),
        date(2026, 12, 31),
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
    ]
    chained = [anchor]
    for _ in range(5):
        chained.append(add_duration(chained[-1], D("1 måned"), CAL))
    assert chained[2] == date(2026, 12, 30)  # what chaining would wrongly give


@pytest.mark.parametrize(
    ("day", "working", "reason"),
    [
        (date(2023, 5, 5), False, "Store bededag"),
        (date(2024, 4, 26), True, None),  # Store Bededag abolished from 2024
        (date(2026, 5, 1), True, None),  # 1 May is a working day
        (date(2026, 6, 5), False, "Grundlovsdag"),
        (date(2026, 12, 24), False, "Juleaftensdag"),
        (date(2026, 12, 31), False, "Nytårsaftensdag"),
        (date(2027, 3, 26), False, "Langfredag"),
        (date(2027, 3, 27), False, "lørdag"),
        (date(2027, 3, 30), True, None),
    ],
    ids=[
        "store-bededag-2023",
        "store-bededag-2024",
        "1-maj",
        "grundlovsdag",
        "juleaften",
        "nytaarsaften",
        "langfredag",
        "saturday",
        "tuesday-after-easter",
    ],
)
def test_working_days(day, working, reason):
    assert CAL.is_working_day(day) is working
    if reason is not None:
        assert (CAL.non_working_reason(day) or "").lower() == reason.lower()


def test_local_closing_days():
    calendar = WorkingCalendar([date(2027, 6, 4)])
    assert calendar.non_working_reason(date(2027, 6, 4)) == "lokal lukkedag"
    assert calendar.adjust(date(2027, 6, 4), Adjust.FORWARD) == date(2027, 6, 7)
    assert CAL.is_working_day(date(2027, 6, 4))


def test_breach_notice_goes_out_on_the_first_working_day_after_the_due_date():
    assert breach_date(date(2027, 3, 12), CAL) == date(2027, 3, 15)  # Friday -> Monday
    assert breach_date(date(2027, 3, 24), CAL) == date(2027, 3, 30)  # over Easter


def test_reminders_before_a_deadline_move_backward():
    # 3 dage before Wed 24 March is Sunday 21 March: the reminder comes Friday 19 March
    assert reminder_date(date(2027, 3, 24), D("3 dage"), Adjust.BACKWARD, CAL) == date(2027, 3, 19)
    assert reminder_date(date(2027, 3, 24), D("2 arbejdsdage"), Adjust.BACKWARD, CAL) == date(
        2027, 3, 22
    )


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [
        (date(2027, 3, 26), 7),  # before spring-forward (28 March): CET, UTC+1
        (date(2027, 3, 29), 6),  # after: CEST, UTC+2
        (date(2027, 10, 29), 6),  # before fall-back (31 October)
        (date(2027, 11, 1), 7),  # after
    ],
    ids=["spring-before", "spring-after", "autumn-before", "autumn-after"],
)
def test_0800_local_on_both_sides_of_dst(day, utc_hour):
    instant = local_instant(day, time(8, 0))
    assert instant.tzinfo is UTC and (instant.hour, instant.minute) == (utc_hour, 0)


def test_spring_gap_time_lands_after_the_gap():
    assert local_instant(date(2027, 3, 28), time(2, 30)) == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)


def test_in_time_is_judged_by_the_local_date():
    due = date(2027, 3, 15)
    assert is_in_time(datetime(2027, 3, 15, 22, 30, tzinfo=UTC), due)  # 23:30 local on the 15th
    # 00:30 local on the 16th is still the 15th in UTC: late all the same
    assert not is_in_time(datetime(2027, 3, 15, 23, 30, tzinfo=UTC), due)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14 dage", Duration(14, Unit.DAYS)),
        ("1 dag", Duration(1, Unit.DAYS)),
        ("10 arbejdsdage", Duration(10, Unit.WORKING_DAYS)),
        ("6 Uger", Duration(6, Unit.WEEKS)),
        (" 1  måned ", Duration(1, Unit.MONTHS)),
        ("3 måneder", Duration(3, Unit.MONTHS)),
    ],
)
def test_durations_parse_and_print(text, expected):
    assert parse_duration(text) == expected
    assert parse_duration(str(expected)) == expected


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ("14 dgae", "mente du 'dage'?"),
        ("-1 dage", "skriv fx '14 dage'"),
        ("dage", "skriv fx"),
        ("1,5 uge", "skriv fx"),
        ("2 år", "ukendt enhed 'år'"),
    ],
)
def test_bad_durations_say_what_is_expected(text, part):
    with pytest.raises(DurationError) as caught:
        parse_duration(text)
    assert part in str(caught.value) and text.strip() in str(caught.value)


@pytest.mark.parametrize("text", ["25:00", "8", "08:60", "kl. 8"])
def test_bad_time_of_day(text):
    with pytest.raises(ValueError, match="ugyldigt klokkeslæt"):
        parse_time_of_day(text)


def test_simulated_clock_only_moves_forward_and_rejects_naive_times():
    clock = SimulatedClock(datetime(2027, 3, 1, 8, tzinfo=UTC))
    clock.advance(timedelta(hours=2))
    assert clock.now() == datetime(2027, 3, 1, 10, tzinfo=UTC)
    with pytest.raises(ValueError, match="baglæns"):
        clock.advance_to(datetime(2027, 3, 1, 9, tzinfo=UTC))
    with pytest.raises(ValueError, match="tidszone"):
        clock.advance_to(datetime(2027, 3, 2, 9))


def test_system_clock_follows_freezegun_and_is_aware_utc():
    with freeze_time("2027-03-28 01:30:00"):
        now = SystemClock().now()
    assert now == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
