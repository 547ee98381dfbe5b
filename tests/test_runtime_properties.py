"""A Hypothesis state machine over the case runtime, on the shipped drejebøger.

Random cases are opened, random events (allowed or not, with plausible, wrong or missing
data) are applied at the simulated clock's time, and the clock jumps forward by hours to
months. Every timer that comes due is fired in due order, as the daemon's sweep does: either
at its due time (the daemon was running) or late, all at once at the end of the jump (the
daemon was down and catches up). The timer table is modelled as the store keeps it: a row per
natural key (case, rule, occurrence, step) that is pending, fired or cancelled.

Invariants, checked after every step (the replay at the end of each run):
- a timer fires at most once, and a Step never schedules a natural key the table already
  holds (in the store that would be a UNIQUE violation);
- every pending timer belongs to a rule the case still has open (nothing stale is left);
- a closed case (a final state) has no pending timer;
- the case is never in a state its drejebog lacks;
- a refused event (a CaseError) changes nothing; firing a timer never changes the case;
- replaying the accepted operations (openings, events, firings) on a fresh runtime gives the
  same snapshots, the same timer table and the same timeline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from drejebog.engine.clock import SimulatedClock
from drejebog.engine.deadlines import local_date
from drejebog.engine.errors import CaseError
from drejebog.engine.loader import drejebog_files, load_file
from drejebog.engine.model import Drejebog, Fact, FactType, TimerKind
from drejebog.engine.runtime import CaseRuntime, CaseSnapshot, Record, Step
from drejebog.engine.timers import Timer
from drejebog.workflows import SHIPPED_DIR

MAX_OPEN_CASES = 2  # a new case may be opened when one has closed
PENDING, FIRED, CANCELLED = "pending", "fired", "cancelled"
Key = tuple[str, str, str, str]


@cache
def shipped() -> dict[str, Drejebog]:
    return {path.stem: load_file(path) for path in drejebog_files([SHIPPED_DIR])}


# -- the operations, recorded so they can be replayed ------------------------------------


@dataclass(frozen=True)
class Opened:
    case_id: str
    at: datetime


@dataclass(frozen=True)
class Applied:
    case_id: str
    event: str
    data: Mapping[str, object]
    at: datetime


@dataclass(frozen=True)
class Fired:
    timer: Timer
    at: datetime


Operation = Opened | Applied | Fired


@dataclass
class TimerTable:
    """The store's timer rows: one per natural key, pending, fired or cancelled."""

    rows: dict[Key, tuple[Timer, str]] = field(default_factory=dict)
    fired: list[Key] = field(default_factory=list)  # every firing, in order

    def apply(self, step: Step) -> None:
        """Cancel the step's rules (pending rows only), then insert its timers."""
        cancelled = set(step.cancel_rules)
        for key, (timer, status) in self.rows.items():
            if status == PENDING and key[0] == step.case.id and key[1] in cancelled:
                self.rows[key] = (timer, CANCELLED)
        for timer in step.schedule:
            assert timer.natural_key not in self.rows, f"scheduled twice: {timer.natural_key}"
            assert timer.due_at.utcoffset() == timedelta(0), timer
            self.rows[timer.natural_key] = (timer, PENDING)

    def due(self, now: datetime) -> list[Timer]:
        """The pending timers due at `now`, soonest first (then in insertion order)."""
        due = [t for t, status in self.rows.values() if status == PENDING and t.due_at <= now]
        return sorted(due, key=lambda t: t.due_at)

    def next_due(self) -> datetime | None:
        pending = [t.due_at for t, status in self.rows.values() if status == PENDING]
        return min(pending, default=None)

    def take(self, timer: Timer) -> None:
        """Mark `timer` fired; like the store's UPDATE ... WHERE status = 'pending'."""
        key = timer.natural_key
        assert key not in self.fired, f"fired twice: {key}"
        assert self.rows[key][1] == PENDING
        self.rows[key] = (timer, FIRED)
        self.fired.append(key)

    def pending(self, case_id: str) -> list[Timer]:
        return [t for t, status in self.rows.values() if status == PENDING and t.case_id == case_id]


