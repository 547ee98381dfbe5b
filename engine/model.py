"""The parsed drejebog: immutable data, and what its rules mean. No YAML, no database, no clock.

Every element keeps the `Mark` (line, column) where it was written, so later checks and
runtime errors can point the projektleder at the right line.

The three kinds of rule (`Deadline`, `Task`, `Recurring`) answer the same questions in their
own way, so no caller has to tell them apart: who owns it (`owner`), at what time of day its
timers fire (`time_of_day`), which rule plans its timers (`timing`: a task's deadline), the
message of a timer kind and step (`message_for`), and, for the rules that plan timers, the
due date and the breach day (`due`, `breach_day`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, time
from enum import Enum
from typing import TYPE_CHECKING, ClassVar, TypeAlias

from drejebog.engine.calendar import Moved, WorkingCalendar
from drejebog.engine.deadlines import add_duration, breach_date, due_moved, occurrence_moved
from drejebog.engine.durations import Adjust, Duration, Unit
from drejebog.engine.names import danish_kind
from drejebog.engine.yamlnodes import Mark

if TYPE_CHECKING:
    from drejebog.engine.targets import Target

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
WHOLE_CASE = "hele_sagen"  # the area of the rules of the whole case (`hele_sagen`)
BY_EVENTS = "hændelser"  # the area of the rules events start


class FactType(Enum):
    TEXT = "tekst"
    NUMBER = "tal"
    DATE = "dato"
    APPOINTMENT = "tidspunkt"  # a local date and wall-clock time: a booked meeting
    YES_NO = "ja_nej"
    CHOICE = "valg"


class TimerKind(Enum):
    """What a timer does when it fires; the value is the word records and the store keep."""

    REMINDER = "reminder"
    ESCALATION = "escalation"
    CHECKIN_MISSING = "checkin_missing"
    IN_A_ROW = "misses_in_a_row"  # a duty missed N times in a row (`mangler_i_træk`)
    AT_LEAST = "at_least"  # a `mindst` rule's check at the end of its period: too few

    @property
    def danish(self) -> str:
        return danish_kind(self.value)


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
    condition: Expression | None = None  # `hvis`: judged on the case's facts when it is due
    # `klokken`: the wall-clock time it goes out; None: the appointment's own time when the
    # rule counts from a `tidspunkt`, else the rule's `klokken`
    time_of_day: time | None = None


@dataclass(frozen=True)
class EscalationStep:
    after: Duration
    roles: tuple[str, ...]
    adjust: Adjust
    message: Message
    mark: Mark
    condition: Expression | None = None  # `hvis`: judged on the case's facts when it is due


@dataclass(frozen=True)
class MissingNotice:
    roles: tuple[str, ...]
    message: Message
    mark: Mark


class DueDates(Enum):
    """How a recurring duty's due dates run (`fristdage`, workflows/README.md 2.11)."""

    FIXED = "faste"  # anchor + k × period; a report-back counts for its window only
    RESTART = "fra_opfyldelse"  # each report-back starts the period again from its own date


