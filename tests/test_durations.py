"""Durations as written in a drejebog: parsing, Danish text, and errors that help."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from drejebog.engine.calendar import WorkingCalendar
from drejebog.engine.deadlines import due_date
from drejebog.engine.durations import (
    MAX_AMOUNT,
    Adjust,
    Duration,
    DurationError,
    Unit,
    parse_duration,
)


def _param(text: str, duration: Duration, name: str | None = None) -> object:
    return pytest.param(text, duration, id=name or "_".join(text.split()))


# each as Duration prints it: these parse to the Duration and print back to the same text
CANONICAL = [
    _param("14 dage", Duration(14, Unit.DAYS)),
    _param("1 dag", Duration(1, Unit.DAYS)),
    _param("0 dage", Duration(0, Unit.DAYS)),
    _param("10 arbejdsdage", Duration(10, Unit.WORKING_DAYS)),
    _param("1 arbejdsdag", Duration(1, Unit.WORKING_DAYS)),
    _param("6 uger", Duration(6, Unit.WEEKS)),
    _param("1 uge", Duration(1, Unit.WEEKS)),
    _param("1 måned", Duration(1, Unit.MONTHS)),
    _param("8 måneder", Duration(8, Unit.MONTHS)),
    _param(f"{MAX_AMOUNT} dage", Duration(MAX_AMOUNT, Unit.DAYS), "largest"),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        *CANONICAL,
        _param("6 Uger", Duration(6, Unit.WEEKS), "capitalised"),
        _param("3 MÅNEDER", Duration(3, Unit.MONTHS), "upper_case"),
        _param("  10   arbejdsdage\t", Duration(10, Unit.WORKING_DAYS), "extra_whitespace"),
        _param("007 dage", Duration(7, Unit.DAYS), "leading_zeros"),
    ],
)
def test_parse_duration(text: str, expected: Duration) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(("text", "duration"), CANONICAL)
def test_duration_prints_danish_and_parses_back(text: str, duration: Duration) -> None:
    assert str(duration) == text
    assert parse_duration(text) == duration


def test_misspelt_unit_gives_the_whole_message() -> None:
    with pytest.raises(DurationError) as caught:
        parse_duration("14 dgae")
    assert str(caught.value) == (
        "ugyldig varighed '14 dgae': ukendt enhed 'dgae' (mente du 'dage'?); "
        "skriv fx '14 dage', '10 arbejdsdage', '6 uger' eller '1 måned'"
    )


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("10 arbejsdage", "ukendt enhed 'arbejsdage' (mente du 'arbejdsdage'?)"),
        ("1 maned", "ukendt enhed 'maned' (mente du 'måned'?)"),
        ("6 ugr", "ukendt enhed 'ugr' (mente du 'uger'?)"),
        ("2 år", "ukendt enhed 'år'"),
        ("14", "enheden mangler efter antallet"),
        ("dage", "antallet mangler foran enheden"),
        ("14dage", "mellemrum mangler (mente du '14 dage'?)"),
        ("-1 dage", "antallet '-1' skal være et helt tal på 0 eller mere"),
        ("1,5 uge", "antallet '1,5' skal være et helt tal på 0 eller mere"),
        ("1.5 uge", "antallet '1.5' skal være et helt tal på 0 eller mere"),
        ("to uger", "'to' er ikke et antal (skriv det med cifre)"),
        ("\u0661\u0664 dage", "er ikke et antal"),  # Arabic-Indic digits: not a Danish number
        ("14 dage efter", "der må kun stå et antal og en enhed"),
        ("", "den er tom"),
        ("   ", "den er tom"),
        (f"{MAX_AMOUNT + 1} dage", f"er for stort (højst {MAX_AMOUNT})"),
    ],
    ids=[
        "misspelt_arbejdsdage",
        "maaned_without_aa",
        "misspelt_uger",
        "unknown_unit_aar",
        "missing_unit",
        "missing_amount",
        "no_space",
        "negative",
        "decimal_comma",
        "decimal_point",
        "amount_in_words",
        "non_ascii_digits",
        "extra_words",
        "empty",
        "blank",
        "too_large",
    ],
)
def test_bad_duration_says_what_is_wrong_and_what_is_expected(text: str, why: str) -> None:
    with pytest.raises(DurationError) as caught:
        parse_duration(text)
    message = str(caught.value)
    assert message.startswith(f"ugyldig varighed '{text.strip()}': ")
    assert why in message
    assert message.endswith("skriv fx '14 dage', '10 arbejdsdage', '6 uger' eller '1 måned'")


def test_duration_error_is_a_value_error() -> None:
    assert issubclass(DurationError, ValueError)


@pytest.mark.parametrize(
    "amount",
    [-1, MAX_AMOUNT + 1, True, 1.5],
    ids=["negative", "too_large", "bool", "float"],
)
def test_duration_refuses_amounts_parse_would_refuse(amount: object) -> None:
    with pytest.raises(DurationError, match="antallet"):
        Duration(amount, Unit.DAYS)  # type: ignore[arg-type]


def test_duration_is_frozen_and_hashable() -> None:
    duration = Duration(14, Unit.DAYS)
    with pytest.raises(AttributeError):
        duration.amount = 15  # type: ignore[misc]
    assert {duration, Duration(14, Unit.DAYS)} == {duration}


@pytest.mark.parametrize(
    ("word", "adjust"),
    [("frem", Adjust.FORWARD), ("tilbage", Adjust.BACKWARD), ("behold", Adjust.KEEP)],
    ids=["frem", "tilbage", "behold"],
)
def test_adjust_reads_the_danish_word(word: str, adjust: Adjust) -> None:
    assert Adjust(word) is adjust


def test_units_are_the_five_of_the_language() -> None:
    assert [u.name for u in Unit] == ["DAYS", "WORKING_DAYS", "WEEKS", "MONTHS", "WEEK_ENDS"]


@pytest.mark.parametrize(
    ("text", "expected", "shown"),
    [
        ("1 måned (månedsslut)", Duration(1, Unit.MONTHS, month_end=True), "1 måned (månedsslut)"),
        (
            "3 måneder månedsslut",
            Duration(3, Unit.MONTHS, month_end=True),
            "3 måneder (månedsslut)",
        ),
        ("udgangen af uge 10", Duration(10, Unit.WEEK_ENDS), "udgangen af uge 10"),
        ("inden  udgangen af UGE 0", Duration(0, Unit.WEEK_ENDS), "udgangen af uge 0"),
    ],
)
def test_calendar_forms_parse_and_print_back(text: str, expected: Duration, shown: str) -> None:
    assert parse_duration(text) == expected
    assert str(expected) == shown
    assert parse_duration(shown) == expected


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("14 dage (månedsslut)", "kan kun stå efter måneder"),
        ("udgangen af uge ti", "er ikke et antal"),
        ("udgangen af uge -1", "skal være et helt tal"),
        ("udgangen af uge 10000", "for stort"),
    ],
)
def test_calendar_forms_refuse_what_they_cannot_mean(text: str, why: str) -> None:
    with pytest.raises(DurationError) as caught:
        parse_duration(text)
    assert why in str(caught.value) and text.split()[-1] in str(caught.value)


def test_month_end_belongs_to_months_only() -> None:
    with pytest.raises(DurationError, match="kun for måneder"):
        Duration(2, Unit.WEEKS, month_end=True)


@pytest.mark.parametrize(
    "text",
    [
        "1 dag",
        "14 dage",
        "1 uge",
        "3 uger",
        "1 måned",
        "6 måneder",
        "1 arbejdsdag",
        "10 arbejdsdage",
        "1 måned (månedsslut)",
        "udgangen af uge 0",
        "udgangen af uge 3",
    ],
)
def test_most_days_bounds_every_due_date_from_2026_to_2035(text):
    duration = parse_duration(text)
    calendar = WorkingCalendar()
    day, end = date(2026, 1, 1), date(2035, 12, 31)
    while day <= end:
        for adjust in Adjust:
            due = due_date(day, duration, adjust, calendar)
            assert (due - day).days <= duration.most_days(), (text, day, adjust)
        day += timedelta(days=1)
