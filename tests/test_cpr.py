"""CPR numbers: validated on the way in, never shown whole.

Test data can never belong to a living person. Almost every number is an
erstatningspersonnummer (6 added to the day's first digit: 61-91), which no ordinary person
holds. The few tests that need an ordinary day use birth years 1858-1899 (7th digit 5-8, YY
58-99) with made-up serials (x000), or dates that do not exist; each such line says so.
"""

from __future__ import annotations

import logging
import re
import traceback
from dataclasses import dataclass
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drejebog.engine.cpr import Cpr, InvalidCpr, mask_cpr_in_text, parse_cpr
from drejebog.engine.errors import DrejebogError
from tests.conftest import shows_cpr_serial

# Anything shaped like a CPR number: what must never survive masking.
CPR_SHAPED = re.compile(r"(?<![0-9])[0-9]{6}-?[0-9]{4}(?![0-9])")


def passes_modulus_11(digits: str) -> bool:
    weights = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 == 0


# -- valid numbers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "born"),
    [
        pytest.param("610190-0123", date(1990, 1, 1), id="7th_0_always_1900s"),
        pytest.param("610100-3999", date(1900, 1, 1), id="7th_3_always_1900s"),
        pytest.param("610100-4000", date(2000, 1, 1), id="7th_4_yy00_2000s"),
        pytest.param("610136-4000", date(2036, 1, 1), id="7th_4_yy36_2000s"),
        pytest.param("610137-4000", date(1937, 1, 1), id="7th_4_yy37_1900s"),
        pytest.param("610199-4000", date(1999, 1, 1), id="7th_4_yy99_1900s"),
        pytest.param("610100-5000", date(2000, 1, 1), id="7th_5_yy00_2000s"),
        pytest.param("610120-6000", date(2020, 1, 1), id="7th_6_yy20_2000s"),
        pytest.param("610157-8000", date(2057, 1, 1), id="7th_8_yy57_2000s"),
        pytest.param("610158-5000", date(1858, 1, 1), id="7th_5_yy58_1800s"),
        pytest.param("610170-7000", date(1870, 1, 1), id="7th_7_yy70_1800s"),
        pytest.param("610199-8000", date(1899, 1, 1), id="7th_8_yy99_1800s"),
        pytest.param("610100-9000", date(2000, 1, 1), id="7th_9_yy00_2000s"),
        pytest.param("610136-9000", date(2036, 1, 1), id="7th_9_yy36_2000s"),
        pytest.param("610137-9000", date(1937, 1, 1), id="7th_9_yy37_1900s"),
    ],
)
def test_the_century_comes_from_the_7th_digit(text, born):
    assert parse_cpr(text).birth_date == born


@pytest.mark.parametrize(
    ("text", "born", "masked"),
    [
        pytest.param("610190-1234", date(1990, 1, 1), "610190-xxxx", id="day_61_is_the_1st"),
        pytest.param("911290-1234", date(1990, 12, 31), "911290-xxxx", id="day_91_is_the_31st"),
        pytest.param("890200-4000", date(2000, 2, 29), "890200-xxxx", id="leap_day_2000"),
        pytest.param("880200-0000", date(1900, 2, 28), "880200-xxxx", id="28_feb_1900"),
    ],
)
def test_erstatningspersonnumre_are_born_on_the_day_minus_60(text, born, masked):
    cpr = parse_cpr(text)
    assert cpr.is_replacement
    assert cpr.birth_date == born
    assert cpr.masked == masked  # the day as written, not the birth day


