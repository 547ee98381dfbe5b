"""CPR numbers: validated on the way in, stored whole, shown masked everywhere else.

A `Cpr` can only hold a valid number: `parse_cpr()` reads what a person typed, and the
constructor itself checks the 10 digits, so no code path holds an unchecked one.

- The century comes from the 7th digit (the first serial digit), as the CPR office assigns it.
- The modulus-11 check is never applied: Denmark stopped guaranteeing it for numbers issued
  since 2007, so it would reject real people.
- Erstatningspersonnumre (6 added to the day's first digit, day 01-31 written 61-91) are
  accepted; their birth date is the written day minus 60.

Nothing here ever shows the full number: `str()`, `repr()` and f-strings of a `Cpr` give the
masked form (`DDMMYY-xxxx`), `InvalidCpr` messages show at most that, and `mask_cpr_in_text()`
cleans free text (log lines, error messages) of anything shaped like a CPR number. Only
`Cpr.formatted` (for storage) carries all ten digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from drejebog.engine.errors import DrejebogError

# ASCII digits only: `\d` would also accept e.g. Arabic-Indic or full-width digits.
_DIGITS = frozenset("0123456789")
_SHAPE = "DDMMÅÅ-XXXX"
# Digit boundaries rather than `\b`, so a number glued to letters ("cpr6101901234") or an
# underscore is masked too.
_IN_TEXT = re.compile(r"(?<![0-9])([0-9]{6})-?[0-9]{4}(?![0-9])")
_REPLACEMENT_OFFSET = 60
_MONTHS = (
    "januar", "februar", "marts", "april", "maj", "juni",
    "juli", "august", "september", "oktober", "november", "december",
)  # fmt: skip


class InvalidCpr(DrejebogError, ValueError):
    """Not a valid CPR number. The message never contains the full number given."""


def _masked(digits: str) -> str:
    return f"{digits[:6]}-xxxx"


def _century(seventh: int, yy: int) -> int:
    """The century of the birth year, from the 7th digit and the two-digit year."""
    if seventh <= 3:
        return 1900
    if seventh in (4, 9):
        return 2000 if yy <= 36 else 1900
    return 2000 if yy <= 57 else 1800  # 5-8


def _birth_date(digits: str) -> date:
    """The birth date of 10 ASCII digits, or InvalidCpr saying (masked) what is wrong."""
    masked = _masked(digits)
    written_day, month, yy = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    if not 1 <= month <= 12:
        raise InvalidCpr(
            f"CPR-nummeret {masked} har en ugyldig måned ({month:02d}); måneden skal være 01-12"
        )
    day = written_day - _REPLACEMENT_OFFSET if written_day > 31 else written_day
    if not 1 <= day <= 31:
        raise InvalidCpr(
            f"CPR-nummeret {masked} har en ugyldig dag ({written_day:02d}); dagen skal være "
            "01-31, eller 61-91 for et erstatningspersonnummer"
        )
    year = _century(int(digits[6]), yy) + yy
    try:
        return date(year, month, day)
    except ValueError:
        # `from None`: nothing chained, so a traceback shows only this masked message.
        raise InvalidCpr(
            f"CPR-nummeret {masked} er ikke en gyldig dato: den {day}. {_MONTHS[month - 1]} "
            f"{year} findes ikke (århundredet følger af løbenummerets første ciffer)"
        ) from None


@dataclass(frozen=True)
class Cpr:
    """A valid CPR number. `digits` is the 10 digits without the dash."""

    digits: str = field(repr=False)

    def __post_init__(self) -> None:
        shape_ok = isinstance(self.digits, str) and len(self.digits) == 10
        if not (shape_ok and set(self.digits) <= _DIGITS):
            raise InvalidCpr("Cpr.digits skal være præcis 10 cifre uden bindestreg")
        _birth_date(self.digits)

    @property
    def birth_date(self) -> date:
        return _birth_date(self.digits)

    @property
    def is_replacement(self) -> bool:
        """An erstatningspersonnummer: 6 added to the day's first digit."""
        return int(self.digits[0:2]) > 31

    @property
    def masked(self) -> str:
        """`DDMMYY-xxxx`, the day as written (61-91 for an erstatningspersonnummer)."""
        return _masked(self.digits)

    @property
    def formatted(self) -> str:
        """`DDMMYY-SSSS`, the full number: for storage only, never for display or logs."""
        return f"{self.digits[:6]}-{self.digits[6:]}"

    def __str__(self) -> str:
        return self.masked

    def __repr__(self) -> str:
        return f"Cpr({self.masked})"


def parse_cpr(text: str) -> Cpr:
    """Read `DDMMYY-SSSS` or `DDMMYYSSSS` (surrounding whitespace ignored) as a valid Cpr."""
    if not isinstance(text, str):
        raise InvalidCpr(
            f"et CPR-nummer skal angives som tekst ({_SHAPE}), ikke som {type(text).__name__}"
        )
    stripped = text.strip()
    if not stripped:
        raise InvalidCpr(f"CPR-nummeret mangler; skriv det som {_SHAPE}")
    if not set(stripped) <= _DIGITS | {"-"}:
        raise InvalidCpr(f"et CPR-nummer må kun indeholde cifrene 0-9 og én bindestreg ({_SHAPE})")
    digits = stripped.replace("-", "")
    if len(digits) != 10:
        raise InvalidCpr(
            f"et CPR-nummer skal have 10 cifre, men der er {len(digits)}; skriv det som {_SHAPE}"
        )
    if stripped != digits and stripped != f"{digits[:6]}-{digits[6:]}":
        raise InvalidCpr(
            f"bindestregen i et CPR-nummer skal stå efter de første 6 cifre ({_SHAPE})"
        )
    return Cpr(digits)


def mask_cpr_in_text(text: str) -> str:
    """Replace anything shaped like a CPR number in free text by its masked form.

    Masks by shape alone (6 digits, an optional dash, 4 digits, no digit either side), valid
    date or not: meant for log lines and error messages, where a false positive costs nothing.
    """
    return _IN_TEXT.sub(lambda m: _masked(m.group(1)), text)
