"""The projektleder's workbench: check a drejebog's text (pasted or uploaded), draw it, try
it on a scenario, load it as a new version, and see which cases run on which version.

The same checker, simulator and loader as `drejebog check`, `simulate` and `load`; only the
input is text instead of a file. Limits, on top of the YAML loader's own (engine/yamlnodes.py:
depth, aliases, tags): a text is at most MAX_TEXT_BYTES; a simulation stops after
MAX_RECORDS records or SIMULATION_SECONDS of work, and says so (a scenario whose 'slut' lies
centuries ahead cannot hold a server thread).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from drejebog.app.admin import Admin, LoadResult
from drejebog.app.drejebog_catalog import VersionInfo, drejebog_versions
from drejebog.app.ports import CaseUnitOfWork
from drejebog.engine.diagram import render
from drejebog.engine.errors import DrejebogInvalid, Problem
from drejebog.engine.loader import parse_text
from drejebog.engine.model import Drejebog
from drejebog.engine.runtime import Record
from drejebog.engine.scenario import scenario_from_text
from drejebog.engine.simulator import simulate

MAX_TEXT_BYTES = 256 * 1024  # a drejebog or scenario pasted or uploaded (shipped: < 25 kB)
MAX_RECORDS = 5000  # records of one simulation shown
SIMULATION_SECONDS = 5.0  # of work for one simulation
DREJEBOG_NAME = "drejebog.yaml"  # how a pasted text is named in its problems
SCENARIO_NAME = "scenarie.yaml"


@dataclass(frozen=True)
class SourceLine:
    number: int
    text: str
    problems: tuple[Problem, ...]  # the problems reported at this line


@dataclass(frozen=True)
class CheckedText:
    """A drejebog's text as `check` sees it: the drejebog (None when it cannot be built) and
    every problem, each at its line:column."""

    text: str
    drejebog: Drejebog | None
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return self.drejebog is not None and not self.problems

    def lines(self) -> list[SourceLine]:
        """The text line by line with its problems, to show the source with the problem
        lines marked (a problem past the last line is shown on the last)."""
        rows = self.text.split("\n") or [""]
        by_line: dict[int, list[Problem]] = {}
        for problem in self.problems:
            by_line.setdefault(min(max(problem.line, 1), len(rows)), []).append(problem)
        return [
            SourceLine(number, text, tuple(by_line.get(number, ())))
            for number, text in enumerate(rows, start=1)
        ]

    def diagram(self) -> str:
        """The drejebog as Mermaid ('' when it has problems)."""
        return render(self.drejebog, "mermaid") if self.ok and self.drejebog else ""


@dataclass(frozen=True)
class Simulation:
    records: tuple[Record, ...]
    problems: tuple[Problem, ...]  # the scenario's, each at its line:column
    stopped: str | None  # why it stopped before the scenario's end (a limit), or None


def _size_problem(text: str, name: str) -> Problem | None:
    size = len(text.encode("utf-8", "surrogatepass"))
    if size <= MAX_TEXT_BYTES:
        return None
    return Problem(
        name,
        1,
        1,
        f"teksten fylder {size:,} bytes; højst {MAX_TEXT_BYTES:,} bytes "
        f"({MAX_TEXT_BYTES // 1024} kB) er tilladt".replace(",", "."),
    )


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def check_text(text: str, name: str = DREJEBOG_NAME) -> CheckedText:
    """Check a drejebog's text exactly as `drejebog check` checks a file."""
    text = _newlines(text)
    too_big = _size_problem(text, name)
    if too_big is not None:
        return CheckedText("", None, (too_big,))
    if not text.strip():
        return CheckedText(text, None, (Problem(name, 1, 1, "drejebogen er tom"),))
    drejebog, problems = parse_text(text, name)
    return CheckedText(text, drejebog, tuple(problems))


def simulate_text(
    drejebog: Drejebog,
    scenario_text: str,
    name: str = SCENARIO_NAME,
    timer: Callable[[], float] = time.monotonic,
    max_records: int = MAX_RECORDS,
    seconds: float = SIMULATION_SECONDS,
) -> Simulation:
    """Run the scenario in `scenario_text` on `drejebog` (its own 'drejebog' key is not
    read) on the simulated clock, within the limits. `timer` measures work, not the date."""
    scenario_text = _newlines(scenario_text)
    too_big = _size_problem(scenario_text, name)
    if too_big is not None:
        return Simulation((), (too_big,), None)
    records: list[Record] = []
    started = timer()
    try:
        scenario = scenario_from_text(scenario_text, name, drejebog)
        for record in simulate(scenario):
            records.append(record)
            if len(records) >= max_records:
                return Simulation(
                    tuple(records), (), f"stoppet efter {max_records} hændelser (grænsen)"
                )
            if timer() - started > seconds:
                return Simulation(
                    tuple(records),
                    (),
                    f"stoppet efter {seconds:g} sekunders arbejde (grænsen); "
                    "forkort scenariets 'slut'",
                )
    except DrejebogInvalid as exc:
        return Simulation(tuple(records), tuple(exc.problems), None)
    return Simulation(tuple(records), (), None)


class Workbench:
    """The workbench's use cases that touch the store or the shipped files: load a version
    (audited with the actor, as `drejebog load`), the versions with their running cases, the
    shipped scenarios to pick from."""

    def __init__(
        self, admin: Admin, unit_of_work: Callable[[], CaseUnitOfWork], scenarios: Path
    ) -> None:
        self._admin = admin
        self._unit_of_work = unit_of_work
        self._scenarios = scenarios

    def shipped_scenarios(self) -> list[str]:
        """The names of the shipped scenario files (to pick one on the page)."""
        return sorted(p.name for p in self._scenarios.glob("*.yaml"))

    def shipped_scenario_text(self, name: str) -> str | None:
        """A shipped scenario's text by its name (only a listed name: never a path)."""
        if name not in self.shipped_scenarios():
            return None
        return (self._scenarios / name).read_text(encoding="utf-8")

    def load(self, text: str, actor: str, name: str = DREJEBOG_NAME) -> LoadResult:
        """Store the drejebog as a new version, loaded by `actor`. DrejebogInvalid with every
        problem when it does not check, or when its version is stored with other content."""
        checked = check_text(text, name)
        if not checked.ok:
            raise DrejebogInvalid(list(checked.problems))
        return self._admin.load_drejebog_text(checked.text, name, actor)

    def versions(self) -> Sequence[VersionInfo]:
        return drejebog_versions(self._unit_of_work)
