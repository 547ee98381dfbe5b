"""The parsed drejebog: plain, immutable data. No YAML, no database, no clock.

Every element keeps the `Mark` (line, column) where it was written, so later checks and
runtime errors can point the projektleder at the right line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from enum import Enum

from drejebog.engine.durations import Adjust, Duration
from drejebog.engine.yamlnodes import Mark

BUILTIN_ROLES: dict[str, str] = {
    "sagsbehandler": "Sagsbehandler",
    "koordinerende_sagsbehandler": "Koordinerende sagsbehandler",
    "virksomhedskonsulent": "Virksomhedskonsulent",
    "mentor": "Mentor",
    "forløbsmedarbejder": "Forløbsmedarbejder",
    "leder": "Leder",
    "projektleder": "Projektleder",
    "borger": "Borger",
}
CITIZEN_ROLE = "borger"
ANCHOR_ENTRY = "indtræden"


class FactType(Enum):
    TEXT = "tekst"
    NUMBER = "tal"
    DATE = "dato"
    YES_NO = "ja_nej"
    CHOICE = "valg"


@dataclass(frozen=True)
class Expression:
    source: str
    mark: Mark


@dataclass(frozen=True)
class Message:
    """A notification text: a named template, or an inline subject and body (or neither)."""

    template: str | None = None
    subject: str | None = None
    body: str | None = None
    mark: Mark | None = None


@dataclass(frozen=True)
class Reminder:
    before: Duration
    roles: tuple[str, ...]
    adjust: Adjust
    message: Message
    mark: Mark


@dataclass(frozen=True)
class EscalationStep:
    after: Duration
    roles: tuple[str, ...]
    adjust: Adjust
    message: Message
    mark: Mark


@dataclass(frozen=True)
class MissingNotice:
    roles: tuple[str, ...]
    message: Message
    mark: Mark


@dataclass(frozen=True)
class Deadline:
    name: str
    title: str
    duration: Duration
    anchor: str  # ANCHOR_ENTRY or the id of a date fact
    owner: str
    adjust: Adjust
    time_of_day: time
    met_by: tuple[str, ...]
    reminders: tuple[Reminder, ...]
    escalation: tuple[EscalationStep, ...]
    mark: Mark


@dataclass(frozen=True)
class Task:
    name: str
    title: str
    role: str
    deadline: Deadline | None
    optional: bool
    condition: Expression | None
    met_by: tuple[str, ...]
    message: Message
    mark: Mark


@dataclass(frozen=True)
class Recurring:
    name: str
    title: str
    period: Duration
    anchor: str
    owner: str
    met_by: tuple[str, ...]
    grace: Duration
    adjust: Adjust
    time_of_day: time
    reminders: tuple[Reminder, ...]
    missing: MissingNotice | None
    escalation: tuple[EscalationStep, ...]
    mark: Mark


@dataclass(frozen=True)
class State:
    id: str
    title: str
    description: str
    final: bool
    deadlines: tuple[Deadline, ...]
    tasks: tuple[Task, ...]
    recurring: tuple[Recurring, ...]
    mark: Mark

    @property
    def rules(self) -> tuple[Deadline | Task | Recurring, ...]:
        return (*self.deadlines, *self.tasks, *self.recurring)


@dataclass(frozen=True)
class Branch:
    target: str
    condition: Expression | None
    mark: Mark


@dataclass(frozen=True)
class Event:
    id: str
    title: str
    sources: tuple[str, ...]  # states the event is allowed from (resolved when omitted)
    branches: tuple[Branch, ...]  # empty: the event does not change state
    condition: Expression | None
    data: tuple[str, ...]
    optional_data: tuple[str, ...]
    sets: tuple[tuple[str, object], ...]
    milestone: bool
    mark: Mark

    @property
    def changes_state(self) -> bool:
        return bool(self.branches)


@dataclass(frozen=True)
class Fact:
    id: str
    title: str
    type: FactType
    values: tuple[str, ...]
    mark: Mark


@dataclass(frozen=True)
class Template:
    id: str
    subject: str
    body: str
    mark: Mark


@dataclass(frozen=True)
class Drejebog:
    id: str
    title: str
    version: str
    description: str
    time_of_day: time
    closing_days: tuple[date, ...]
    roles: dict[str, str]  # id -> title, built-in and declared
    facts: dict[str, Fact]
    templates: dict[str, Template]
    start: str
    states: dict[str, State]
    events: dict[str, Event]
    source: str = ""
    content_hash: str = ""
    rules: dict[str, tuple[State, Deadline | Task | Recurring]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def rule(self, name: str) -> tuple[State, Deadline | Task | Recurring]:
        return self.rules[name]

    def role_title(self, role: str) -> str:
        return self.roles.get(role, role)
