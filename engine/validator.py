"""Checks over the whole drejebog graph: can every state be reached, can every case end, can
every escalating rule be fulfilled."""

from __future__ import annotations

from collections import deque

from drejebog.engine.errors import Problem
from drejebog.engine.model import ANCHOR_ENTRY, Deadline, Drejebog, Event, Recurring, State


def graph_problems(drejebog: Drejebog, filename: str) -> list[Problem]:
    if drejebog.start not in drejebog.states:
        return []  # already reported where 'start' is written
    successors = _successors(drejebog)
    reachable = _reachable(drejebog.start, successors)
    finals = [s for s in drejebog.states.values() if s.final]
    problems = [Problem(filename, *where, message) for where, message in _end_problems(drejebog)]
    can_finish = _can_finish(finals, successors)
    for state in drejebog.states.values():
        problems.extend(
            Problem(filename, state.mark.line, state.mark.column, message)
            for message in _state_problems(
                drejebog, state, successors, reachable, can_finish, bool(finals)
            )
        )
        problems.extend(_unfulfillable(state, filename))
    problems.extend(_unfulfillable(drejebog.whole_case, filename, "hele sagen"))
    problems.extend(_unfulfillable(drejebog.by_events, filename, "som en hændelse starter"))
    problems.extend(_unsupplied_anchors(drejebog, filename))
    return problems


def _unsupplied_anchors(drejebog: Drejebog, filename: str) -> list[Problem]:
    """A deadline, a task's deadline or a duty counted from a fact (`regnes_fra`) in a state
    that no event entering the state can give the fact a value: at run time every such
    event would be refused (the rule has no date to count from), so it is said here, at the
    anchor. An event supplies a fact through `data`, `valgfri_data` or `sæt`, or brings it
    along from an earlier state where some event could set it; `ryd` empties it. Facts given
    when a case is opened count for the start state's own rules only: the drejebog does not
    declare them (any fact may be given, or none), so a later state cannot rely on them."""
    arriving = _arriving_facts(drejebog)
    problems: list[Problem] = []
    for state in drejebog.states.values():
        entries = [
            (event, source)
            for event in drejebog.events.values()
            for source in event.sources
            if any(branch.target == state.id for branch in event.branches)
        ]
        rules: list[tuple[str, Deadline | Recurring]] = [
            *(("fristen", deadline) for deadline in state.deadlines),
            *(("opgaven", task.deadline) for task in state.tasks if task.deadline is not None),
            *(("den tilbagevendende pligt", duty) for duty in state.recurring),
        ]
        for noun, rule in rules:
            if rule.anchor == ANCHOR_ENTRY or state.id == drejebog.start:
                continue
            mark = rule.anchor_mark or rule.mark
            supplied = [e for e, source in entries if rule.anchor in arriving[(e.id, source)]]
            if entries and not supplied:
                problems.append(
                    Problem(
                        filename,
                        mark.line,
                        mark.column,
                        f"{noun} '{rule.name}' regnes fra '{rule.anchor}', men ingen hændelse, "
                        f"der fører ind i tilstanden '{state.id}' "
                        f"({', '.join(sorted({e.id for e, _ in entries}))}), kan give "
                        "faktummet en værdi: tilføj det til hændelsens 'data' eller "
                        "'valgfri_data', eller sæt det i en tilstand før",
                    )
                )
            for event in sorted({e.id for e, _ in entries if rule.anchor in e.clears}):
                problems.append(
                    Problem(
                        filename,
                        mark.line,
                        mark.column,
                        f"{noun} '{rule.name}' regnes fra '{rule.anchor}', men hændelsen "
                        f"'{event}' rydder faktummet ('ryd') og fører ind i tilstanden "
                        f"'{state.id}': den ville altid blive afvist",
                    )
                )
    return problems


def _arriving_facts(drejebog: Drejebog) -> dict[tuple[str, str], set[str]]:
    """For each (event, source state) that changes state: the facts that may have a value
    when the event arrives in its target. A fixed point over the graph of what may be set
    in each state: what may be set on arrival, plus what the events that stay in the state
    may set (a may-analysis: one path that sets a fact is enough)."""
    in_state: dict[str, set[str]] = {state: set() for state in drejebog.states}
    staying: dict[str, set[str]] = {state: set() for state in drejebog.states}
    for event in drejebog.events.values():
        if not event.changes_state or all(b.target in event.sources for b in event.branches):
            for source in event.sources:
                staying.setdefault(source, set()).update(event.supplies)
    arriving: dict[tuple[str, str], set[str]] = {}
    changed = True
    while changed:
        changed = False
        for event in drejebog.events.values():
            for source in event.sources:
                facts = _arrive(event, in_state.get(source, set()) | staying.get(source, set()))
                arriving[(event.id, source)] = facts
                for branch in event.branches:
                    target = in_state.setdefault(branch.target, set())
                    if not facts <= target:
                        target |= facts
                        changed = True
    return arriving


