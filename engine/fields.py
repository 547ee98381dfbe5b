"""Reading typed values out of located YAML nodes, collecting Danish problems as we go.

Nothing here raises on bad input: every reader records a `Problem` at the node's position
and returns None, so one pass over a file reports every problem at once.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from datetime import date, datetime, time

from drejebog.engine.deadlines import parse_appointment, parse_time_of_day
from drejebog.engine.durations import Adjust, Duration, DurationError, Unit, parse_duration
from drejebog.engine.errors import Problem
from drejebog.engine.yamlnodes import MapNode, Mark, Node, ScalarNode, SeqNode

IDENTIFIER = re.compile(r"^[a-zæøå][a-z0-9æøå_]*$")
MAX_NAME_LENGTH = 64
"""The longest name the store keeps for every kind (a role's and a task occurrence's column is
64 characters; states, events and rules get 100): a longer one would load, then fail the first
event that stores it on PostgreSQL."""
MAX_SPAN_YEARS = 800
"""The longest plausible range of a date fact: keeps its dates inside the calendar."""


def suggestion(word: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (mente du '{close[0]}'?)" if close else ""


class FieldReader:
    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.problems: list[Problem] = []

    def problem(self, mark: Mark, message: str) -> None:
        self.problems.append(Problem(self.filename, mark.line, mark.column, message))

    # -- structure -------------------------------------------------------------------------

    def mapping(self, node: Node | None, what: str) -> MapNode | None:
        if node is None:
            return None
        if not isinstance(node, MapNode):
            self.problem(node.mark, f"{what} skal være en oversigt med nøgler (key: værdi)")
            return None
        return node

    def keys(
        self,
        node: MapNode,
        what: str,
        allowed: Iterable[str],
        required: Iterable[str] = (),
    ) -> None:
        """Report unknown keys (with the nearest valid one) and missing required keys."""
        allowed = list(allowed)
        for key, (mark, _value) in node.items.items():
            if key not in allowed:
                self.problem(mark, f"ukendt nøgle '{key}' i {what}{suggestion(key, allowed)}")
        for key in required:
            if key not in node.items:
                self.problem(node.mark, f"{what} mangler '{key}'")

    def items(self, node: Node | None, what: str) -> list[Node]:
        """A list, or a single value read as a one-item list."""
        if node is None:
            return []
        if isinstance(node, SeqNode):
            return node.items
        if isinstance(node, ScalarNode) and node.value is not None:
            return [node]
        if isinstance(node, ScalarNode):
            return []
        self.problem(node.mark, f"{what} skal være en liste eller en enkelt værdi")
        return []

    def sequence(self, node: Node | None, what: str) -> list[Node]:
        if node is None:
            return []
        if isinstance(node, SeqNode):
            return node.items
        if isinstance(node, ScalarNode) and node.value is None:
            return []
        self.problem(node.mark, f"{what} skal være en liste (linjer der begynder med '- ')")
        return []

    # -- scalars ---------------------------------------------------------------------------

    def text(self, node: Node | None, what: str) -> str | None:
        if node is None:
            return None
        if isinstance(node, ScalarNode) and node.invalid:
            return None  # yamlnodes has said what is wrong with it
        if not isinstance(node, ScalarNode) or node.value is None:
            self.problem(node.mark, f"{what} skal være en tekst")
            return None
        if isinstance(node.value, bool | int | float | date) and not node.quoted:
            return node.raw
        return str(node.value)

    def identifier(self, node: Node | None, what: str) -> str | None:
        value = self.text(node, what)
        if value is None or node is None:
            return None
        if len(value) > MAX_NAME_LENGTH:
            self.problem(
                node.mark,
                f"{what} '{value[:20]}…' har {len(value)} tegn; et navn må højst være "
                f"{MAX_NAME_LENGTH} tegn (databasen gemmer ikke længere navne)",
            )
            return None
        if not IDENTIFIER.match(value):
            self.problem(
                node.mark,
                f"{what} '{value}' er ikke et gyldigt navn: brug små bogstaver, tal og _ "
                "(fx 'rehab_moede')",
            )
            return None
        return value

    def boolean(self, node: Node | None, what: str) -> bool | None:
        if node is None:
            return None
        if isinstance(node, ScalarNode) and isinstance(node.value, bool):
            return node.value
        self.problem(node.mark, f"{what} skal være true eller false")
        return None

    def duration(self, node: Node | None, what: str) -> Duration | None:
        value = self.text(node, what)
        if value is None or node is None:
            return None
        try:
            return parse_duration(value)
        except DurationError as exc:
            self.problem(node.mark, f"{what}: {exc}")
            return None

    def fact_span(self, node: Node | None, what: str, direction: str) -> Duration | None:
        """A date fact's `tidligst`/`senest`: '<antal> <enhed>' counted from the event's date,
        optionally followed by `direction` ('før' or 'efter'), which only makes it read well.
        The unit is dage, uger, måneder or år (år is kept as 12 måneder)."""
        value = self.text(node, what)
        if value is None or node is None:
            return None
        words = value.split()
        if len(words) == 3 and words[2].lower() == direction:
            words = words[:2]
        examples = f"skriv fx '10 år {direction}', '6 måneder {direction}' eller '0 dage'"
        if len(words) == 2 and words[1].lower() in ("år", "aar") and words[0].isdigit():
            years = int(words[0])
            if years > MAX_SPAN_YEARS:
                self.problem(node.mark, f"{what}: højst {MAX_SPAN_YEARS} år, ikke '{value}'")
                return None
            return Duration(years * 12, Unit.MONTHS)
        try:
            span = parse_duration(" ".join(words))
        except DurationError as exc:
            self.problem(node.mark, f"{what}: {exc}; {examples}")
            return None
        if span.unit is Unit.WORKING_DAYS:
            self.problem(node.mark, f"{what}: brug dage, uger, måneder eller år, ikke arbejdsdage")
            return None
        return span

    def adjust(self, node: Node | None) -> Adjust | None:
        value = self.text(node, "'helligdag'")
        if value is None or node is None:
            return None
        choices = [a.value for a in Adjust]
        if value not in choices:
            self.problem(
                node.mark,
                f"'helligdag' skal være {', '.join(choices)}, ikke '{value}'"
                f"{suggestion(value, choices)}",
            )
            return None
        return Adjust(value)

    def time_of_day(self, node: Node | None) -> time | None:
        if node is None:
            return None
        if not isinstance(node, ScalarNode):
            self.problem(node.mark, "'klokken' skal være et klokkeslæt som \"08:00\"")
            return None
        try:
            return parse_time_of_day(node.raw)
        except ValueError as exc:
            self.problem(node.mark, f"'klokken': {exc}")
            return None

    def date_value(self, node: Node | None, what: str) -> date | None:
        if node is None:
            return None
        if isinstance(node, ScalarNode):
            if node.invalid:
                return None  # an impossible date, already reported by yamlnodes
            if isinstance(node.value, date) and not isinstance(node.value, datetime):
                return node.value
            try:
                return date.fromisoformat(node.raw.strip())
            except ValueError:
                pass
        raw = node.raw if isinstance(node, ScalarNode) else "?"
        self.problem(node.mark, f"{what}: '{raw}' er ikke en gyldig dato (skriv ÅÅÅÅ-MM-DD)")
        return None

    def local_datetime(self, node: Node | None, what: str) -> datetime | None:
        """`2027-01-11 10:00` (local time, no offset) or a bare date (midnight)."""
        if node is None:
            return None
        if isinstance(node, ScalarNode) and node.invalid:
            return None  # an impossible date, already reported by yamlnodes
        raw = node.raw.strip() if isinstance(node, ScalarNode) else ""
        try:
            parsed = datetime.fromisoformat(raw)
        except ValueError:
            self.problem(
                node.mark,
                f"{what}: '{raw}' er ikke et gyldigt tidspunkt (skriv ÅÅÅÅ-MM-DD TT:MM)",
            )
            return None
        if parsed.tzinfo is not None:
            self.problem(node.mark, f"{what}: skriv lokal tid uden tidszone, fx 2027-01-11 10:00")
            return None
        return parsed

    def appointment(self, node: Node | None, what: str) -> datetime | None:
        """A `tidspunkt`: `2027-01-11 10:00`, local wall time (engine/deadlines.py
        `parse_appointment`: a time in the spring-forward gap is refused)."""
        if node is None:
            return None
        if isinstance(node, ScalarNode) and node.invalid:
            return None  # an impossible date, already reported by yamlnodes
        raw = node.raw.strip() if isinstance(node, ScalarNode) else ""
        try:
            return parse_appointment(raw)
        except ValueError as exc:
            self.problem(node.mark, f"{what}: {exc}")
            return None
