"""The projektleder's test bench: run scenario cases on a simulated clock.

Scripted events and due timers are processed in time order (an event before a timer at the
same instant); every step goes through the same `CaseRuntime` the real engine uses. The
clock is a `SimulatedClock` that jumps from one moment to the next: no sleeping.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import partial

from drejebog.engine.clock import SimulatedClock
from drejebog.engine.errors import CaseError, DrejebogInvalid, Problem
from drejebog.engine.runtime import CaseRuntime, CaseSnapshot, Record, Step
from drejebog.engine.scenario import Scenario, ScriptedCase, ScriptedEvent
from drejebog.engine.timers import Timer

_EVENT, _TIMER = 0, 1


class PendingTimers:
    """An in-memory timer table: the simulator's stand-in for the store's timer rows."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str, str, str], Timer] = {}

    def apply(self, step: Step) -> list[Timer]:
        """Cancel the step's rules, then add its timers; return the timers added."""
        cancelled = {(step.case.id, rule) for rule in step.cancel_rules}
        if cancelled:
            for key in [k for k in self._by_key if (k[0], k[1]) in cancelled]:
                del self._by_key[key]
        added = [t for t in step.schedule if t.natural_key not in self._by_key]
        for timer in added:
            self._by_key[timer.natural_key] = timer
        return added

    def take(self, timer: Timer) -> bool:
        """Remove `timer` if it is still pending (True): a timer fires at most once."""
        return self._by_key.pop(timer.natural_key, None) is not None

    def __len__(self) -> int:
        return len(self._by_key)


def simulate(scenario: Scenario) -> Iterator[Record]:
    """Yield every record in time order; raise DrejebogInvalid at a scripted event that fails."""
    runtime = CaseRuntime(scenario.drejebog)
    first = min((c.opened_at for c in scenario.cases), default=scenario.end)
    clock = SimulatedClock(first)
    pending = PendingTimers()
    snapshots: dict[str, CaseSnapshot] = {}
    order = itertools.count()
    queue: list[tuple[datetime, int, int, object]] = []
    for case in scenario.cases:
        heapq.heappush(queue, (case.opened_at, _EVENT, next(order), case))
        for event in case.events:
            heapq.heappush(queue, (event.at, _EVENT, next(order), (case, event)))

    while queue:
        at, _, _, item = heapq.heappop(queue)
        if at > scenario.end:
            break
        clock.advance_to(max(at, clock.now()))
        now = clock.now()
        if isinstance(item, Timer):
            if not pending.take(item):
                continue  # cancelled after it was queued
            step = runtime.fire(snapshots[item.case_id], item, now)
        elif isinstance(item, ScriptedCase):
            step = _run(
                scenario,
                item.mark.line,
                item.mark.column,
                partial(runtime.open_case, item.id, item.opened_at, item.facts, item.citizen_name),
            )
        else:
            assert isinstance(item, tuple)
            case, event = item
            step = _run_event(scenario, runtime, snapshots, case, event, now)
        snapshots[step.case.id] = step.case
        for timer in pending.apply(step):
            heapq.heappush(queue, (max(timer.due_at, now), _TIMER, next(order), timer))
        yield from step.records


def _run_event(
    scenario: Scenario,
    runtime: CaseRuntime,
    snapshots: dict[str, CaseSnapshot],
    case: ScriptedCase,
    event: ScriptedEvent,
    now: datetime,
) -> Step:
    snapshot = snapshots.get(case.id)
    if snapshot is None:
        raise DrejebogInvalid(
            [
                Problem(
                    scenario.path,
                    event.mark.line,
                    event.mark.column,
                    f"sagen '{case.id}' er ikke åbnet endnu",
                )
            ]
        )
    return _run(
        scenario,
        event.mark.line,
        event.mark.column,
        lambda: runtime.apply(snapshot, event.event, event.data, now),
    )


def _run(scenario: Scenario, line: int, column: int, action: Callable[[], Step]) -> Step:
    """Run one scripted step; a refused event becomes a problem at the scenario's line."""
    try:
        return action()
    except CaseError as exc:
        raise DrejebogInvalid([Problem(scenario.path, line, column, str(exc))]) from exc
