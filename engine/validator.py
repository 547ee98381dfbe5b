"""Checks over the whole drejebog graph: can every state be reached, can every case end."""

from __future__ import annotations

from collections import deque

from drejebog.engine.errors import Problem
from drejebog.engine.model import Drejebog


def graph_problems(drejebog: Drejebog, filename: str) -> list[Problem]:
    problems: list[Problem] = []

    def report(line: int, column: int, message: str) -> None:
        problems.append(Problem(filename, line, column, message))

    if drejebog.start not in drejebog.states:
        return problems  # already reported where 'start' is written
    successors: dict[str, set[str]] = {state: set() for state in drejebog.states}
    for event in drejebog.events.values():
        for source in event.sources:
            for branch in event.branches:
                successors.setdefault(source, set()).add(branch.target)

    reachable = {drejebog.start}
    queue = deque([drejebog.start])
    while queue:
        for target in successors.get(queue.popleft(), ()):
            if target not in reachable:
                reachable.add(target)
                queue.append(target)

    finals = [s for s in drejebog.states.values() if s.final]
    if drejebog.states and not finals:
        report(1, 1, "drejebogen har ingen slut-tilstand (en tilstand med 'slut: true')")
    if drejebog.states[drejebog.start].final:
        state = drejebog.states[drejebog.start]
        report(
            state.mark.line, state.mark.column, "start-tilstanden kan ikke være en slut-tilstand"
        )

    can_finish = {s.id for s in finals}
    changed = True
    while changed:
        changed = False
        for state_id, targets in successors.items():
            if state_id not in can_finish and targets & can_finish:
                can_finish.add(state_id)
                changed = True

    for state in drejebog.states.values():
        no_way_out = not state.final and not (successors.get(state.id, set()) - {state.id})
        if finals and not no_way_out and state.id not in can_finish:
            report(
                state.mark.line,
                state.mark.column,
                f"fra tilstanden '{state.id}' kan en sag aldrig nå en slut-tilstand",
            )
        if state.id not in reachable:
            report(
                state.mark.line,
                state.mark.column,
                f"tilstanden '{state.id}' kan ikke nås fra start-tilstanden '{drejebog.start}'",
            )
        if no_way_out:
            report(
                state.mark.line,
                state.mark.column,
                f"tilstanden '{state.id}' er ikke en slut-tilstand, men ingen hændelse fører "
                "videre fra den; tilføj en hændelse med 'fra' den eller marker den 'slut: true'",
            )
    return problems
