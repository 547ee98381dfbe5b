"""Durations as a projektleder writes them: `14 dage`, `10 arbejdsdage`, `6 uger`, `1 måned`,
`1 måned (månedsslut)` and `udgangen af uge 10`.

Only the shape and the units live here; what a duration means on the calendar (counting from
the day after, working days, month ends) is `engine.deadlines`.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from enum import Enum

from drejebog.engine.errors import DrejebogError


class Unit(Enum):
    """A duration's unit; the value is the Danish plural."""

    DAYS = "dage"
    WORKING_DAYS = "arbejdsdage"
    WEEKS = "uger"
    MONTHS = "måneder"
    WEEK_ENDS = "udgangen af uge"  # the last day (Sunday) of the Nth calendar week after


class Adjust(Enum):
    """What to do when a computed date falls on a non-working day (`helligdag:`)."""

    FORWARD = "frem"
    BACKWARD = "tilbage"
    KEEP = "behold"


class DurationError(DrejebogError, ValueError):
    """A duration that cannot be read; the message is Danish and quotes the text."""


MAX_AMOUNT = 9999
"""Upper bound on the amount: keeps arithmetic inside the calendar and loops short."""

_SINGULAR = {
    Unit.DAYS: "dag",
    Unit.WORKING_DAYS: "arbejdsdag",
    Unit.WEEKS: "uge",
    Unit.MONTHS: "måned",
}
_UNIT_WORDS: dict[str, Unit] = {word: unit for unit, word in _SINGULAR.items()} | {
    str(u.value): u for u in Unit if u is not Unit.WEEK_ENDS
}
MONTH_END = "(månedsslut)"
"""Written after a number of months: the end of a month stays the end of a month."""
_WEEK_END = re.compile(r"(?:inden\s+)?udgangen\s+af\s+uge\s+(\S+)", re.IGNORECASE)
_WHOLE = re.compile(r"[0-9]+")
_NUMBERISH = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]*)?")
_GLUED = re.compile(r"([0-9]+)([^\W\d_]+)")
_EXAMPLES = "skriv fx '14 dage', '10 arbejdsdage', '6 uger' eller '1 måned'"


@dataclass(frozen=True)
class Duration:
    """A whole, non-negative amount of a unit. `str()` gives the Danish text back."""

    amount: int
    unit: Unit
    month_end: bool = False  # only with måneder: the last day of a month gives the last day

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise DurationError(
                f"ugyldig varighed: antallet skal være et helt tal, ikke {self.amount!r}"
            )
        if not 0 <= self.amount <= MAX_AMOUNT:
            raise DurationError(
                f"ugyldig varighed: antallet skal være mellem 0 og {MAX_AMOUNT}, ikke {self.amount}"
            )

        if self.month_end and self.unit is not Unit.MONTHS:
            raise DurationError("ugyldig varighed: månedsslut gælder kun for måneder")

    def __str__(self) -> str:
        if self.unit is Unit.WEEK_ENDS:
            return f"udgangen af uge {self.amount}"
        word = _SINGULAR[self.unit] if self.amount == 1 else self.unit.value
        return f"{self.amount} {word}" + (f" {MONTH_END}" if self.month_end else "")

    def most_days(self) -> int:
        """A bound on the calendar days from an anchor to a due date this long, moved past
        non-working days: a month is at most 31 days, working days at most twice their number,
        and the longest run of Danish holidays and weekends (Easter's) adds at most six."""
        per_unit = {
            Unit.DAYS: 1,
            Unit.WEEKS: 7,
            Unit.MONTHS: 31,
            Unit.WORKING_DAYS: 2,
            Unit.WEEK_ENDS: 7,
        }
        # the end of week N lies up to 6 days past N weeks (the anchor on a Monday)
        return self.amount * per_unit[self.unit] + 6 + (6 if self.unit is Unit.WEEK_ENDS else 0)


def parse_duration(text: str) -> Duration:
    """Read `"<whole number> <unit>"`; unit dag(e), arbejdsdag(e), uge(r), måned(er); months
    may be followed by `(månedsslut)`; or `"[inden] udgangen af uge <N>"`.

    Case and extra whitespace do not matter. Raises DurationError with a Danish message that
    quotes the text, says what was wrong and what is expected.
    """
    words = str(text).split()
    week_end = _WEEK_END.fullmatch(" ".join(words))
    if week_end is not None:
        return Duration(_amount(text, week_end.group(1)), Unit.WEEK_ENDS)
    if len(words) == 3 and words[2].lower() in (MONTH_END, MONTH_END.strip("()")):
        unit = _unit(text, words[1])
        if unit is not Unit.MONTHS:
            raise _error(text, f"{MONTH_END} kan kun stå efter måneder, fx '1 måned {MONTH_END}'")
        return Duration(_amount(text, words[0]), unit, month_end=True)
    if len(words) == 2:
        number, word = words
        return Duration(_amount(text, number), _unit(text, word))
    raise _error(text, _why_not_two_words(words))


def _amount(text: str, number: str) -> int:
    if _WHOLE.fullmatch(number) is None:
        if _NUMBERISH.fullmatch(number) is not None:
            raise _error(text, f"antallet '{number}' skal være et helt tal på 0 eller mere")
        raise _error(text, f"'{number}' er ikke et antal (skriv det med cifre)")
    amount = int(number)
    if amount > MAX_AMOUNT:
        raise _error(text, f"antallet {amount} er for stort (højst {MAX_AMOUNT})")
    return amount


def _unit(text: str, word: str) -> Unit:
    unit = _UNIT_WORDS.get(word.lower())
    if unit is None:
        raise _error(text, f"ukendt enhed '{word}'{_did_you_mean(word)}")
    return unit


def _why_not_two_words(words: list[str]) -> str:
    if not words:
        return "den er tom"
    if len(words) > 2:
        return "der må kun stå et antal og en enhed"
    (word,) = words
    if _WHOLE.fullmatch(word) is not None:
        return "enheden mangler efter antallet"
    glued = _GLUED.fullmatch(word)
    if glued is not None and glued.group(2).lower() in _UNIT_WORDS:
        return f"mellemrum mangler (mente du '{glued.group(1)} {glued.group(2)}'?)"
    if word.lower() in _UNIT_WORDS:
        return "antallet mangler foran enheden"
    return "der skal stå et antal og en enhed"


def _did_you_mean(word: str) -> str:
    close = difflib.get_close_matches(word.lower(), list(_UNIT_WORDS), n=1, cutoff=0.5)
    return f" (mente du '{close[0]}'?)" if close else ""


def _error(text: str, why: str) -> DurationError:
    return DurationError(f"ugyldig varighed '{str(text).strip()}': {why}; {_EXAMPLES}")
