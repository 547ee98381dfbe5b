"""Scenario files for the simulator: cases, their events at local times, and an end time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from drejebog.engine.deadlines import COPENHAGEN
from drejebog.engine.errors import DrejebogInvalid, Problem
from drejebog.engine.fields import FieldReader, suggestion
from drejebog.engine.loader import check_file, read_text
from drejebog.engine.model import Drejebog
from drejebog.engine.yamlnodes import Mark, Node, ScalarNode, load_located

SCENARIO_KEYS = ("drejebog", "slut", "sager", "beskrivelse")
CASE_KEYS = ("id", "borger", "start", "fakta", "hændelser")
EVENT_KEYS = ("tid", "hændelse", "data")


@dataclass(frozen=True)
class ScriptedEvent:
    at: datetime  # aware UTC
    event: str
    data: dict[str, object]
    mark: Mark


@dataclass(frozen=True)
class ScriptedCase:
    id: str
    citizen_name: str
    opened_at: datetime
    facts: dict[str, object]
    events: tuple[ScriptedEvent, ...]
    mark: Mark


@dataclass(frozen=True)
class Scenario:
    path: str
    drejebog: Drejebog
    end: datetime
    cases: tuple[ScriptedCase, ...]


def _plain(node: Node) -> object:
    """A YAML value as a Python value, keeping dates as written (converted by fact type)."""
    if isinstance(node, ScalarNode):
        return node.value if not isinstance(node.value, str) else node.raw
    raise TypeError


class _ScenarioReader(FieldReader):
    def instant(self, node: Node | None, what: str) -> datetime | None:
        """A local wall time in the scenario, as an aware UTC instant."""
        local = self.local_datetime(node, what)
        return local.replace(tzinfo=COPENHAGEN).astimezone(UTC) if local else None

    def read(self, root: Node, path: Path, given: Drejebog | None = None) -> Scenario | None:
        """The scenario; with `given`, it runs on that drejebog and its own 'drejebog' key
        (a file name, optional then) is not read."""
        top = self.mapping(root, "scenariet")
        if top is None:
            return None
        required = ("slut", "sager") if given is not None else ("drejebog", "slut", "sager")
        self.keys(top, "scenariet", SCENARIO_KEYS, required)
        drejebog = given
        if given is None:
            drejebog_node = top.value("drejebog")
            relative = self.text(drejebog_node, "'drejebog'")
            if relative is not None and drejebog_node is not None:
                drejebog = self._drejebog(path.parent / relative, drejebog_node)
        end = self.instant(top.value("slut"), "'slut'")
        cases: list[ScriptedCase] = []
        seen: dict[str, int] = {}
        for item in self.sequence(top.value("sager"), "'sager'"):
            case = self._case(item, drejebog)
            if case is None:
                continue
            if case.id in seen:
                self.problem(
                    case.mark,
                    f"sagen '{case.id}' er angivet to gange (første gang i linje {seen[case.id]})",
                )
                continue
            seen[case.id] = case.mark.line
            cases.append(case)
        if drejebog is None or end is None:
            return None
        return Scenario(str(path), drejebog, end, tuple(cases))

    def _drejebog(self, path: Path, node: Node) -> Drejebog | None:
        if not path.is_file():
            self.problem(node.mark, f"drejebogen '{path}' findes ikke")
            return None
        drejebog, problems = check_file(path)
        if problems:
            self.problem(
                node.mark,
                f"drejebogen '{path}' har {len(problems)} problem(er); kør 'drejebog check'",
            )
            self.problems.extend(problems)
            return None
        return drejebog

    def _case(self, node: Node, drejebog: Drejebog | None) -> ScriptedCase | None:
        body = self.mapping(node, "en sag")
        if body is None:
            return None
        self.keys(body, "sagen", CASE_KEYS, ("id", "start"))
        case_id = self.text(body.value("id"), "'id'")
        opened = self.instant(body.value("start"), "'start'")
        name = self.text(body.value("borger"), "'borger'")
        facts = self._data(body.value("fakta"), drejebog, "'fakta'")
        events: list[ScriptedEvent] = []
        previous: datetime | None = opened
        for item in self.sequence(body.value("hændelser"), "'hændelser'"):
            event = self._event(item, drejebog)
            if event is None:
                continue
            if previous is not None and event.at < previous:
                self.problem(
                    event.mark, "hændelserne skal stå i tidsrækkefølge og efter sagens start"
                )
            previous = event.at
            events.append(event)
        if case_id is None or opened is None:
            return None
        return ScriptedCase(case_id, name or "", opened, facts, tuple(events), body.mark)

    def _event(self, node: Node, drejebog: Drejebog | None) -> ScriptedEvent | None:
        body = self.mapping(node, "en hændelse")
        if body is None:
            return None
        self.keys(body, "hændelsen", EVENT_KEYS, ("tid", "hændelse"))
        at = self.instant(body.value("tid"), "'tid'")
        name_node = body.value("hændelse")
        name = self.text(name_node, "'hændelse'")
        known = drejebog is not None and name is not None and name in drejebog.events
        if drejebog is not None and name is not None and name_node is not None and not known:
            self.problem(
                name_node.mark, f"ukendt hændelse '{name}'{suggestion(name, drejebog.events)}"
            )
            name = None
        data = self._data(body.value("data"), drejebog, "'data'")
        if at is None or name is None:
            return None
        return ScriptedEvent(at, name, data, body.mark)

    def _data(self, node: Node | None, drejebog: Drejebog | None, what: str) -> dict[str, object]:
        body = self.mapping(node, what)
        if body is None:
            return {}
        values: dict[str, object] = {}
        for key, (mark, value) in body.items.items():
            if drejebog is not None and key not in drejebog.facts:
                self.problem(mark, f"ukendt faktum '{key}'{suggestion(key, drejebog.facts)}")
                continue
            try:
                values[key] = _plain(value)
            except TypeError:
                self.problem(value.mark, f"{what}: '{key}' skal være en enkelt værdi")
        return values


def load_scenario(path: str | Path) -> Scenario:
    path = Path(path)
    return scenario_from_text(read_text(path), str(path))


def scenario_from_text(text: str, filename: str, drejebog: Drejebog | None = None) -> Scenario:
    """The scenario in `text` (named `filename` in its problems). With `drejebog` it runs on
    that one (the projektleder's page: the drejebog being edited) instead of the file its
    'drejebog' key names. Raises DrejebogInvalid carrying every problem."""
    tree, problems = load_located(text, filename)
    reader = _ScenarioReader(filename)
    scenario = reader.read(tree, Path(filename), drejebog) if tree is not None else None
    problems = problems + reader.problems
    if problems or scenario is None:
        raise DrejebogInvalid(problems or [Problem(filename, 1, 1, "scenariet er tomt")])
    return scenario