@pytest.mark.parametrize(
    ("text", "born"),
    [
        # Ordinary days, so these are born 1858-1899 (7th digit 5-8, YY 58-99) and the
        # serials x000 are made up: no living person holds any of these numbers.
        pytest.param("010158-5000", date(1858, 1, 1), id="first_day_of_the_1800s_range"),
        pytest.param("311299-8000", date(1899, 12, 31), id="last_day_of_the_1800s_range"),
        pytest.param("290296-6000", date(1896, 2, 29), id="leap_day_1896"),
        pytest.param("3107707000", date(1870, 7, 31), id="without_dash"),
    ],
)
def test_ordinary_numbers_are_born_on_the_day_written(text, born):
    cpr = parse_cpr(text)
    assert not cpr.is_replacement
    assert cpr.birth_date == born
    assert cpr.masked == f"{text[:6]}-xxxx"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("610190-1234", id="dash"),
        pytest.param("6101901234", id="no_dash"),
        pytest.param("  610190-1234\n", id="surrounding_whitespace"),
        pytest.param("\t6101901234 ", id="surrounding_whitespace_no_dash"),
    ],
)
def test_both_spellings_give_the_same_number(text):
    cpr = parse_cpr(text)
    assert cpr.digits == "6101901234"
    assert cpr.formatted == "610190-1234"
    assert cpr == parse_cpr(cpr.formatted) == Cpr("6101901234")
    assert hash(cpr) == hash(Cpr("6101901234"))


def test_a_number_that_fails_modulus_11_is_still_accepted():
    # Numbers issued since 2007 need not satisfy modulus 11, so it is never checked.
    assert not passes_modulus_11("6101901234")
    assert parse_cpr("610190-1234").birth_date == date(1990, 1, 1)


# -- invalid numbers -----------------------------------------------------------------------

INVALID_DATES = [
    pytest.param("910490-1234", "den 31. april 1990 findes ikke", id="31_april"),
    pytest.param("900292-1234", "den 30. februar 1992 findes ikke", id="30_feb_leap_year"),
    pytest.param("890201-4417", "den 29. februar 2001 findes ikke", id="29_feb_2001"),
    # 7th digit 0: 1900, which is not a leap year (unlike 2000 in the valid tests above)
    pytest.param("890200-0417", "den 29. februar 1900 findes ikke", id="29_feb_1900"),
    # ordinary days, but dates that never existed: no one can hold these numbers
    pytest.param("290297-5417", "den 29. februar 1897 findes ikke", id="29_feb_1897_ordinary"),
    pytest.param("310458-5417", "den 31. april 1858 findes ikke", id="31_april_ordinary"),
]
INVALID_PARTS = [
    pytest.param("611390-1234", "ugyldig måned (13)", id="month_13"),
    pytest.param("610090-1234", "ugyldig måned (00)", id="month_00"),
    pytest.param("619990-1234", "ugyldig måned (99)", id="month_99"),
    pytest.param("000190-1234", "ugyldig dag (00)", id="day_00"),
    pytest.param("320190-1234", "ugyldig dag (32)", id="day_32"),
    pytest.param("600190-1234", "ugyldig dag (60)", id="replacement_day_00"),
    pytest.param("920190-1234", "ugyldig dag (92)", id="replacement_day_32"),
    pytest.param("450190-1234", "ugyldig dag (45)", id="day_45"),
]
BAD_SHAPES = [
    pytest.param("", "CPR-nummeret mangler", id="empty"),
    pytest.param("   ", "CPR-nummeret mangler", id="only_whitespace"),
    pytest.param("61019-1234", "10 cifre, men der er 9", id="9_digits"),
    pytest.param("610190-12345", "10 cifre, men der er 11", id="11_digits"),
    pytest.param("6101901234567890", "10 cifre, men der er 16", id="16_digits"),
    pytest.param("61O190-1234", "kun indeholde cifrene 0-9", id="letter_O_for_zero"),
    pytest.param("abcdef-ghij", "kun indeholde cifrene 0-9", id="letters"),
    pytest.param("610190 1234", "kun indeholde cifrene 0-9", id="inner_space"),
    pytest.param("610190–1234", "kun indeholde cifrene 0-9", id="en_dash"),
    pytest.param("cpr: 610190-1234", "kun indeholde cifrene 0-9", id="with_label"),
    pytest.param("٦١٠١٩٠١٢٣٤", "kun indeholde cifrene 0-9", id="arabic_indic_digits"),
    pytest.param("６１０１９０１２３４", "kun indeholde cifrene 0-9", id="fullwidth_digits"),
    pytest.param("6101-901234", "bindestregen", id="dash_misplaced"),
    pytest.param("610190--1234", "bindestregen", id="two_dashes"),
    pytest.param("-6101901234", "bindestregen", id="leading_dash"),
    pytest.param(6101901234, "som tekst", id="int_not_str"),
]


