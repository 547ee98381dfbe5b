"""The drejebog as a `transitions` state machine: built once per drejebog version.

A case is not added to the machine (add_model costs ~150 µs and keeps a reference): for each
event a throw-away model carrying the case's state is handed to the event's trigger, which
costs a few µs. Conditions are our own callables, never strings from YAML (transitions would
import dotted strings), `auto_transitions=False` keeps `to_<state>()` from bypassing the
drejebog, and there are no `Timeout` states (their thread timers vanish on restart).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from transitions import EventData, Machine, MachineError

from drejebog.engine.expressions import compile_expression
from drejebog.engine.model import Branch, Drejebog


class _BranchCondition:
    def __init__(self, branch: Branch) -> None:
        assert branch.condition is not None
        self._expression = compile_expression(branch.condition.source)
        self.__name__ = branch.condition.source

    def __call__(self, event: EventData) -> bool:
        scope: Mapping[str, object] = event.kwargs["scope"]
        return self._expression(scope)


def _record_destination(event: EventData) -> None:
    transition = event.transition
    setattr(event.model, "destination", transition.dest if transition is not None else None)  # noqa: B010


class _CaseModel:
    def __init__(self, state: str) -> None:
        self.state = state
        self.destination: str | None = None


@dataclass(frozen=True)
class Outcome:
    allowed: bool  # the event may happen from this state
    taken: bool  # a transition was taken (False: every branch's condition was false)
    destination: str | None  # the new state; None when the event leaves the state as it is


class DrejebogMachine:
    def __init__(self, drejebog: Drejebog) -> None:
        self.drejebog = drejebog
        self._machine = Machine(
            model=None,
            states=list(drejebog.states),
            initial=drejebog.start if drejebog.start in drejebog.states else None,
            auto_transitions=False,
            send_event=True,
            ignore_invalid_triggers=False,
        )
        for event in drejebog.events.values():
            if not event.sources:
                continue
            sources: list[Any] = list(event.sources)
            if not event.branches:
                self._machine.add_transition(event.id, sources, None, after=[_record_destination])
            for branch in event.branches:
                conditions: list[Any] = (
                    [_BranchCondition(branch)] if branch.condition is not None else []
                )
                self._machine.add_transition(
                    event.id,
                    sources,
                    branch.target,
                    conditions=conditions,
                    after=[_record_destination],
                )

    def allowed_events(self, state: str) -> list[str]:
        return [name for name, event in self._machine.events.items() if state in event.transitions]

    def fire(self, state: str, event_id: str, scope: Mapping[str, object]) -> Outcome:
        """Run `event_id` from `state` with the facts in `scope` (pure: nothing is stored)."""
        event = self._machine.events.get(event_id)
        if event is None or state not in event.transitions:
            return Outcome(allowed=False, taken=False, destination=None)
        model = _CaseModel(state)
        try:
            taken = event.trigger(model, scope=scope)
        except MachineError:
            return Outcome(allowed=False, taken=False, destination=None)
        return Outcome(allowed=True, taken=bool(taken), destination=model.destination)


_MACHINES: dict[tuple[str, str, str], DrejebogMachine] = {}


def machine_for(drejebog: Drejebog) -> DrejebogMachine:
    """The machine of this drejebog version, built on first use (bounded: one per version)."""
    key = (drejebog.id, drejebog.version, drejebog.content_hash)
    machine = _MACHINES.get(key)
    if machine is None or machine.drejebog is not drejebog:
        machine = DrejebogMachine(drejebog)
        _MACHINES[key] = machine
    return machine
