"""CPR numbers: validated on the way in, never printed whole.

All numbers here are erstatningspersonnumre (6 added to the day's first digit), which can
never belong to a real person.
"""

from __future__ import annotations

from datetime import date

import pytest

from engine.cpr import InvalidCpr, mask_cpr_in_text, parse_cpr


@pytest.mark.parametrize(
    ("text", "born"),
    [
        ("610190-1234", date(1990, 1, 1)),  # 7th digit 0-3: 1900s
        ("610120-4000", date(2020, 1, 1)),  # 4 and YY <= 36: 2000s
        ("610137-4000", date(1937, 1, 1)),  # 4 and YY > 36: 1900s
        ("610150-5000", date(2050, 1, 1)),  # 5-8 and YY <= 57: 2000s
        ("610158-8000", date(1858, 1, 1)),  # 5-8 and YY > 57: 1800s
        ("610136-9000", date(2036, 1, 1)),  # 9 and YY <= 36: 2000s
        ("610199-9000", date(1999, 1, 1)),  # 9 and YY > 36: 1900s
        ("890200-4000", date(2000, 2, 29)),  # leap day in 2000
        ("9112851234", date(1985, 12, 31)),  # without the dash
        ("  610190-1234 ", date(1990, 1, 1)),
    ],
    ids=[
        "0-3",
        "4-2000s",
        "4-1900s",
        "5-8-2000s",
        "5-8-1800s",
        "9-2000s",
        "9-1900s",
        "leap-day",
        "no-dash",
        "spaces",
    ],
)
def test_valid_numbers_and_their_century(text, born):
    cpr = parse_cpr(text)
    assert cpr.birth_date == born
    assert cpr.is_replacement


def test_modulus_11_is_never_checked():
    # 6*4+1*3+0*2+1*7+9*6+0*5+1*4+2*3+3*2+4*1 = 108, not divisible by 11: still accepted
    assert parse_cpr("610190-1234").formatted == "610190-1234"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("910490-1234", "ikke en gyldig dato"),  # 31 April
        ("890201-4000", "ikke en gyldig dato"),  # 29 February 2001
        ("611390-1234", "ugyldig måned"),
        ("610090-1234", "ugyldig måned"),
        ("990190-1234", "ugyldig dag"),
        ("61019-1234", "DDMMÅÅ-XXXX"),
        ("abcdef-ghij", "DDMMÅÅ-XXXX"),
        ("", "DDMMÅÅ-XXXX"),
    ],
    ids=["31-april", "29-feb-2001", "month-13", "month-0", "day-39", "short", "letters", "empty"],
)
def test_invalid_numbers_say_why_without_the_serial(text, problem):
    with pytest.raises(InvalidCpr) as caught:
        parse_cpr(text)
    message = str(caught.value)
    assert problem in message
    assert text.strip()[-4:] not in message or not text.strip()


def test_the_full_number_never_leaks_through_str_repr_or_formatting():
    cpr = parse_cpr("610190-1234")
    for shown in (str(cpr), repr(cpr), f"{cpr}", format(cpr), cpr.masked):
        assert "1234" not in shown
    assert cpr.masked == "610190-xxxx"


def test_masking_free_text():
    text = "borger 610190-1234 og 7205851234 ringede; sag 12345 er ikke et CPR-nummer"
    assert mask_cpr_in_text(text) == (
        "borger 610190-xxxx og 720585-xxxx ringede; sag 12345 er ikke et CPR-nummer"
    )