@pytest.mark.parametrize(("text", "problem"), INVALID_DATES)
def test_dates_that_do_not_exist_are_rejected(text, problem):
    with pytest.raises(
        InvalidCpr, match=re.escape(f"{text[:6]}-xxxx er ikke en gyldig dato: {problem}")
    ):
        parse_cpr(text)


@pytest.mark.parametrize(("text", "problem"), INVALID_PARTS)
def test_impossible_days_and_months_are_rejected(text, problem):
    with pytest.raises(
        InvalidCpr, match=re.escape(f"CPR-nummeret {text[:6]}-xxxx har en {problem}")
    ):
        parse_cpr(text)


@pytest.mark.parametrize(("text", "problem"), BAD_SHAPES)
def test_bad_shapes_are_rejected(text, problem):
    with pytest.raises(InvalidCpr, match=re.escape(problem)):
        parse_cpr(text)


def test_invalid_cpr_is_a_value_error_and_a_drejebog_error():
    with pytest.raises(InvalidCpr) as caught:
        parse_cpr("611390-1234")
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, DrejebogError)
    assert not caught.value.retryable


@pytest.mark.parametrize(
    "digits",
    [
        pytest.param("610190-1234", id="with_dash"),
        pytest.param("610190123", id="9_digits"),
        pytest.param("61019012345", id="11_digits"),
        pytest.param("61O1901234", id="letter"),
        pytest.param("611390-1234", id="month_13"),
    ],
)
def test_the_constructor_also_refuses_anything_but_a_valid_number(digits):
    with pytest.raises(InvalidCpr) as caught:
        Cpr(digits)
    assert "1234" not in str(caught.value)


# -- the full number never leaks -----------------------------------------------------------


def leaked(text: object, shown: str) -> list[str]:
    """The parts of `text` that would identify a person and appear in `shown`."""
    if not isinstance(text, str):
        text = str(text)
    digits = "".join(c for c in text if c in "0123456789")
    secrets = [text.strip(), digits, digits[:6] + "-" + digits[6:]] if len(digits) >= 10 else []
    if len(digits) >= 10:
        secrets.append(digits[6:10])  # the serial alone is already too much
    return [secret for secret in secrets if secret and secret in shown]


@pytest.mark.parametrize(("text", "problem"), INVALID_DATES + INVALID_PARTS + BAD_SHAPES)
def test_error_messages_and_tracebacks_never_contain_the_number(text, problem):
    with pytest.raises(InvalidCpr) as caught:
        parse_cpr(text)
    error = caught.value
    whole_traceback = "".join(traceback.format_exception(error))
    assert leaked(text, str(error)) == []
    assert leaked(text, repr(error)) == []
    assert leaked(text, whole_traceback) == []
    assert error.__cause__ is None  # nothing chained that could carry the number


@dataclass(frozen=True)
class Citizen:
    name: str
    cpr: Cpr


def test_str_repr_and_formatting_show_only_the_masked_form(caplog):
    cpr = parse_cpr("610190-1234")
    logging.getLogger("drejebog.test").warning("borger %s (%r)", cpr, cpr)
    shown = {
        "str": str(cpr),
        "repr": repr(cpr),
        "f-string": f"{cpr}",
        "f-string !r": f"{cpr!r}",
        "format": format(cpr),
        "%-format": "%s %r" % (cpr, cpr),  # noqa: UP031  (the old style must be safe too)
        "in a list": repr([cpr]),
        "in a dict": str({"cpr": cpr}),
        "in a dataclass": repr(Citizen("Test Testesen", cpr)),
        "log line": caplog.text,
    }
    for how, text in shown.items():
        assert leaked("610190-1234", text) == [], how
        assert "610190-xxxx" in text, how
    assert repr(cpr) == "Cpr(610190-xxxx)"
    assert cpr.formatted == "610190-1234"  # the one way out, for storage