def _arrive(event: Event, before: set[str]) -> set[str]:
    return (before | event.supplies) - (set(event.clears) - event.supplies)


def _unfulfillable(state: State, filename: str, area: str = "") -> list[Problem]:
    """A deadline, a task's deadline or a recurring duty that escalates (`eskalering`, and for
    a duty also `mangler` or `mangler_i_træk`) but names no event in `opfyldes_af`: nothing
    can ever fulfil it, so every case in the state is escalated until it leaves the state.
    (An `opfyldes_af` event that cannot happen in the state is reported where it is named.)"""
    rules: list[tuple[str, Deadline | Recurring]] = [
        *(("fristen", deadline) for deadline in state.deadlines),
        *(("opgaven", task.deadline) for task in state.tasks if task.deadline is not None),
        *(("den tilbagevendende pligt", duty) for duty in state.recurring),
    ]
    problems: list[Problem] = []
    for noun, rule in rules:
        ladder = bool(rule.escalation)
        if isinstance(rule, Recurring):
            ladder = ladder or rule.missing is not None or bool(rule.in_a_row)
        if not ladder or rule.met_by:
            continue
        problems.append(
            Problem(
                filename,
                rule.mark.line,
                rule.mark.column,
                f"{noun} '{rule.name}' eskalerer, men ingen hændelse kan opfylde den "
                f"('opfyldes_af' mangler eller er tom): {_escalated_until(state, area)}; "
                "skriv hændelsen, der opfylder den, i 'opfyldes_af'",
            )
        )
    return problems


def _escalated_until(state: State, area: str) -> str:
    """Who is escalated, and until when: a state's rule until the case leaves the state; a
    rule of the whole case, or one an event starts, until the case ends (`area`)."""
    if not area:
        return (
            f"hver sag i tilstanden '{state.id}' bliver eskaleret, indtil den forlader "
            "tilstanden"
        )
    return f"reglen ({area}) eskalerer hver sag, indtil sagen slutter"


def _successors(drejebog: Drejebog) -> dict[str, set[str]]:
    """Each state's targets: every branch of every event that may start from it."""
    successors: dict[str, set[str]] = {state: set() for state in drejebog.states}
    for event in drejebog.events.values():
        for source in event.sources:
            for branch in event.branches:
                successors.setdefault(source, set()).add(branch.target)
    return successors


def _reachable(start: str, successors: dict[str, set[str]]) -> set[str]:
    reachable = {start}
    queue = deque([start])
    while queue:
        for target in successors.get(queue.popleft(), ()):
            if target not in reachable:
                reachable.add(target)
                queue.append(target)
    return reachable


def _can_finish(finals: list[State], successors: dict[str, set[str]]) -> set[str]:
    """The states from which some path leads to a final state: a search backwards from the
    final states over the reversed edges (linear in states and events)."""
    predecessors: dict[str, set[str]] = {}
    for source, targets in successors.items():
        for target in targets:
            predecessors.setdefault(target, set()).add(source)
    can_finish = {s.id for s in finals}
    queue = deque(can_finish)
    while queue:
        for source in predecessors.get(queue.popleft(), ()):
            if source not in can_finish:
                can_finish.add(source)
                queue.append(source)
    return can_finish


def _end_problems(drejebog: Drejebog) -> list[tuple[tuple[int, int], str]]:
    problems: list[tuple[tuple[int, int], str]] = []
    if drejebog.states and not any(s.final for s in drejebog.states.values()):
        problems.append(
            ((1, 1), "drejebogen har ingen slut-tilstand (en tilstand med 'slut: true')")
        )
    start = drejebog.states[drejebog.start]
    if start.final:
        problems.append(
            (
                (start.mark.line, start.mark.column),
                "start-tilstanden kan ikke være en slut-tilstand",
            )
        )
    return problems


def _state_problems(
    drejebog: Drejebog,
    state: State,
    successors: dict[str, set[str]],
    reachable: set[str],
    can_finish: set[str],
    has_finals: bool,
) -> list[str]:
    problems: list[str] = []
    no_way_out = not state.final and not (successors.get(state.id, set()) - {state.id})
    if has_finals and not no_way_out and state.id not in can_finish:
        problems.append(f"fra tilstanden '{state.id}' kan en sag aldrig nå en slut-tilstand")
    if state.id not in reachable:
        problems.append(
            f"tilstanden '{state.id}' kan ikke nås fra start-tilstanden '{drejebog.start}'"
        )
    if no_way_out:
        problems.append(
            f"tilstanden '{state.id}' er ikke en slut-tilstand, men ingen hændelse fører "
            "videre fra den; tilføj en hændelse med 'fra' den eller marker den 'slut: true'"
        )
    return problems