@dataclass(frozen=True)
class InARow:
    """What happens when a duty has been missed `count` times in a row (`mangler_i_træk`):
    a message to `roles`, facts set on the case and a task created, once per streak."""

    count: int
    roles: tuple[str, ...]
    message: Message
    sets: tuple[tuple[str, object], ...]
    task: Task | None
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
    # `hvis` of a state's deadline: judged when it is planned (a task's deadline has none:
    # the task's own `hvis` decides)
    condition: Expression | None = None
    anchor_mark: Mark | None = field(default=None, compare=False)  # where `regnes_fra` is

    is_task: ClassVar[bool] = False

    @property
    def timing(self) -> Deadline:
        return self

    def due(self, anchor: date, calendar: WorkingCalendar) -> date:
        """The local due date, counted from `anchor` (see engine/deadlines.py)."""
        return self.due_moved(anchor, calendar).day

    def due_moved(self, anchor: date, calendar: WorkingCalendar) -> Moved:
        """`due`, with the calendar's reason when the helligdag rule moved it."""
        return due_moved(anchor, self.duration, self.adjust, calendar)

    def breach_day(self, due: date, calendar: WorkingCalendar) -> date:
        """The first working day after the due date: the escalation ladder counts from it."""
        return breach_date(due, calendar)

    def message_for(self, kind: TimerKind, index: int) -> Message | None:
        return _ladder_message(self.reminders, self.escalation, kind, index)


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
    time_of_day: time  # its deadline's `klokken` (the drejebog's when it has no deadline)
    mark: Mark

    is_task: ClassVar[bool] = True

    @property
    def owner(self) -> str:
        return self.role

    @property
    def timing(self) -> Deadline | None:
        """A task's timers are its deadline's (a task without a deadline has none)."""
        return self.deadline

    def message_for(self, kind: TimerKind, index: int) -> Message | None:
        return self.deadline.message_for(kind, index) if self.deadline is not None else None


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
    condition: Expression | None = None  # `hvis`: judged when the duty is planned
    due_dates: DueDates = DueDates.RESTART
    resolved_by: tuple[str, ...] = ()  # events that stop a miss's ladder (`løser_mangel`)
    in_a_row: tuple[InARow, ...] = ()
    anchor_mark: Mark | None = field(default=None, compare=False)  # where `regnes_fra` is

    is_task: ClassVar[bool] = False

    @property
    def fixed(self) -> bool:
        """Fixed due dates: a report-back never moves the later ones."""
        return self.due_dates is DueDates.FIXED

    @property
    def tasks(self) -> tuple[Task, ...]:
        """The tasks its `mangler_i_træk` rungs create."""
        return tuple(rung.task for rung in self.in_a_row if rung.task is not None)

    @property
    def timing(self) -> Recurring:
        return self

    def due(self, anchor: date, k: int, calendar: WorkingCalendar) -> date:
        """The local due date of occurrence k (anchor + k × period, see engine/deadlines.py)."""
        return self.due_moved(anchor, k, calendar).day

    def due_moved(self, anchor: date, k: int, calendar: WorkingCalendar) -> Moved:
        """`due`, with the calendar's reason when the helligdag rule moved it."""
        return occurrence_moved(anchor, self.period, k, self.adjust, calendar)

    def breach_day(self, due: date, calendar: WorkingCalendar) -> date:
        """The first working day after the due date plus the grace: the missing notice goes
        out then, and the escalation ladder counts from it."""
        return breach_date(add_duration(due, self.grace, calendar), calendar)

    def message_for(self, kind: TimerKind, index: int) -> Message | None:
        if kind is TimerKind.CHECKIN_MISSING:
            return self.missing.message if self.missing is not None else None
        if kind is TimerKind.IN_A_ROW:
            return self.in_a_row[index].message
        return _ladder_message(self.reminders, self.escalation, kind, index)


@dataclass(frozen=True)
class AtLeast:
    """`mindst`: at least `count` of the events a counting fact counts (`tæller`) within
    `period` from when the rule starts (the state's entry; the case's start under
    `hele_sagen`), else a message to `roles`. One timer checks the count when the period is
    over: on the first working day after its last day, at the rule's `klokken`."""

    name: str
    title: str
    fact: str  # the counting fact (`tæller` on it)
    count: int
    period: Duration
    roles: tuple[str, ...]
    message: Message
    time_of_day: time
    mark: Mark
    condition: Expression | None = None  # `hvis`: judged when the rule starts

    is_task: ClassVar[bool] = False
    met_by: ClassVar[tuple[str, ...]] = ()  # met by the count, checked when its timer fires
    anchor: ClassVar[str] = ANCHOR_ENTRY

    @property
    def owner(self) -> str:
        return self.roles[0] if self.roles else "leder"

    @property
    def timing(self) -> None:
        """No ladder: the check is one timer (engine/runtime.py plans and fires it)."""
        return None

    def check_day(self, anchor: date, calendar: WorkingCalendar) -> Moved:
        """The day the count is checked: the first working day after the period's last day
        (an event on the last day still counts)."""
        return Moved(breach_date(add_duration(anchor, self.period, calendar), calendar))

    def counted(self, facts: Mapping[str, object], count_from: int) -> int:
        """The events counted since the rule started (the counter stood at `count_from`)."""
        value = facts.get(self.fact)
        return (value if isinstance(value, int) else 0) - count_from

    def message_for(self, kind: TimerKind, index: int) -> Message | None:
        return self.message if kind is TimerKind.AT_LEAST else None


Rule: TypeAlias = Deadline | Task | Recurring | AtLeast
"""A rule of a state: what `Drejebog.rule` finds by its `navn`."""


def step_condition(rule: Deadline | Recurring, kind: TimerKind, index: int) -> Expression | None:
    """The `hvis` of reminder or escalation rung `index` (None: it always applies)."""
    if kind is TimerKind.REMINDER:
        return rule.reminders[index].condition
    if kind is TimerKind.ESCALATION:
        return rule.escalation[index].condition
    return None