@dataclass
class World:
    """Cases run on one runtime against one timer table; `log` holds what was accepted."""

    runtime: CaseRuntime
    cases: dict[str, CaseSnapshot] = field(default_factory=dict)
    timers: TimerTable = field(default_factory=TimerTable)
    records: list[Record] = field(default_factory=list)
    log: list[Operation] = field(default_factory=list)

    def run(self, operation: Operation) -> None:
        """Perform an operation; a refused event raises CaseError and changes nothing."""
        runtime = self.runtime
        if isinstance(operation, Opened):
            step = runtime.open_case(operation.case_id, operation.at)
        elif isinstance(operation, Applied):
            case = self.cases[operation.case_id]
            step = runtime.apply(case, operation.event, operation.data, operation.at)
        else:
            self.timers.take(operation.timer)
            case = self.cases[operation.timer.case_id]
            step = runtime.fire(case, operation.timer, operation.at)
            # firing a timer never moves the case: it only counts a duty's misses (and a
            # `mangler_i_træk` rung may set facts and create its task); a `mindst` check
            # ends its own rule, and only that
            ended = operation.timer.rule if operation.timer.kind is TimerKind.AT_LEAST else None
            still_open = {k: v for k, v in case.open_rules.items() if k != ended}
            assert (step.case.state, step.case.entered_at, step.case.open_rules) == (
                case.state,
                case.entered_at,
                still_open,
            ), "firing a timer never moves the case"
        self.log.append(operation)
        self.cases[step.case.id] = step.case
        self.timers.apply(step)
        self.records.extend(step.records)

    def sweep(self, now: datetime) -> None:
        """Fire everything due at `now` in due order, batch after batch, as the daemon does:
        a fired timer may plan the next rung or occurrence, itself already due."""
        while batch := self.timers.due(now):
            for timer in batch:
                self.run(Fired(timer, now))
                event(f"fired: {timer.kind.value}")


# -- plausible event data ------------------------------------------------------------------
# The strategies are built once per (drejebog, event) and cached: building them per draw
# cost more than running the engine. A date is drawn as days from "today" and made a date
# when the event happens.


@dataclass(frozen=True)
class DaysFromToday:
    days: int
    at: str = ""  # a `tidspunkt`: the wall-clock time on that day ("10:00")


def fact_values(fact: Fact, sloppy: bool) -> st.SearchStrategy[object]:
    """Valid values for a fact; when `sloppy`, now and then one the runtime must refuse."""
    if fact.type is FactType.DATE:
        days = st.one_of(st.integers(1, 270), st.integers(-60, 0))  # mostly ahead
        valid: st.SearchStrategy[object] = days.map(DaysFromToday)
        invalid: st.SearchStrategy[object] = st.sampled_from(["2027-02-30", "i morgen"])
    elif fact.type is FactType.APPOINTMENT:
        days = st.one_of(st.integers(1, 270), st.integers(-60, 0))
        clock = st.sampled_from(["00:30", "02:30", "09:00", "10:15", "23:45"])
        valid = st.builds(DaysFromToday, days, clock)
        invalid = st.sampled_from(["2027-02-30 10:00", "25:00", "2027-03-28 02:30"])
    elif fact.type is FactType.YES_NO:
        valid = st.sampled_from(["ja", "nej", True, False])
        invalid = st.just("måske")
    elif fact.type is FactType.NUMBER:
        valid = st.integers(0, 37)
        invalid = st.just("mange")
    elif fact.type is FactType.CHOICE:
        valid = st.sampled_from(fact.values)
        invalid = st.just("findes_ikke")
    else:
        valid = st.sampled_from(["praktik i Brugsen", "løntimer"])
        invalid = st.just("")  # counts as missing
    return st.one_of(valid, valid, invalid) if sloppy else valid


