"""The drejebog's `måltal`: the figures the jobcenter judges the work by, as data.

A target is written in the projektleder's words (workflows/README.md, section 2.17) and says

- what is measured: a milestone event reached (`milepæl`, one or more events: the first of
  them counts), a state reached (`tilstand`), or a yes/no or choice fact's value (`faktum`,
  with `er`);
- from which anchor (`regnes_fra`): a date fact, entering a state, or (left out) the day the
  case was opened; the anchor's month is the case's cohort;
- within which period (`inden`, e.g. `3 måneder`); without it a milestone or state counts
  only once the case is closed (then it is settled whether it was reached);
- the target (`mål`): a share (`30 %`, a range `35-40 %`) or, for a milestone or state, a time
  (`10 uger`: the median time from the anchor, Kaplan-Meier, must be at most this);
- the population (`blandt`): facts that must have a value (`indstilling: ressourceforloeb`)
  and states the case must have entered (`tilstand: overdragelse`).

Pure: this module reads located YAML through the drejebog parser and knows nothing of the
store or the clock. How a figure is computed honestly (censoring, "endnu ikke afgjort",
"for få sager") is app/kpi.py's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from drejebog.engine.durations import Duration, DurationError, parse_duration
from drejebog.engine.fields import suggestion
from drejebog.engine.model import FactType
from drejebog.engine.yamlnodes import MapNode, Mark, Node, ScalarNode

if TYPE_CHECKING:
    from drejebog.engine.parser import DrejebogParser

TARGET_KEYS = (
    "navn",
    "titel",
    "milepæl",
    "tilstand",
    "faktum",
    "er",
    "regnes_fra",
    "inden",
    "mål",
    "blandt",
)
POPULATION_STATE_KEY = "tilstand"
_POPULATION_FACT_TYPES = (FactType.CHOICE, FactType.TEXT, FactType.YES_NO)
_PERCENT = re.compile(r"\s*([0-9]+(?:[.,][0-9]+)?)\s*(?:[-–]\s*([0-9]+(?:[.,][0-9]+)?)\s*)?%\s*")
_NO_VALUE = object()
_PERCENT_EXAMPLES = "skriv fx '30 %' eller '35-40 %'"


class Measure(Enum):
    """What a target counts; the value is its key in the drejebog."""

    MILESTONE = "milepæl"
    STATE = "tilstand"
    FACT = "faktum"


class AnchorKind(Enum):
    FACT = "faktum"
    STATE = "tilstand"
    OPENED = "oprettet"


@dataclass(frozen=True)
class Anchor:
    """Where a target's time counts from: a date fact, entering a state, or the case's
    opening (`name` is then empty)."""

    kind: AnchorKind
    name: str = ""

    def __str__(self) -> str:
        if self.kind is AnchorKind.FACT:
            return f"datoen '{self.name}'"
        if self.kind is AnchorKind.STATE:
            return f"indtræden i '{self.name}'"
        return "sagens oprettelse"


@dataclass(frozen=True)
class Goal:
    """A share in percent (`low` to `high`, equal for a single figure) or a time (`time`)."""

    low: float = 0.0
    high: float = 0.0
    time: Duration | None = None

    @property
    def is_time(self) -> bool:
        return self.time is not None

    def reached(self, value: float) -> bool:
        """A share (0-100) reaches a share goal at its low end; a time (days) reaches a time
        goal when it is at most the goal (weeks and days exactly, a month as 30 days)."""
        if self.time is not None:
            return value <= approx_days(self.time)
        return value >= self.low

    def __str__(self) -> str:
        if self.time is not None:
            return f"højst {self.time}"
        if self.low == self.high:
            return f"{_number(self.low)} %"
        return f"{_number(self.low)}–{_number(self.high)} %"


@dataclass(frozen=True)
class Target:
    name: str
    title: str
    measure: Measure
    names: tuple[str, ...]  # the milestone events, the states, or the one fact
    value: object  # `er`: the fact's value that counts (None for milestones and states)
    anchor: Anchor
    within: Duration | None
    goal: Goal
    population_facts: tuple[tuple[str, object], ...]
    population_states: tuple[str, ...]
    mark: Mark

    @property
    def is_time(self) -> bool:
        return self.goal.is_time


def approx_days(duration: Duration) -> float:
    """Days in a duration for comparing a time figure with its goal (a month is 30 days,
    a working day 7/5 of a day): figures are shown in weeks, so this is only for the tick."""
    per_unit = {"dage": 1.0, "arbejdsdage": 1.4, "uger": 7.0, "måneder": 30.0}
    return duration.amount * per_unit[duration.unit.value]


def _number(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def parse_percent(text: str) -> tuple[float, float]:
    """`30 %` or `35-40 %` (or `35–40 %`) as (low, high); raises ValueError in Danish."""
    match = _PERCENT.fullmatch(text)
    if match is None:
        raise ValueError(f"'{text}' er ikke en procentsats; {_PERCENT_EXAMPLES}")
    low = float(match.group(1).replace(",", "."))
    high = float(match.group(2).replace(",", ".")) if match.group(2) else low
    if not 0 <= low <= 100 or not 0 <= high <= 100:
        raise ValueError(f"'{text}': en procentsats skal ligge mellem 0 og 100 %")
    if high < low:
        raise ValueError(f"'{text}': det mindste tal skal stå først")
    return low, high


def parse_targets(parser: DrejebogParser, node: Node | None) -> tuple[Target, ...]:
    """The `måltal` list, every problem reported through the parser at its position. Call
    after facts, states and events are known."""
    targets: list[Target] = []
    seen: set[str] = set()
    for item in parser.sequence(node, "'måltal'"):
        target = _TargetReader(parser).read(item)
        if target is None:
            continue
        if target.name in seen:
            parser.problem(target.mark, f"måltallet '{target.name}' står to gange")
            continue
        seen.add(target.name)
        targets.append(target)
    return tuple(targets)


class _TargetReader:
    def __init__(self, parser: DrejebogParser) -> None:
        self.p = parser

    def read(self, item: Node) -> Target | None:
        body = self.p.mapping(item, "et måltal")
        if body is None:
            return None
        self.p.keys(body, "måltallet", TARGET_KEYS, ("navn", "titel", "mål"))
        get = body.value
        name = self.p.identifier(get("navn"), "måltallets 'navn'") or ""
        title = self.p.text(get("titel"), "'titel'") or name
        measured = self._measured(body)
        anchor = self._anchor(get("regnes_fra"))
        within = self.p.duration(get("inden"), "'inden'")
        goal = self._goal(get("mål"))
        facts, states = self._population(get("blandt"))
        if measured is None or goal is None or anchor is None or not name:
            return None
        measure, names, value = measured
        if not self._consistent(body, measure, within, goal):
            return None
        return Target(
            name, title, measure, names, value, anchor, within, goal, facts, states, body.mark
        )

    def _measured(self, body: MapNode) -> tuple[Measure, tuple[str, ...], object] | None:
        given = [m for m in Measure if m.value in body.items]
        if len(given) != 1:
            which = "ingen af" if not given else "mere end én af"
            self.p.problem(
                body.mark,
                f"måltallet skal måle præcis én ting, men har {which} 'milepæl', 'tilstand' "
                "og 'faktum'",
            )
            return None
        measure = given[0]
        node = body.value(measure.value)
        if measure is Measure.MILESTONE:
            events = tuple(e for e, _ in self.p.event_refs(node, "'milepæl'"))
            return (measure, events, None) if events else None
        if measure is Measure.STATE:
            states = [self.p.state_ref(i, "'tilstand'") for i in self.p.items(node, "'tilstand'")]
            found = tuple(s for s in states if s is not None)
            return (measure, found, None) if found and len(found) == len(states) else None
        return self._fact_measured(body, node)

    def _fact_measured(
        self, body: MapNode, node: Node | None
    ) -> tuple[Measure, tuple[str, ...], object] | None:
        fact_id = self.p.fact_ref(node, "'faktum'")
        if fact_id is None or node is None:
            return None
        fact = self.p.facts[fact_id]
        if fact.type not in _POPULATION_FACT_TYPES:
            self.p.problem(
                node.mark,
                f"faktummet '{fact_id}' er af typen '{fact.type.value}'; et måltal kan tælle "
                "fakta af typen ja_nej, valg eller tekst",
            )
            return None
        value_node = body.value("er")
        if value_node is None:
            if fact.type is not FactType.YES_NO:
                self.p.problem(
                    body.mark, f"skriv under 'er', hvilken værdi af '{fact_id}' der tæller"
                )
                return None
            return Measure.FACT, (fact_id,), True
        value = self._value(fact_id, value_node)
        return None if value is _NO_VALUE else (Measure.FACT, (fact_id,), value)

    def _anchor(self, node: Node | None) -> Anchor | None:
        if node is None:
            return Anchor(AnchorKind.OPENED)
        name = self.p.text(node, "'regnes_fra'")
        if name is None:
            return None
        fact = self.p.facts.get(name)
        if fact is not None and name in self.p.state_ids:
            self.p.problem(
                node.mark,
                f"'{name}' er både et faktum og en tilstand; omdøb det ene, så "
                "'regnes_fra' er entydig",
            )
            return None
        if fact is not None:
            if fact.type is not FactType.DATE:
                self.p.problem(
                    node.mark,
                    f"'regnes_fra' skal være et dato-faktum eller en tilstand; '{name}' er "
                    f"af typen '{fact.type.value}'",
                )
                return None
            return Anchor(AnchorKind.FACT, name)
        if name in self.p.state_ids:
            return Anchor(AnchorKind.STATE, name)
        known = {
            *self.p.state_ids,
            *(f for f, v in self.p.facts.items() if v.type is FactType.DATE),
        }
        self.p.problem(
            node.mark,
            f"ukendt dato-faktum eller tilstand '{name}' i 'regnes_fra'{suggestion(name, known)}",
        )
        return None

    def _goal(self, node: Node | None) -> Goal | None:
        text = self.p.text(node, "'mål'")
        if text is None or node is None:
            return None
        if "%" in text:
            try:
                low, high = parse_percent(text)
            except ValueError as exc:
                self.p.problem(node.mark, f"'mål': {exc}")
                return None
            return Goal(low, high)
        try:
            return Goal(time=parse_duration(text))
        except DurationError as exc:
            self.p.problem(
                node.mark,
                f"'mål' skal være en procentsats (fx '30 %' eller '35-40 %') eller en tid "
                f"(fx '10 uger'): {exc}",
            )
            return None

    def _population(
        self, node: Node | None
    ) -> tuple[tuple[tuple[str, object], ...], tuple[str, ...]]:
        body = self.p.mapping(node, "'blandt'")
        if body is None:
            return (), ()
        facts: list[tuple[str, object]] = []
        states: tuple[str, ...] = ()
        for key, (mark, value) in body.items.items():
            if key == POPULATION_STATE_KEY:
                found = [
                    self.p.state_ref(i, "'tilstand'") for i in self.p.items(value, "'tilstand'")
                ]
                states = tuple(s for s in found if s is not None)
                continue
            fact_id = self.p.fact_ref(ScalarNode(mark, key, key), "'blandt'")
            if fact_id is None:
                continue
            fact = self.p.facts[fact_id]
            if fact.type not in _POPULATION_FACT_TYPES:
                self.p.problem(
                    mark,
                    f"'blandt' kan kun afgrænse efter fakta af typen ja_nej, valg eller tekst; "
                    f"'{fact_id}' er af typen '{fact.type.value}'",
                )
                continue
            converted = self._value(fact_id, value)
            if converted is not _NO_VALUE:
                facts.append((fact_id, converted))
        return tuple(facts), states

    def _value(self, fact_id: str, node: Node) -> object:
        """The value checked against the fact's type; _NO_VALUE when the parser reported it."""
        before = len(self.p.problems)
        value = self.p.fact_value(self.p.facts[fact_id], node)
        return _NO_VALUE if len(self.p.problems) > before else value

    def _consistent(
        self, body: MapNode, measure: Measure, within: Duration | None, goal: Goal
    ) -> bool:
        if measure is Measure.FACT and (within is not None or goal.is_time):
            self.p.problem(
                body.mark,
                "et måltal for et faktum er en andel af de sager, hvor faktummet er registreret; "
                "det kan ikke have 'inden' eller en tid som 'mål'",
            )
            return False
        if goal.is_time and within is not None:
            self.p.problem(
                body.mark,
                "et måltal med en tid som 'mål' (fx '10 uger') måler tiden til milepælen og kan "
                "ikke også have 'inden'",
            )
            return False
        if "er" in body.items and measure is not Measure.FACT:
            self.p.problem(body.mark, "'er' hører kun til et måltal med 'faktum'")
            return False
        return True
