"""Durations as a projektleder writes them: `14 dage`, `10 arbejdsdage`, `6 uger`, `1 måned`."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from enum import Enum


class Unit(Enum):
    DAYS = "dage"
    WORKING_DAYS = "arbejdsdage"
    WEEKS = "uger"
    MONTHS = "måneder"


_SINGULAR = {
    Unit.DAYS: "dag",
    Unit.WORKING_DAYS: "arbejdsdag",
    Unit.WEEKS: "uge",
    Unit.MONTHS: "måned",
}
_UNIT_WORDS = {word: unit for unit, word in _SINGULAR.items()} | {u.value: u for u in Unit}
_SHAPE = re.compile(r"^\s*(\d+)\s+(\S+)\s*$")
_EXAMPLES = "skriv fx '14 dage', '10 arbejdsdage', '6 uger' eller '1 måned'"


class Adjust(Enum):
    """What to do when a computed date falls on a non-working day."""

    FORWARD = "frem"
    BACKWARD = "tilbage"
    KEEP = "behold"


class DurationError(ValueError):
    pass


@dataclass(frozen=True)
class Duration:
    amount: int
    unit: Unit

    def __str__(self) -> str:
        word = _SINGULAR[self.unit] if self.amount == 1 else self.unit.value
        return f"{self.amount} {word}"


def parse_duration(text: str) -> Duration:
    match = _SHAPE.match(str(text))
    if match is None:
        raise DurationError(f"ugyldig varighed '{text}': {_EXAMPLES}")
    amount, word = int(match.group(1)), match.group(2).lower()
    unit = _UNIT_WORDS.get(word)
    if unit is None:
        close = difflib.get_close_matches(word, list(_UNIT_WORDS), n=1, cutoff=0.5)
        hint = f" (mente du '{close[0]}'?)" if close else ""
        raise DurationError(f"ugyldig varighed '{text}': ukendt enhed '{word}'{hint}; {_EXAMPLES}")
    return Duration(amount, unit)