@cache
def event_data(drejebog: str, name: str, sloppy: bool) -> st.SearchStrategy[dict[str, object]]:
    """Data for an event; when `sloppy`, a value may be wrong, missing or not the event's."""
    book = shipped()[drejebog]
    event = book.events[name]
    values = st.fixed_dictionaries(
        {fact: fact_values(book.facts[fact], sloppy) for fact in event.data},
        optional={fact: fact_values(book.facts[fact], sloppy) for fact in event.optional_data},
    )
    if not sloppy:
        return values
    # Hypothesis favours the first (simplest) choice, so None (nothing left out) is the rule
    left_out = st.sampled_from([None] * 6 + list(event.data))
    stranger = st.sampled_from([{}] * 6 + [{"findes_ikke": "x"}])

    def spoil(drawn: tuple[dict[str, object], str | None, dict[str, object]]) -> dict[str, object]:
        data, missing, extra = drawn
        return {k: v for k, v in data.items() if k != missing} | extra

    return st.tuples(values, left_out, stranger).map(spoil)


def dated(data: dict[str, object], today: date) -> dict[str, object]:
    return {
        k: f"{today + timedelta(days=v.days)} {v.at}".strip() if isinstance(v, DaysFromToday) else v
        for k, v in data.items()
    }


@cache
def closers(drejebog: str) -> frozenset[str]:
    """The events that can only close a case."""
    book = shipped()[drejebog]
    return frozenset(
        name
        for name, event in book.events.items()
        if event.branches and all(book.states[b.target].final for b in event.branches)
    )


@cache
def forward(drejebog: str) -> tuple[str, ...]:
    """The drejebog's events, those that move a case on first and those that can only close
    it last: Hypothesis favours the first choices, and a case closed early has little left
    to test."""
    book = shipped()[drejebog]

    def rank(name: str) -> int:
        targets = [book.states[b.target] for b in book.events[name].branches]
        if not targets:
            return 1
        return 2 if all(state.final for state in targets) else 0

    return tuple(sorted(book.events, key=lambda name: (rank(name), name)))


# -- the state machine ---------------------------------------------------------------------

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
JUMPS = st.one_of(
    st.integers(1, 48).map(lambda n: timedelta(hours=n)),
    st.integers(2, 45).map(lambda n: timedelta(days=n)),
    st.integers(2, 6).map(lambda n: timedelta(days=30 * n)),
)