def _ladder_message(
    reminders: tuple[Reminder, ...],
    escalation: tuple[EscalationStep, ...],
    kind: TimerKind,
    index: int,
) -> Message | None:
    """The message of reminder or escalation step `index` (a deadline has no missing notice)."""
    if kind is TimerKind.REMINDER:
        return reminders[index].message
    if kind is TimerKind.ESCALATION:
        return escalation[index].message
    return None


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
    minimums: tuple[AtLeast, ...] = ()  # `mindst`

    @property
    def rules(self) -> tuple[Rule, ...]:
        return (*self.deadlines, *self.tasks, *self.recurring, *self.streak_tasks, *self.minimums)

    @property
    def streak_tasks(self) -> tuple[Task, ...]:
        """The tasks a duty's `mangler_i_træk` creates (not on entering the state)."""
        return tuple(task for duty in self.recurring for task in duty.tasks)


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
    clears: tuple[str, ...] = ()  # `ryd`: facts the event empties (an appointment cancelled)
    # the deadlines and tasks the event starts (`frister`, `opgaver` on the event)
    deadlines: tuple[Deadline, ...] = ()
    tasks: tuple[Task, ...] = ()

    @property
    def supplies(self) -> frozenset[str]:
        """The facts the event can give a value: its data, optional data and `sæt`."""
        return frozenset((*self.data, *self.optional_data, *(name for name, _ in self.sets)))

    @property
    def changes_state(self) -> bool:
        return bool(self.branches)

    @property
    def starts(self) -> tuple[Deadline | Task, ...]:
        return (*self.deadlines, *self.tasks)


DEFAULT_FACT_RANGE = Duration(120, Unit.MONTHS)
DEFAULT_RETENTION = Duration(60, Unit.MONTHS)
"""Five years after a case closed, unless the drejebog says `opbevaring`: the usual period for
a jobcenter's case files once the case is closed."""
"""A date fact's plausible range when the drejebog declares none: 10 år either side of the
event's date (`tidligst`/`senest`, workflows/README.md)."""


@dataclass(frozen=True)
class Fact:
    id: str
    title: str
    type: FactType
    values: tuple[str, ...]
    mark: Mark
    # a date fact's plausible range, counted from the date of the event that sets it:
    # at the earliest `earliest` before it, at the latest `latest` after it
    earliest: Duration = DEFAULT_FACT_RANGE
    latest: Duration = DEFAULT_FACT_RANGE


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
    targets: tuple[Target, ...] = ()  # `måltal` (engine/targets.py)
    rules: dict[str, tuple[State, Rule]] = field(default_factory=dict, compare=False, repr=False)
    # how long a closed case's personal data is kept before it is anonymised (`opbevaring`)
    retention: Duration = field(default_factory=lambda: DEFAULT_RETENTION)

    # rules of the whole case (`hele_sagen`): they start when the case opens and run until
    # it reaches a final state, whatever states it passes through
    whole_case: State = field(default_factory=lambda: rule_area(WHOLE_CASE))
    # the deadlines and tasks events start (`frister`/`opgaver` on an event), all events' in
    # one area; those in `state_bound` end when the case leaves the state they started in
    by_events: State = field(default_factory=lambda: rule_area(BY_EVENTS))
    state_bound: frozenset[str] = frozenset()
    # the counting facts (`tæller`): a `tal` fact at 0 that each of its events adds one to
    counting: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def rule(self, name: str) -> tuple[State, Rule]:
        return self.rules[name]

    def outlives_state(self, name: str) -> bool:
        """Whether a rule keeps running when the case moves to another (non-final) state:
        the whole case's rules, and what an event started unless it ends with its state."""
        area = self.rules.get(name, (None, None))[0]
        if area is self.whole_case:
            return True
        return area is self.by_events and name not in self.state_bound

    def counters_of(self, event: str) -> tuple[str, ...]:
        """The counting facts that count `event` (`tæller`)."""
        return tuple(fact for fact, events in self.counting.items() if event in events)

    def in_force(self, state: str, events: bool = True) -> State:
        """What can run while the case is in `state`: the state's own rules, the whole
        case's and (unless `events` is False) those events start, as one area (the state's
        id, title and marks)."""
        own = self.states[state]
        areas = (own, self.whole_case, self.by_events) if events else (own, self.whole_case)
        return replace(
            own,
            deadlines=tuple(d for area in areas for d in area.deadlines),
            tasks=tuple(t for area in areas for t in area.tasks),
            recurring=tuple(r for area in areas for r in area.recurring),
            minimums=tuple(m for area in areas for m in area.minimums),
        )

    def role_title(self, role: str) -> str:
        return self.roles.get(role, role)


def rule_area(area_id: str) -> State:
    """An empty area of rules (the whole case's, the events'): a State never entered."""
    return State(area_id, area_id, "", False, (), (), (), Mark(1, 1))