def valid_birth_dates_and_7th_digits() -> st.SearchStrategy[tuple[date, int]]:
    """A birth date 1858-2057 with a 7th digit the CPR rules allow for its year."""

    def allowed(year: int) -> list[int]:
        yy = year % 100
        return [
            d
            for d in range(10)
            if (d <= 3 and 1900 <= year <= 1999)
            or (d in (4, 9) and (1937 <= year <= 1999 or 2000 <= year <= 2036))
            or (d in (5, 6, 7, 8) and (year >= 2000 if yy <= 57 else year < 1900))
        ]

    dates = st.dates(min_value=date(1858, 1, 1), max_value=date(2057, 12, 31))
    return dates.flatmap(lambda born: st.tuples(st.just(born), st.sampled_from(allowed(born.year))))


@settings(database=None, max_examples=300)
@given(valid_birth_dates_and_7th_digits(), st.integers(0, 999), st.booleans())
def test_any_valid_replacement_number_parses_back_to_its_birth_date(born_7th, rest, dashed):
    born, seventh = born_7th
    digits = f"{born.day + 60:02d}{born:%m%y}{seventh}{rest:03d}"
    cpr = parse_cpr(f"{digits[:6]}-{digits[6:]}" if dashed else digits)
    assert cpr.birth_date == born
    assert cpr.is_replacement
    assert digits not in f"{cpr} {cpr!r}" and cpr.formatted not in f"{cpr} {cpr!r}"


# -- masking free text ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        pytest.param("borger 610190-1234 ringede", "borger 610190-xxxx ringede", id="dash"),
        pytest.param("cpr=6101901234", "cpr=610190-xxxx", id="no_dash"),
        pytest.param(
            "610190-1234 og 7205851234; sag 12345",
            "610190-xxxx og 720585-xxxx; sag 12345",
            id="several",
        ),
        pytest.param("CPR6101901234:", "CPR610190-xxxx:", id="glued_to_letters"),
        pytest.param("id_6101901234", "id_610190-xxxx", id="glued_to_underscore"),
        pytest.param("(991390-1234)", "(991390-xxxx)", id="invalid_date_masked_anyway"),
        pytest.param("a\n610190-1234\nb", "a\n610190-xxxx\nb", id="multiline"),
        pytest.param("sag 610190123", "sag 610190123", id="9_digits_untouched"),
        pytest.param("tlf 61019012345", "tlf 61019012345", id="11_digits_untouched"),
        pytest.param("6101901-234", "6101901-234", id="dash_elsewhere_untouched"),
        pytest.param("frist 2027-03-01", "frist 2027-03-01", id="iso_date_untouched"),
        pytest.param("tlf +45 20 00 00 01", "tlf +45 20 00 00 01", id="phone_untouched"),
        pytest.param("borger 610190-xxxx", "borger 610190-xxxx", id="already_masked"),
        pytest.param("", "", id="empty"),
    ],
)
def test_mask_cpr_in_text(text, masked):
    assert mask_cpr_in_text(text) == masked


def test_mask_cpr_in_text_cleans_an_error_message():
    error = InvalidCpr("borgeren 610190-1234 findes allerede")  # e.g. from a driver
    assert mask_cpr_in_text(str(error)) == "borgeren 610190-xxxx findes allerede"


@settings(database=None, max_examples=300)
@given(st.text(alphabet="0123456789-x _\n"))
def test_masked_text_has_nothing_cpr_shaped_left(text):
    masked = mask_cpr_in_text(text)
    assert CPR_SHAPED.search(masked) is None
    assert mask_cpr_in_text(masked) == masked


def test_the_tests_own_check_for_the_serial_finds_it_as_text_but_not_inside_an_id():
    shown = ["610190-1234", "6101901234", "xxxxxx-1234.", "serienummer 1234"]
    hidden = ['"4c0d12a8f1234de2"', "ab1234cd", "id-1234-5678", "12345"]
    assert [shows_cpr_serial(text) for text in shown] == [True] * 4
    assert [shows_cpr_serial(text) for text in hidden] == [False] * 4
