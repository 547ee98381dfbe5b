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
- replaying the accepted operations (openings, events, firings) on a fresh runtime gives the
  same snapshots, the same timer table and the same timeline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache

from hypothesis import HealthCheck, settings
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
from drejebog.engine.model import Drejebog, Event, Fact, FactType
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
            assert step.case is case, "firing a timer never changes the case"
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


# -- plausible event data ------------------------------------------------------------------

# Hypothesis favours the first (simplest) choice: False comes first, so True is rare.
ONE_IN_TWENTY = st.sampled_from([False] * 19 + [True])


def fact_values(fact: Fact, today: date, sloppy: bool) -> st.SearchStrategy[object]:
    """Valid values for a fact; when `sloppy`, now and then one the runtime must refuse."""
    if fact.type is FactType.DATE:
        days = st.one_of(st.integers(1, 270), st.integers(-60, 0))  # mostly ahead
        valid: st.SearchStrategy[object] = days.map(
            lambda n: (today + timedelta(days=n)).isoformat()
        )
        invalid: st.SearchStrategy[object] = st.sampled_from(["2027-02-30", "i morgen"])
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
        valid = st.sampled_from(["praktik i Brugsen", "løntimer", ""])
        invalid = st.nothing()
    return st.one_of(valid, valid, valid, valid, invalid) if sloppy else valid


def event_data(
    draw: st.DrawFn, drejebog: Drejebog, event: Event, today: date, sloppy: bool
) -> dict[str, object]:
    """Data for `event`; when `sloppy`, a value may be wrong, missing or not the event's."""
    data: dict[str, object] = {}
    for name in event.data:
        if sloppy and draw(ONE_IN_TWENTY):
            continue
        data[name] = draw(fact_values(drejebog.facts[name], today, sloppy))
    for name in event.optional_data:
        if draw(st.booleans()):
            data[name] = draw(fact_values(drejebog.facts[name], today, sloppy))
    if sloppy and draw(ONE_IN_TWENTY):
        data["findes_ikke"] = "x"
    return data


# -- the state machine ---------------------------------------------------------------------

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
JUMPS = st.one_of(
    st.integers(1, 48).map(lambda n: timedelta(hours=n)),
    st.integers(2, 45).map(lambda n: timedelta(days=n)),
    st.integers(2, 6).map(lambda n: timedelta(days=30 * n)),
)


class CaseRuntimeMachine(RuleBasedStateMachine):
    world: World
    clock: SimulatedClock

    @initialize(
        drejebog=st.sampled_from(sorted(shipped())),
        offset=st.integers(0, 24 * 500).map(lambda n: timedelta(hours=n)),
    )
    def start(self, drejebog: str, offset: timedelta) -> None:
        self.world = World(CaseRuntime(shipped()[drejebog]))
        self.clock = SimulatedClock(START + offset)
        self.world.run(Opened("1", self.clock.now()))

    @property
    def drejebog(self) -> Drejebog:
        return self.world.runtime.drejebog

    def open_cases(self) -> int:
        states = self.drejebog.states
        return sum(not states[case.state].final for case in self.world.cases.values())

    @property
    def forward(self) -> list[str]:
        """The drejebog's events, those that move a case on first and those that can only
        close it last: Hypothesis favours the first choices, and a case closed early has
        little left to test."""
        drejebog = self.drejebog

        def rank(name: str) -> int:
            targets = [drejebog.states[b.target] for b in drejebog.events[name].branches]
            if not targets:
                return 1
            return 2 if all(state.final for state in targets) else 0

        return sorted(drejebog.events, key=lambda name: (rank(name), name))

    @precondition(lambda self: self.open_cases() < MAX_OPEN_CASES and len(self.world.cases) < 5)
    @rule()
    def open_case(self) -> None:
        self.world.run(Opened(str(len(self.world.cases) + 1), self.clock.now()))

    @rule(data=st.data(), then=st.one_of(st.none(), JUMPS), daemon_running=st.booleans())
    def apply_allowed_event(
        self, data: st.DataObject, then: timedelta | None, daemon_running: bool
    ) -> None:
        """An event the case's state allows, with valid data (a guard may still refuse it),
        and maybe a jump of the clock after it, so time passes in the later states too."""
        case_id = data.draw(st.sampled_from(sorted(self.world.cases)), label="case")
        state = self.world.cases[case_id].state
        allowed = [e for e in self.forward if state in self.drejebog.events[e].sources]
        if allowed:
            name = data.draw(st.sampled_from(allowed), label="event")
            self.try_event(data, case_id, name, sloppy=False)
        if then is not None:
            self.advance_clock(then, daemon_running)

    @rule(data=st.data())
    def apply_any_event(self, data: st.DataObject) -> None:
        """Any event of the drejebog, or one it does not have, with data that may be wrong."""
        case_id = data.draw(st.sampled_from(sorted(self.world.cases)), label="case")
        names = st.sampled_from([*self.forward, "findes_ikke"])
        self.try_event(data, case_id, data.draw(names, label="event"), sloppy=True)

    def try_event(self, data: st.DataObject, case_id: str, name: str, sloppy: bool) -> None:
        world = self.world
        case = world.cases[case_id]
        event = self.drejebog.events.get(name)
        now = self.clock.now()
        payload = data.draw(
            st.composite(
                lambda draw: event_data(draw, self.drejebog, event, local_date(now), sloppy)
            )()
            if event is not None
            else st.just({}),
            label="data",
        )
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


# About 5 s on one core. Hypothesis favours simple choices, which is why the rules above
# order events and bias data; to search harder for a while, raise max_examples locally.
CaseRuntimeMachine.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=50,
    derandomize=True,  # the same examples on every run, in CI too
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_case_runtime_properties = CaseRuntimeMachine.TestCase
