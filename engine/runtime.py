"""The case engine's pure core: open a case, apply an event, fire a timer.

Each operation takes a `CaseSnapshot` and the instant it happens at, and returns a `Step`: the
new snapshot, what happened (records for the timeline, the simulator and the outbox), the
timers to schedule and the rules whose pending timers must be cancelled. Nothing here reads
the clock or touches storage; the store and the simulator apply a Step in their own way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any

from drejebog.engine.calendar import WorkingCalendar
from drejebog.engine.deadlines import COPENHAGEN, is_in_time, local_date
from drejebog.engine.errors import (
    BadEventData,
    CaseError,
    EventNotAllowed,
    GuardRejected,
    MigrationRefused,
    MissingAnchor,
    UnknownEvent,
)
from drejebog.engine.expressions import EVENT_DATE_NAME, compile_expression, referenced_names
from drejebog.engine.facts import FactValueError, check_plausible, convert_fact
from drejebog.engine.machine import machine_for
from drejebog.engine.model import (
    ANCHOR_ENTRY,
    AtLeast,
    Deadline,
    Drejebog,
    Event,
    Expression,
    FactType,
    Recurring,
    Rule,
    State,
    Task,
    TimerKind,
    step_condition,
)
from drejebog.engine.timers import (
    Timer,
    catch_up_escalation,
    count_check_timer,
    escalation_timer,
    first_ahead,
    in_a_row_timer,
    missed_in_all,
    plan_deadline,
    plan_duty,
    plan_occurrence,
    replan_cycle,
    window_of,
)


@dataclass(frozen=True)
class OpenRule:
    """A deadline or task of the current state that is not yet met."""

    rule: str
    occurrence: str
    anchor: date | None
    due_date: date | None
    moved: str | None = None  # why the calendar moved the due date (None: it did not)
    count_from: int = 0  # a `mindst` rule: its counting fact's value when it started


@dataclass(frozen=True)
class Cycle:
    """The running cycle of a recurring obligation: occurrence k is due at anchor + k×period.

    What has happened to its occurrences is kept here (and so in the case's JSON): the
    highest occurrence a report-back settled (`settled`, fixed due dates), the highest whose
    missing notice went out (`missed`), the highest whose miss was resolved without a
    report-back (`resolved`), and how many occurrences in a row were missed (`in_a_row`)."""

    rule: str
    occurrence: str
    anchor: date
    settled: int = 0
    missed: int = 0
    resolved: int = 0
    in_a_row: int = 0

    @property
    def open_k(self) -> int:
        """The occurrence now running: neither settled nor missed."""
        return max(self.settled, self.missed) + 1

    @property
    def unanswered(self) -> int:
        """The missed occurrence whose ladder still runs (0: none)."""
        return self.missed if self.missed > max(self.settled, self.resolved) else 0


@dataclass(frozen=True)
class CaseSnapshot:
    id: str
    state: str
    facts: Mapping[str, object]
    entered_at: datetime
    plan_seq: int = 0
    open_rules: Mapping[str, OpenRule] = field(default_factory=dict)
    open_tasks: Mapping[str, OpenRule] = field(default_factory=dict)
    cycles: Mapping[str, Cycle] = field(default_factory=dict)
    citizen_name: str = ""


@dataclass(frozen=True, kw_only=True)
class Record:
    """Something that happened to a case, in the vocabulary of the simulator's output.

    `kind` is one of the words of engine/names.py (a timer's is its `TimerKind.value`)."""

    at: datetime
    case_id: str
    kind: str  # state, task, reminder, escalation, checkin_missing, milestone
    name: str
    role: str | None
    state: str
    title: str
    due_date: date | None = None
    step: str = ""
    late_seconds: float = 0.0
    # a missing notice or `mangler_i_træk` rung of a duty with fixed due dates or with
    # `mangler_i_træk`: how many occurrences in a row are missing now (0: not counted)
    in_a_row: int = 0
    # why the calendar moved the record's due date or its own day (None: it moved neither)
    moved: str | None = None
    # an `appointment` record: the appointment's local wall time (None: cancelled)
    appointment: datetime | None = None


@dataclass(frozen=True)
class RuleResult:
    """A deadline or task met (or lapsed); `in_time` is judged by the local date."""

    rule: str
    outcome: str  # "opfyldt" or "bortfaldet"
    in_time: bool | None


@dataclass
class Step:
    case: CaseSnapshot
    records: list[Record] = field(default_factory=list)
    schedule: list[Timer] = field(default_factory=list)
    cancel_rules: list[str] = field(default_factory=list)
    results: list[RuleResult] = field(default_factory=list)
    event: str | None = None
    previous_state: str | None = None
    # a migration: cancel every pending timer of the case due at or after this instant
    cancel_due_from: datetime | None = None
    plan_seq: int = 0  # the highest plan number handed out while building this step


@lru_cache(maxsize=64)
def calendar_for(closing_days: tuple[date, ...]) -> WorkingCalendar:
    return WorkingCalendar(closing_days)


class CaseRuntime:
    """The rules of one drejebog version, applied to case snapshots."""

    def __init__(self, drejebog: Drejebog) -> None:
        self.drejebog = drejebog
        self.machine = machine_for(drejebog)
        self.calendar = calendar_for(drejebog.closing_days)
        self._in_force: dict[str, State] = {}  # each state's `Drejebog.in_force`, built once

    # -- the three operations --------------------------------------------------------------

    def open_case(
        self,
        case_id: str,
        at: datetime,
        facts: Mapping[str, object] | None = None,
        citizen_name: str = "",
    ) -> Step:
        initial = self._convert_all(case_id, "åbn_sag", dict(facts or {}), local_date(at))
        counters = sorted(name for name in initial if name in self.drejebog.counting)
        if counters:
            raise BadEventData(
                case_id,
                "åbn_sag",
                f"faktummet '{counters[0]}' tæller hændelser og kan ikke sættes, når sagen åbnes",
            )
        case = CaseSnapshot(
            id=case_id,
            state=self.drejebog.start,
            facts={**self._blank_facts(), **initial},
            entered_at=at,
            citizen_name=citizen_name,
        )
        step = Step(case=case)
        self._enter(step, self.drejebog.states[self.drejebog.start], at)
        # the whole case's rules (`hele_sagen`) start with the case, counted from its start
        self._start_rules(step, self.drejebog.whole_case, at, local_date(at))
        return self._done(step)

    def apply(
        self, case: CaseSnapshot, event_id: str, data: Mapping[str, object], at: datetime
    ) -> Step:
        """Apply an event; raises a CaseError (and changes nothing) when it is not allowed."""
        event = self.drejebog.events.get(event_id)
        if event is None:
            raise UnknownEvent(case.id, event_id)
        if case.state not in event.sources:
            raise EventNotAllowed(case.id, event_id, case.state, list(event.sources))
        new_facts = {**case.facts, **dict(event.sets), **self._event_data(case.id, event, data, at)}
        new_facts.update(dict.fromkeys(event.clears))  # `ryd`: the parser keeps them apart
        for counter in self.drejebog.counters_of(event_id):  # `tæller`: this event counts too
            counted = new_facts.get(counter)
            new_facts[counter] = (counted if isinstance(counted, int) else 0) + 1
        scope = {**new_facts, EVENT_DATE_NAME: local_date(at)}
        if event.condition is not None and not self._holds(
            case.id, event, event.condition.source, scope
        ):
            raise GuardRejected(case.id, event_id, event.condition.source)
        try:
            outcome = self.machine.fire(case.state, event_id, scope)
        except CaseError:
            raise
        except Exception as exc:  # a guard that cannot be evaluated on these facts
            raise BadEventData(
                case.id, event_id, f"en betingelse kunne ikke beregnes: {exc}"
            ) from exc
        if not outcome.allowed:
            raise EventNotAllowed(case.id, event_id, case.state, list(event.sources))
        if not outcome.taken:
            conditions = " / ".join(b.condition.source for b in event.branches if b.condition)
            raise GuardRejected(case.id, event_id, conditions)

        changed = {k for k, v in new_facts.items() if case.facts.get(k) != v}
        step = Step(case=replace(case, facts=new_facts), event=event_id, previous_state=case.state)
        step.records.extend(self._appointments(case, new_facts, changed, at))
        if event.milestone:
            step.records.append(
                Record(
                    at=at,
                    case_id=case.id,
                    kind="milestone",
                    name=event.id,
                    role=None,
                    state=case.state,
                    title=event.title,
                )
            )
        # a self-transition (`til` naming the state it comes from) keeps the case in its
        # state: what still runs is neither cancelled nor planned again, so nothing already
        # sent for it is sent again; only what is met or lapsed starts afresh (`_reenter`)
        moves = outcome.destination not in (None, case.state)
        target = self.drejebog.states[outcome.destination or case.state]
        self._meet_rules(step, event, at, state_changes=moves, ends_case=target.final)
        if moves:
            self._leave(step, at, ends_case=target.final)
            self._enter(step, target, at)
            # the whole case's and the events' rules kept running: they follow their facts,
            # and stop when their `hvis` no longer holds (the new state's hold: just planned)
            self._replan_anchored(step, changed, at, self._outside_states())
            self._drop_no_longer_applying(step, changed, at)
        else:
            self._replan_anchored(step, changed, at)
            self._drop_no_longer_applying(step, changed, at)
            if outcome.destination is not None:
                self._reenter(step, self.drejebog.states[case.state], at)
        if event.starts and not self.drejebog.states[step.case.state].final:
            self._start_event_rules(step, event, at)
        return self._done(step)

    def _appointments(
        self,
        case: CaseSnapshot,
        facts: Mapping[str, object],
        changed: set[str],
        at: datetime,
    ) -> list[Record]:
        """An `appointment` record for each `tidspunkt` fact the event booked, moved or
        cleared (the simulator and the case's history show them): `flyttet` when the old
        time was still ahead, `booket` when there was none or it has passed (the meeting
        was held and the next one booked), `aflyst` when the event cleared it."""
        records: list[Record] = []
        wall = at.astimezone(COPENHAGEN).replace(tzinfo=None)
        for name in sorted(changed):
            fact = self.drejebog.facts.get(name)
            if fact is None or fact.type is not FactType.APPOINTMENT:
                continue
            value = facts.get(name)
            before = case.facts.get(name)
            ahead = isinstance(before, datetime) and before > wall
            how = "aflyst" if value is None else "flyttet" if ahead else "booket"
            records.append(
                Record(
                    at=at,
                    case_id=case.id,
                    kind="appointment",
                    name=name,
                    role=None,
                    state=case.state,
                    title=fact.title,
                    due_date=value.date() if isinstance(value, datetime) else None,
                    step=how,
                    appointment=value if isinstance(value, datetime) else None,
                )
            )
        return records

    def _start_event_rules(self, step: Step, event: Event, at: datetime) -> None:
        """The deadlines and tasks the event starts (`frister`/`opgaver` on the event),
        counted from the event's date; one already running keeps running as it is."""
        area = replace(self.drejebog.by_events, deadlines=event.deadlines, tasks=event.tasks)
        before = set(step.case.open_rules)
        self._start_rules(step, area, at, local_date(at))
        for deadline in event.deadlines:
            planned = step.case.open_rules.get(deadline.name)
            if planned is None or deadline.name in before:
                continue
            step.records.append(
                Record(
                    at=at,
                    case_id=step.case.id,
                    kind="deadline_started",
                    name=deadline.name,
                    role=deadline.owner,
                    state=step.case.state,
                    title=deadline.title,
                    due_date=planned.due_date,
                    moved=planned.moved,
                )
            )

    def _outside_states(self) -> State:
        """The rules that are no state's: the whole case's and the events'."""
        return self._area_of(None)

    def _area_of(self, state: str | None) -> State:
        """What can run in `state` (`Drejebog.in_force`); None: only the rules outside the
        states. Built once per state."""
        key = state if state is not None else ""
        area = self._in_force.get(key)
        if area is None:
            if state is None:
                whole, events = self.drejebog.whole_case, self.drejebog.by_events
                area = replace(
                    whole,
                    deadlines=(*whole.deadlines, *events.deadlines),
                    tasks=(*whole.tasks, *events.tasks),
                )
            else:
                area = self.drejebog.in_force(state)
            self._in_force[key] = area
        return area

    def _blank_facts(self) -> dict[str, object]:
        """Every fact unset, but a counting fact (`tæller`) at 0."""
        counting = self.drejebog.counting
        return {name: 0 if name in counting else None for name in self.drejebog.facts}

    def fire(self, case: CaseSnapshot, timer: Timer, at: datetime) -> Step:
        """Fire a due timer; a timer no longer relevant to the case produces nothing."""
        step = Step(case=case)
        if not self._is_current(case, timer):
            return step
        _, rule = self.drejebog.rule(timer.rule)
        if timer.kind is TimerKind.IN_A_ROW and isinstance(rule, Recurring):
            self._fire_in_a_row(step, rule, timer, at)
            return self._done(step)
        if isinstance(rule, AtLeast):
            self._check_count(step, rule, timer, at)
            return step
        timing = rule.timing
        if timing is None or _step_applies(case, timing, timer, at):
            step.records.extend(_fired(case, timer, rule, at))
        if timing is not None:
            # a rung left out by its `hvis` still sets the rest of the ladder going
            step.schedule.extend(self._follow_ups(case, timer, timing, at))
        if timer.kind is TimerKind.CHECKIN_MISSING and isinstance(rule, Recurring):
            self._count_miss(step, rule, timer, at)
        return step

    def _count_miss(self, step: Step, rule: Recurring, timer: Timer, at: datetime) -> None:
        """A missing notice went out: the occurrence (and those a catch-up folds in) counts
        as missed, one more in a row; a `mangler_i_træk` rung whose count this run reaches
        is set going now, so it fires once per run of misses."""
        cycle = step.case.cycles[rule.name]
        before = cycle.in_a_row
        after = before + missed_in_all(timer)
        cycle = replace(cycle, missed=max(cycle.missed, timer.k), in_a_row=after)
        step.case = replace(step.case, cycles={**step.case.cycles, rule.name: cycle})
        if rule.fixed or rule.in_a_row:  # shown where the drejebog asks for the count
            step.records = [replace(record, in_a_row=after) for record in step.records]
        for index, rung in enumerate(rule.in_a_row):
            if before < rung.count <= after:
                step.schedule.append(in_a_row_timer(step.case.id, rule, timer, index, at))

    def _check_count(self, step: Step, rule: AtLeast, timer: Timer, at: datetime) -> None:
        """A `mindst` rule's period is over: too few events counted since it started sends
        its message to its roles (`at_least`); enough is recorded (`at_least_met`). Either
        way the rule is done."""
        case = step.case
        running = case.open_rules.get(rule.name)  # gone after a migration that dropped it
        counted = rule.counted(case.facts, running.count_from if running else 0)
        shown = f"{counted} af {rule.count}"
        if counted < rule.count:
            step.records.extend(replace(r, step=shown) for r in _fired(case, timer, rule, at))
        else:
            step.records.append(
                Record(
                    at=at,
                    case_id=case.id,
                    kind="at_least_met",
                    name=rule.name,
                    role=None,
                    state=case.state,
                    title=rule.title,
                    due_date=timer.due_date,
                    step=shown,
                )
            )
        open_rules = {k: v for k, v in case.open_rules.items() if k != rule.name}
        step.case = replace(case, open_rules=open_rules)

    def _fire_in_a_row(self, step: Step, rule: Recurring, timer: Timer, at: datetime) -> None:
        """A `mangler_i_træk` rung: its message to its roles, its facts set on the case and
        its task created (unless that task is already open)."""
        rung = rule.in_a_row[timer.index]
        in_a_row = step.case.cycles[rule.name].in_a_row
        if rung.roles:
            fired = _fired(step.case, timer, rule, at)
            step.records.extend(replace(record, in_a_row=in_a_row) for record in fired)
        if rung.sets:
            step.case = replace(step.case, facts={**step.case.facts, **dict(rung.sets)})
        task = rung.task
        if task is not None and task.name not in step.case.open_tasks:
            planned = OpenRule(task.name, self._next_plan(step), None, None)
            step.case = replace(step.case, open_tasks={**step.case.open_tasks, task.name: planned})
            step.records.append(_task_record(step, task, step.case.state, planned, at))

    def fire_superseded(self, case: CaseSnapshot, timer: Timer, at: datetime) -> Step:
        """Fire a timer of this (older) version that fell due before the case was migrated
        to a newer one: it fires once, as planned, with no follow-ups and the case unchanged.
        """
        _, rule = self.drejebog.rule(timer.rule)
        if isinstance(rule, AtLeast):  # counted as planned: it tells only when too few
            step = Step(case=case)
            self._check_count(step, rule, timer, at)
            return Step(case=case, records=[r for r in step.records if r.kind == "at_least"])
        timing = rule.timing
        if timing is not None and not _step_applies(case, timing, timer, at):
            return Step(case=case)
        return Step(case=case, records=_fired(case, timer, rule, at))

    def migrate(self, case: CaseSnapshot, old: Drejebog, new_state: str, at: datetime) -> Step:
        """Move a case from the `old` drejebog version onto this one, in `new_state`.

        Facts, the state's entry time and the anchors of running cycles are kept. Timers due
        before `at` belong to the old version; everything due from `at` on is planned under
        this version's rules. Deadlines met under the old version stay met; rules this
        version adds to the state start counting from the state's entry, and the tasks it adds
        are created now (a `task` record each, so that their messages go out).
        """
        if new_state not in self.drejebog.states:
            raise MigrationRefused(
                case.id, f"tilstanden '{new_state}' findes ikke i den nye version"
            )
        self._check_facts_fit(case)
        # the state's rules and the whole case's; what an event started is kept while open
        state = self.drejebog.in_force(new_state, events=False)
        old_state = old.states.get(case.state)
        old_rule_names = {r.name for r in old_state.rules} if old_state is not None else set()
        old_rule_names |= {r.name for r in (*old.whole_case.rules, *old.by_events.rules)}
        facts = {**self._blank_facts(), **case.facts}
        for counter in self.drejebog.counting:  # a counting fact this version adds: 0
            facts[counter] = facts[counter] if isinstance(facts[counter], int) else 0
        step = Step(
            case=replace(
                case, state=new_state, facts=facts, open_rules={}, open_tasks={}, cycles={}
            ),
            previous_state=case.state,
            cancel_due_from=at,
        )
        # a task this version adds to the state is created now, as on entering the state; a
        # task the old version had is kept while open and stays done when done
        new_tasks = [
            task
            for task in state.tasks
            if task.name not in old_rule_names
            and self._applies(step, task.name, task.condition, at)
        ]
        started = self.drejebog.by_events
        kept_tasks = [
            task
            for task in (*state.tasks, *state.streak_tasks, *started.tasks)
            if task.name in case.open_tasks
        ]
        open_rules: dict[str, OpenRule] = {}
        open_tasks: dict[str, OpenRule] = {}
        deadlines = [
            *(d for d in state.deadlines if self._applies(step, d.name, d.condition, at)),
            *(d for d in started.deadlines if d.name in case.open_rules),
            *(task.deadline for task in (*kept_tasks, *new_tasks) if task.deadline),
        ]
        for deadline in deadlines:
            still_open = deadline.name in case.open_rules
            if not still_open and deadline.name in old_rule_names:
                continue  # met (or lapsed) under the old version
            occurrence = self._next_plan(step)
            stored = case.open_rules.get(deadline.name)
            if stored is not None and stored.anchor and deadline.anchor == ANCHOR_ENTRY:
                anchor = stored.anchor  # one started again by a self-transition counts from it
            elif still_open and step.case.facts.get(deadline.anchor, 0) is None:
                # waiting for a cleared `tidspunkt` or date: it goes on waiting
                open_rules[deadline.name] = OpenRule(deadline.name, occurrence, None, None)
                continue
            else:
                anchor = self._anchor(step.case, deadline.name, deadline.anchor)
            clock = self._appointment_time(step.case, deadline.anchor)
            due, timers = plan_deadline(
                case.id, deadline, anchor, occurrence, at, self.calendar, clock
            )
            step.schedule.extend(timers)
            planned = OpenRule(deadline.name, occurrence, anchor, due.day, due.reason)
            open_rules[deadline.name] = planned
        for task in kept_tasks:
            open_tasks[task.name] = open_rules.get(task.name) or case.open_tasks[task.name]
        for task in new_tasks:
            planned = open_rules.get(task.name) or OpenRule(
                task.name, self._next_plan(step), None, None
            )
            open_tasks[task.name] = planned
            step.records.append(_task_record(step, task, new_state, planned, at))
        for minimum in state.minimums:
            running = case.open_rules.get(minimum.name)
            if running is not None and running.anchor is not None:  # counting on as it was
                open_rules[minimum.name] = self._plan_count(
                    step, minimum, running.anchor, at, running.count_from
                )
            elif minimum.name not in old_rule_names and self._applies(
                step, minimum.name, minimum.condition, at
            ):
                anchor = local_date(case.entered_at)
                open_rules[minimum.name] = self._plan_count(step, minimum, anchor, at)
        step.case = replace(step.case, open_rules=open_rules, open_tasks=open_tasks)
        for recurring in state.recurring:
            if not self._applies(step, recurring.name, recurring.condition, at):
                continue
            previous = case.cycles.get(recurring.name)
            anchor = (
                previous.anchor
                if previous is not None
                else self._anchor(step.case, recurring.name, recurring.anchor)
            )
            cycle = self._next_plan(step)
            kept = (
                replace(previous, occurrence=cycle)
                if previous is not None
                else Cycle(recurring.name, cycle, anchor)
            )
            step.case = replace(step.case, cycles={**step.case.cycles, recurring.name: kept})
            if recurring.fixed:
                # what was settled stays settled: never the timers of an occurrence that
                # already has its report-back
                open_k = max(kept.open_k, first_ahead(recurring, anchor, at, self.calendar))
                step.schedule.extend(
                    plan_duty(case.id, recurring, anchor, cycle, open_k, 0, at, self.calendar)
                )
            else:
                step.schedule.extend(
                    replan_cycle(case.id, recurring, anchor, cycle, at, self.calendar)
                )
        return self._done(step)

    def _check_facts_fit(self, case: CaseSnapshot) -> None:
        """Every fact value the case has must fit this version's type for it: a `dato` that
        the new version makes a `tidspunkt` has no time of day to become, and a `valg` value
        the new version dropped is none of its values. Kept, either would make the case
        unreadable under the new version, so the migration is refused, naming the fact."""
        for name, value in case.facts.items():
            fact = self.drejebog.facts.get(name)
            if fact is None or value is None:
                continue
            try:
                convert_fact(fact, value)
            except FactValueError as exc:
                raise MigrationRefused(
                    case.id, f"faktummet passer ikke til den nye version: {exc}"
                ) from None

    # -- helpers ---------------------------------------------------------------------------

    def _follow_ups(
        self, case: CaseSnapshot, timer: Timer, rule: Deadline | Recurring, at: datetime
    ) -> list[Timer]:
        """What a fired timer sets going: the next rung of an escalation ladder; after a
        missing check-in, the first rung of the ladder and the duty's next occurrence."""
        timers: list[Timer] = []
        rung = {TimerKind.ESCALATION: timer.index + 1, TimerKind.CHECKIN_MISSING: 0}.get(timer.kind)
        if missed_in_all(timer) > 1 and isinstance(rule, Recurring):
            # a catch-up notice: the rungs already passed are folded into it as well
            ladder = catch_up_escalation(case.id, rule, timer, at, self.calendar)
            timers.extend([ladder] if ladder is not None else [])
        elif rung is not None and rung < len(rule.escalation):
            timers.append(
                escalation_timer(
                    case.id,
                    rule,
                    timer.occurrence,
                    timer.due_date,
                    rung,
                    timer.anchor,
                    timer.k,
                    self.calendar,
                    timer.due_moved,
                )
            )
        # only a recurring duty has missing check-ins; the test narrows the type for mypy
        if timer.kind is TimerKind.CHECKIN_MISSING and isinstance(rule, Recurring):
            cycle = case.cycles[rule.name]
            timers.extend(
                plan_occurrence(
                    case.id, rule, cycle.anchor, cycle.occurrence, timer.k + 1, at, self.calendar
                )
            )
        return timers

    def _is_current(self, case: CaseSnapshot, timer: Timer) -> bool:
        if timer.case_id != case.id or timer.rule not in self.drejebog.rules:
            return False
        open_rule = case.open_rules.get(timer.rule)
        if open_rule is not None:
            return open_rule.occurrence == timer.occurrence
        cycle = case.cycles.get(timer.rule)
        return cycle is not None and timer.occurrence.startswith(cycle.occurrence + ".")

    def _holds(self, case_id: str, event: Event, source: str, scope: Mapping[str, Any]) -> bool:
        try:
            return compile_expression(source)(scope)
        except Exception as exc:
            raise BadEventData(
                case_id, event.id, f"betingelsen '{source}' kunne ikke beregnes: {exc}"
            ) from exc

    def _event_data(
        self, case_id: str, event: Event, data: Mapping[str, object], at: datetime
    ) -> dict[str, object]:
        allowed = set(event.data) | set(event.optional_data)
        unknown = sorted(set(data) - allowed)
        if unknown:
            expected = ", ".join(sorted(allowed)) or "ingen data"
            raise BadEventData(
                case_id,
                event.id,
                f"ukendte data {', '.join(unknown)} (hændelsen tager: {expected})",
            )
        missing = [name for name in event.data if data.get(name) in (None, "")]
        if missing:
            raise BadEventData(case_id, event.id, f"mangler data: {', '.join(missing)}")
        return self._convert_all(case_id, event.id, dict(data), local_date(at))

    def _convert_all(
        self, case_id: str, event_id: str, data: dict[str, object], today: date
    ) -> dict[str, object]:
        """Event data as the facts' types, each date within its fact's plausible range
        around `today`, the event's date."""
        converted: dict[str, object] = {}
        for name, value in data.items():
            fact = self.drejebog.facts.get(name)
            if fact is None:
                raise BadEventData(case_id, event_id, f"ukendt faktum '{name}'")
            try:
                converted[name] = convert_fact(fact, value)
                check_plausible(fact, converted[name], today)
            except FactValueError as exc:
                raise BadEventData(case_id, event_id, str(exc)) from exc
        return converted

    def _anchor(
        self, case: CaseSnapshot, rule_name: str, anchor: str, started: date | None = None
    ) -> date:
        """The day a rule counts from: `indtræden` is the state's entry, or `started` (the
        case's start, an event's date) for a rule outside the states; else a date fact."""
        if anchor == ANCHOR_ENTRY:
            return started or local_date(case.entered_at)
        value = case.facts.get(anchor)
        if not isinstance(value, date):
            raise MissingAnchor(case.id, rule_name, anchor)
        return value.date() if isinstance(value, datetime) else value

    @staticmethod
    def _appointment_time(case: CaseSnapshot, anchor: str) -> time | None:
        """The wall-clock time of a `tidspunkt` anchor (None for a date or the entry)."""
        value = case.facts.get(anchor)
        return value.time() if isinstance(value, datetime) else None

    def _next_plan(self, step: Step) -> str:
        """A fresh occurrence prefix; the count is written back to the case by `_done`."""
        step.plan_seq = max(step.plan_seq, step.case.plan_seq) + 1
        return f"p{step.plan_seq}"

    @staticmethod
    def _done(step: Step) -> Step:
        if step.plan_seq > step.case.plan_seq:
            step.case = replace(step.case, plan_seq=step.plan_seq)
        return step

    def _plan_deadline(
        self, step: Step, rule: Deadline, at: datetime, started: date | None = None
    ) -> OpenRule:
        occurrence = self._next_plan(step)
        anchor = self._anchor(step.case, rule.name, rule.anchor, started)
        clock = self._appointment_time(step.case, rule.anchor)
        due, timers = plan_deadline(
            step.case.id, rule, anchor, occurrence, at, self.calendar, clock
        )
        step.schedule.extend(timers)
        return OpenRule(rule.name, occurrence, anchor, due.day, due.reason)

    def _start_cycle(
        self, step: Step, rule: Recurring, anchor: date, at: datetime, in_a_row: int = 0
    ) -> None:
        """Start the duty's cycle from `anchor` (its occurrences counted from 1 again);
        `in_a_row`: the misses in a row it carries over (a moved anchor is no report-back)."""
        occurrence = self._next_plan(step)
        cycle = Cycle(rule.name, occurrence, anchor, in_a_row=in_a_row)
        step.case = replace(step.case, cycles={**step.case.cycles, rule.name: cycle})
        step.schedule.extend(
            plan_occurrence(step.case.id, rule, anchor, occurrence, 1, at, self.calendar)
        )

    def _enter(self, step: Step, state: State, at: datetime) -> None:
        """Enter `state` from another: only what outlives a state change stays (the whole
        case's rules, and what an event started unless it ends with its state); nothing does
        when `state` is final."""

        def kept(running: Mapping[str, Any]) -> dict[str, Any]:
            outlives = self.drejebog.outlives_state
            return {k: v for k, v in running.items() if not state.final and outlives(k)}

        case = step.case
        step.case = replace(
            case,
            open_rules=kept(case.open_rules),
            open_tasks=kept(case.open_tasks),
            cycles=kept(case.cycles),
        )
        self._reenter(step, state, at)

    def _reenter(self, step: Step, state: State, at: datetime) -> None:
        """The case (re-)enters `state` at `at`: the state's deadlines, tasks and duties that
        do not run now start (all of them on entering from another state; after a
        self-transition, those met or lapsed). What still runs is left as it is."""
        step.case = replace(step.case, state=state.id, entered_at=at)
        step.records.append(
            Record(
                at=at,
                case_id=step.case.id,
                kind="state",
                name=state.id,
                role=None,
                state=state.id,
                title=state.title,
            )
        )
        self._start_rules(step, state, at)

    def _start_rules(
        self, step: Step, area: State, at: datetime, started: date | None = None
    ) -> None:
        """Start the area's deadlines, tasks, duties and `mindst` rules that do not run now
        and whose `hvis` holds. `started`: the day `indtræden` means (the case's start for
        the whole case, the event's date for what an event starts); None: the state's entry.
        """
        open_rules = dict(step.case.open_rules)
        for deadline in area.deadlines:
            if deadline.name in open_rules:
                continue
            if self._applies(step, deadline.name, deadline.condition, at):
                open_rules[deadline.name] = self._plan_deadline(step, deadline, at, started)
        open_tasks = dict(step.case.open_tasks)
        for task in area.tasks:
            if task.name in open_tasks or not self._applies(step, task.name, task.condition, at):
                continue
            if task.deadline is not None:
                planned = self._plan_deadline(step, task.deadline, at, started)
                open_rules[task.name] = planned
            else:
                planned = OpenRule(task.name, self._next_plan(step), None, None)
            open_tasks[task.name] = planned
            step.records.append(_task_record(step, task, step.case.state, planned, at))
        for minimum in area.minimums:
            if minimum.name in open_rules:
                continue
            if self._applies(step, minimum.name, minimum.condition, at):
                anchor = started or local_date(step.case.entered_at)
                open_rules[minimum.name] = self._plan_count(step, minimum, anchor, at)
        step.case = replace(step.case, open_rules=open_rules, open_tasks=open_tasks)
        for recurring in area.recurring:
            if recurring.name in step.case.cycles:
                continue
            if not self._applies(step, recurring.name, recurring.condition, at):
                continue
            anchor = self._anchor(step.case, recurring.name, recurring.anchor, started)
            self._start_cycle(step, recurring, anchor, at)

    def _plan_count(
        self, step: Step, rule: AtLeast, anchor: date, at: datetime, count_from: int | None = None
    ) -> OpenRule:
        """Plan a `mindst` rule's check; it counts from the counter's value now (or
        `count_from`, one kept by a migration)."""
        occurrence = self._next_plan(step)
        timer = count_check_timer(step.case.id, rule, anchor, occurrence, self.calendar)
        step.schedule.append(timer)
        if count_from is None:
            count_from = rule.counted(step.case.facts, 0)
        return OpenRule(rule.name, occurrence, anchor, timer.due_date, None, count_from)

    def _applies(
        self, step: Step, rule_name: str, condition: Expression | None, at: datetime
    ) -> bool:
        """Whether a rule's `hvis` holds on the case's facts now (when it is planned)."""
        if condition is None:
            return True
        scope = {**step.case.facts, EVENT_DATE_NAME: local_date(at)}
        try:
            return compile_expression(condition.source)(scope)
        except Exception as exc:  # a condition that cannot be evaluated on these facts
            raise BadEventData(
                step.case.id,
                step.event or "åbn_sag",
                f"betingelsen '{condition.source}' for '{rule_name}' kunne ikke beregnes: {exc}",
            ) from exc

    def _drop_no_longer_applying(self, step: Step, changed: set[str], at: datetime) -> None:
        """A running deadline or duty whose `hvis` uses a fact the event changed is judged
        again; when it no longer holds, the rule stops (it is not started again until the
        case next enters the state)."""
        if not changed:
            return
        state = self._area_of(step.case.state)
        rules: tuple[Deadline | Recurring, ...] = (*state.deadlines, *state.recurring)
        for rule in rules:
            condition = rule.condition
            running = rule.name in step.case.open_rules or rule.name in step.case.cycles
            if condition is None or not running:
                continue
            if not referenced_names(condition.source) & changed:
                continue
            if self._applies(step, rule.name, condition, at):
                continue
            step.cancel_rules.append(rule.name)
            # nor anything just re-planned for it (an anchor that changed with the fact)
            step.schedule = [t for t in step.schedule if t.rule != rule.name]
            step.case = replace(
                step.case,
                open_rules={k: v for k, v in step.case.open_rules.items() if k != rule.name},
                cycles={k: v for k, v in step.case.cycles.items() if k != rule.name},
            )
            if isinstance(rule, Deadline):
                step.results.append(RuleResult(rule.name, "bortfaldet", None))

    def _leave(self, step: Step, at: datetime, ends_case: bool = False) -> None:
        """Leave the state: its rules lapse. The whole case's rules and what an event started
        (unless it ends with its state) keep running, unless the case now ends."""
        case = step.case

        def ends(name: str) -> bool:
            return ends_case or not self.drejebog.outlives_state(name)

        step.cancel_rules.extend(n for n in (*case.open_rules, *case.cycles) if ends(n))
        for task in case.open_tasks:
            if task not in case.open_rules and ends(task):
                step.cancel_rules.append(task)
        for name in sorted(set(case.open_rules) | set(case.open_tasks)):
            if ends(name):
                step.results.append(RuleResult(name, "bortfaldet", None))

    def _meet_rules(
        self, step: Step, event: Event, at: datetime, state_changes: bool, ends_case: bool = False
    ) -> None:
        """The rules the event fulfils are met. A duty it meets is planned again unless the
        event ends it: it takes the case out of the duty's state, or (the whole case's
        duties) ends the case."""
        state = self._area_of(step.case.state)
        case = step.case
        open_rules = dict(case.open_rules)
        open_tasks = dict(case.open_tasks)
        rules: tuple[Deadline | Task, ...] = (*state.deadlines, *state.tasks, *state.streak_tasks)
        for rule in rules:
            met_by = rule.met_by
            if event.id not in met_by or (
                rule.name not in open_rules and rule.name not in open_tasks
            ):
                continue
            pending = open_rules.pop(rule.name, None) or open_tasks.get(rule.name)
            open_tasks.pop(rule.name, None)
            due = pending.due_date if pending else None
            in_time = is_in_time(at, due) if due is not None else None
            step.results.append(RuleResult(rule.name, "opfyldt", in_time))
            step.cancel_rules.append(rule.name)
        step.case = replace(case, open_rules=open_rules, open_tasks=open_tasks)
        for recurring in state.recurring:
            if recurring.name not in step.case.cycles:
                continue
            outlives = not ends_case and self.drejebog.outlives_state(recurring.name)
            goes_on = not state_changes or outlives
            if event.id in recurring.met_by and recurring.fixed:
                self._report_back(step, recurring, at, replan=goes_on)
            elif event.id in recurring.met_by:
                step.cancel_rules.append(recurring.name)
                if goes_on:
                    self._start_cycle(step, recurring, local_date(at), at)
            elif event.id in recurring.resolved_by:
                self._resolve_miss(step, recurring, at, replan=goes_on)

    def _report_back(self, step: Step, rule: Recurring, at: datetime, replan: bool) -> None:
        """A report-back on a duty with fixed due dates. It counts for its window (previous
        due date, this due date] and never moves a due date. When the occurrence before that
        window has no report-back (its due date has passed), it is also recorded for that
        one as late but received (*for sent*), which stops that occurrence's missing notice
        or ladder. A received report-back ends a run of misses in a row."""
        cycle = step.case.cycles[rule.name]
        window = window_of(rule, cycle.anchor, local_date(at), self.calendar)
        counted = [(window - 1, "for sent")] if cycle.settled < window - 1 else []
        if cycle.settled < window:
            counted.append((window, "til tiden"))
        if not counted:
            return  # the window already has its report-back: this one counts for nothing more
        for k, outcome in counted:
            due = rule.due_moved(cycle.anchor, k, self.calendar)
            step.records.append(
                Record(
                    at=at,
                    case_id=step.case.id,
                    kind="checkin",
                    name=rule.name,
                    role=None,
                    state=step.case.state,
                    title=rule.title,
                    due_date=due.day,
                    step=outcome,
                    moved=due.reason,
                )
            )
        self._replan_duty(step, replace(cycle, settled=window, in_a_row=0), at, replan)

    def _resolve_miss(self, step: Step, rule: Recurring, at: datetime, replan: bool) -> None:
        """An event that resolves a miss without being a report-back (the worker reached the
        citizen by phone): the missed occurrence's ladder stops; the count of misses in a row
        stays, and the due dates stay as they are."""
        cycle = step.case.cycles[rule.name]
        missed = cycle.unanswered
        if not missed:
            return  # nothing is missing: the event changes nothing for this duty
        due = rule.due_moved(cycle.anchor, missed, self.calendar)
        step.records.append(
            Record(
                at=at,
                case_id=step.case.id,
                kind="miss_resolved",
                name=rule.name,
                role=None,
                state=step.case.state,
                title=rule.title,
                due_date=due.day,
                moved=due.reason,
            )
        )
        self._replan_duty(step, replace(cycle, resolved=missed), at, replan)

    def _replan_duty(self, step: Step, cycle: Cycle, at: datetime, replan: bool) -> None:
        """Keep `cycle` and plan its timers again under a fresh plan number: the running
        occurrence and the ladder of a miss nobody has answered. Restart-mode duties keep
        their occurrence numbering too (only a report-back restarts them)."""
        _, rule = self.drejebog.rule(cycle.rule)
        assert isinstance(rule, Recurring)
        step.cancel_rules.append(rule.name)
        if not replan:  # the event takes the case out of the state: the duty ends there
            step.case = replace(step.case, cycles={**step.case.cycles, rule.name: cycle})
            return
        plan = self._next_plan(step)
        cycle = replace(cycle, occurrence=plan)
        step.case = replace(step.case, cycles={**step.case.cycles, rule.name: cycle})
        open_k = cycle.open_k
        if not rule.fixed:
            # a cycle stored before misses were counted knows no `missed`: never plan an
            # occurrence whose missing notice has passed
            open_k = max(open_k, first_ahead(rule, cycle.anchor, at, self.calendar))
        step.schedule.extend(
            plan_duty(
                step.case.id, rule, cycle.anchor, plan, open_k, cycle.unanswered, at, self.calendar
            )
        )

    def _replan_anchored(
        self, step: Step, changed: set[str], at: datetime, area: State | None = None
    ) -> None:
        """Rules counted from a date or `tidspunkt` fact follow the fact when an event
        changes it (those in `area`; all that can run in the case's state when None): their
        pending timers are cancelled and planned again under a fresh plan number (so a timer
        of the old time can never fire). A fact an event clears (`ryd`): a deadline counted
        from it waits, open with no due date and no timers, until an event gives the fact a
        value again; a recurring duty counted from it stops."""
        if not changed:
            return
        state = area or self._area_of(step.case.state)
        for deadline in (*state.deadlines, *(t.deadline for t in state.tasks if t.deadline)):
            if deadline.anchor in changed and deadline.name in step.case.open_rules:
                step.cancel_rules.append(deadline.name)
                if step.case.facts.get(deadline.anchor) is None:
                    planned = OpenRule(deadline.name, self._next_plan(step), None, None)
                else:
                    planned = self._plan_deadline(step, deadline, at)
                step.case = replace(
                    step.case, open_rules={**step.case.open_rules, deadline.name: planned}
                )
                if deadline.name in step.case.open_tasks:
                    step.case = replace(
                        step.case, open_tasks={**step.case.open_tasks, deadline.name: planned}
                    )
        for recurring in state.recurring:
            if recurring.anchor in changed and recurring.name in step.case.cycles:
                step.cancel_rules.append(recurring.name)
                if step.case.facts.get(recurring.anchor) is None:
                    cycles = {k: v for k, v in step.case.cycles.items() if k != recurring.name}
                    step.case = replace(step.case, cycles=cycles)
                    continue
                anchor = self._anchor(step.case, recurring.name, recurring.anchor)
                carried = step.case.cycles[recurring.name].in_a_row
                self._start_cycle(step, recurring, anchor, at, carried)


def _step_applies(
    case: CaseSnapshot, rule: Deadline | Recurring, timer: Timer, at: datetime
) -> bool:
    """Whether a reminder's or escalation rung's `hvis` holds on the case's facts when it is
    due. A condition that cannot be evaluated counts as true: a notice too many is better
    than an escalation nobody gets."""
    condition = step_condition(rule, timer.kind, timer.index)
    if condition is None:
        return True
    try:
        return compile_expression(condition.source)({**case.facts, EVENT_DATE_NAME: local_date(at)})
    except Exception:
        return True


def _fired(case: CaseSnapshot, timer: Timer, rule: Rule, at: datetime) -> list[Record]:
    """The records of a fired timer: one per role it goes to (one without a role if none)."""
    late = max(0.0, (at - timer.due_at).total_seconds())
    roles: tuple[str | None, ...] = timer.roles or (None,)
    return [
        Record(
            at=at,
            case_id=case.id,
            kind=timer.kind.value,
            name=rule.name,
            role=role,
            state=case.state,
            title=rule.title,
            due_date=timer.due_date,
            step=timer.step,
            late_seconds=late,
            moved="; ".join(why for why in (timer.due_moved, timer.day_moved) if why) or None,
        )
        for role in roles
    ]


def _task_record(step: Step, task: Task, state: str, planned: OpenRule, at: datetime) -> Record:
    """The record of a task created (on entering its state, or when a migration adds it)."""
    return Record(
        at=at,
        case_id=step.case.id,
        kind="task",
        name=task.name,
        role=task.role,
        state=state,
        title=task.title,
        due_date=planned.due_date,
        moved=planned.moved,
    )