class CaseRuntimeMachine(RuleBasedStateMachine):
    name: str  # the drejebog's file name
    world: World
    clock: SimulatedClock

    @initialize(
        drejebog=st.sampled_from(sorted(shipped())),
        offset=st.integers(0, 24 * 500).map(lambda n: timedelta(hours=n)),
    )
    def start(self, drejebog: str, offset: timedelta) -> None:
        self.name = drejebog
        self.world = World(CaseRuntime(shipped()[drejebog]))
        self.clock = SimulatedClock(START + offset)
        self.world.run(Opened("1", self.clock.now()))

    @property
    def drejebog(self) -> Drejebog:
        return self.world.runtime.drejebog

    def open_cases(self) -> int:
        states = self.drejebog.states
        return sum(not states[case.state].final for case in self.world.cases.values())

    @precondition(lambda self: self.open_cases() < MAX_OPEN_CASES and len(self.world.cases) < 5)
    @rule()
    def open_case(self) -> None:
        self.world.run(Opened(str(len(self.world.cases) + 1), self.clock.now()))

    @rule(
        data=st.data(),
        sloppy=st.sampled_from([False, False, False, True]),  # the first choice is favoured
        closing=st.sampled_from([False] * 5 + [True]),
        then=st.one_of(st.none(), JUMPS),
        daemon_running=st.booleans(),
    )
    def apply_event(
        self,
        data: st.DataObject,
        sloppy: bool,
        closing: bool,
        then: timedelta | None,
        daemon_running: bool,
    ) -> None:
        """Mostly an event a running case's state allows, with valid data (a guard may still
        refuse it), one that can only close the case just when `closing`. When `sloppy`, any
        event of the drejebog or one it lacks, on any case, with data that may be wrong.
        Maybe a jump of the clock after it, so that time passes in the later states too."""
        states = self.drejebog.states
        # tuples, not lists: Hypothesis caches a strategy built from hashable arguments
        running = tuple(c for c, case in self.world.cases.items() if not states[case.state].final)
        if sloppy or not running:
            case_id = data.draw(st.sampled_from(tuple(self.world.cases)), label="case")
        else:
            case_id = data.draw(st.sampled_from(running), label="case")
        state = self.world.cases[case_id].state
        allowed = tuple(e for e in forward(self.name) if state in self.drejebog.events[e].sources)
        if not (sloppy or closing):
            allowed = tuple(e for e in allowed if e not in closers(self.name)) or allowed
        names = st.sampled_from((*forward(self.name), "findes_ikke"))
        if allowed:  # wrong data is only looked at for an event the state allows
            names = (
                st.one_of(st.sampled_from(allowed), names) if sloppy else st.sampled_from(allowed)
            )
        self.try_event(data, case_id, data.draw(names, label="event"), sloppy=sloppy)
        if then is not None:
            self.advance_clock(then, daemon_running)

    def try_event(self, data: st.DataObject, case_id: str, name: str, sloppy: bool) -> None:
        world = self.world
        case = world.cases[case_id]
        event = self.drejebog.events.get(name)
        now = self.clock.now()
        payload: dict[str, object] = {}
        if event is not None:
            drawn = data.draw(event_data(self.name, name, sloppy), label="data")
            payload = dated(drawn, local_date(now))
        records, log = len(world.records), len(world.log)
        try:
            world.run(Applied(case_id, name, payload, now))
        except CaseError:
            # refused: nothing changed, nothing was logged
            assert world.cases[case_id] is case
            assert (len(world.records), len(world.log)) == (records, log)

    @rule(jump=JUMPS, daemon_running=st.booleans())
    def jump_clock(self, jump: timedelta, daemon_running: bool) -> None:
        self.advance_clock(jump, daemon_running)

    def advance_clock(self, jump: timedelta, daemon_running: bool) -> None:
        """Jump forward; a running daemon fires each timer at its due time, one that was
        down fires everything late, at the end of the jump."""
        target = self.clock.now() + jump
        if daemon_running:
            while (due_at := self.world.timers.next_due()) is not None and due_at <= target:
                self.clock.advance_to(max(due_at, self.clock.now()))
                self.world.sweep(self.clock.now())
        self.clock.advance_to(target)
        self.world.sweep(target)
        assert self.world.timers.due(target) == []

    # -- invariants ------------------------------------------------------------------------

    @invariant()
    def states_exist(self) -> None:
        for case in self.world.cases.values():
            assert case.state in self.drejebog.states, case
            event(f"{self.name}: {case.state}")  # see pytest --hypothesis-show-statistics

    @invariant()
    def closed_cases_wait_for_nothing(self) -> None:
        for case_id, case in self.world.cases.items():
            if self.drejebog.states[case.state].final:
                assert self.world.timers.pending(case_id) == []
                assert not (case.open_rules or case.open_tasks or case.cycles)

    @invariant()
    def pending_timers_belong_to_open_rules(self) -> None:
        for case_id, case in self.world.cases.items():
            for timer in self.world.timers.pending(case_id):
                open_rule = case.open_rules.get(timer.rule)
                cycle = case.cycles.get(timer.rule)
                assert (open_rule is not None and open_rule.occurrence == timer.occurrence) or (
                    cycle is not None and timer.occurrence.startswith(cycle.occurrence + ".")
                ), timer

    def teardown(self) -> None:
        """The history replays to the same state (checked once per run: every run's prefix
        is itself a run Hypothesis tries, and replaying after each step costs n²)."""
        if not hasattr(self, "world"):
            return
        replay = World(CaseRuntime(self.drejebog))
        for operation in self.world.log:
            replay.run(operation)
        assert replay.cases == self.world.cases
        assert replay.timers == self.world.timers
        assert replay.records == self.world.records


# About 7 s, most of it Hypothesis's own drawing. The runs reach every state of both
# drejebøger and fire every kind of timer (pytest --hypothesis-show-statistics counts them);
# Hypothesis favours simple choices, which is why the rules above order the events and bias
# the data. To search harder for a while, raise max_examples locally. A failure shrinks
# slowly (minutes): the examples are long.
CaseRuntimeMachine.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=50,
    derandomize=True,  # the same examples on every run, in CI too
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_case_runtime_properties = CaseRuntimeMachine.TestCase
