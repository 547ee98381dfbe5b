"""CPR numbers: validated on the way in, stored whole, shown masked everywhere else.

The century comes from the 7th digit; the modulus-11 check is never applied (Denmark stopped
guaranteeing it for numbers issued since 2007); erstatningspersonnumre (6 added to the day's
first digit) are accepted. `str()` and `repr()` of a Cpr are masked, so an accidental log
line never carries the full number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from engine.errors import DrejebogError

_SHAPE = re.compile(r"^(\d{2})(\d{2})(\d{2})-?(\d{4})$")
_IN_TEXT = re.compile(r"\b(\d{6})-?(\d{4})\b")


class InvalidCpr(DrejebogError, ValueError):
    pass


def _century(seventh: int, yy: int) -> int:
    if seventh <= 3:
        return 1900
    if seventh in (4, 9):
        return 2000 if yy <= 36 else 1900
    return 2000 if yy <= 57 else 1800


@dataclass(frozen=True)
class Cpr:
    digits: str = field(repr=False)

    @property
    def is_replacement(self) -> bool:
        return int(self.digits[0]) >= 4

    @property
    def birth_date(self) -> date:
        day = int(self.digits[0:2]) - (60 if self.is_replacement else 0)
        month, yy = int(self.digits[2:4]), int(self.digits[4:6])
        return date(_century(int(self.digits[6]), yy) + yy, month, day)

    @property
    def masked(self) -> str:
        return f"{self.digits[:6]}-xxxx"

    @property
    def formatted(self) -> str:
        return f"{self.digits[:6]}-{self.digits[6:]}"

    def __str__(self) -> str:
        return self.masked

    def __repr__(self) -> str:
        return f"Cpr({self.masked})"


def parse_cpr(text: str) -> Cpr:
    match = _SHAPE.match(str(text).strip())
    if match is None:
        raise InvalidCpr("et CPR-nummer skal skrives DDMMÅÅ-XXXX (10 cifre)")
    digits = "".join(match.groups())
    masked = f"{digits[:6]}-xxxx"
    day = int(digits[0:2])
    if day >= 61:
        day -= 60
    if not 1 <= int(digits[2:4]) <= 12:
        raise InvalidCpr(f"CPR-nummeret {masked} har en ugyldig måned")
    cpr = Cpr(digits)
    if not 1 <= day <= 31:
        raise InvalidCpr(f"CPR-nummeret {masked} har en ugyldig dag")
    try:
        cpr.birth_date  # noqa: B018  (validates the calendar date)
    except ValueError:
        raise InvalidCpr(f"CPR-nummeret {masked} er ikke en gyldig dato") from None
    return cpr


def mask_cpr_in_text(text: str) -> str:
    """Replace anything shaped like a CPR number in free text by its masked form."""
    return _IN_TEXT.sub(lambda m: f"{m.group(1)}-xxxx", text)
