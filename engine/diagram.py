"""The drejebog as a diagram, drawn by transitions' own diagram support (Mermaid or dot).

States carry their deadlines, tasks and recurring duties in the label; arrows carry the event
and its condition. Events that do not change state (check-ins, milestones) are listed on the
states they belong to instead of cluttering the picture with self-loops.
"""

from __future__ import annotations

from typing import Any

from transitions import State as TransitionsState
from transitions.extensions.diagrams import GraphMachine

from drejebog.engine.model import ANCHOR_ENTRY, AtLeast, Drejebog, State

FORMATS = ("mermaid", "dot")
_FINAL = "__slut__"


class _LabelledState(TransitionsState):
    def __init__(self, *args: Any, label: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.label = label


class _DiagramMachine(GraphMachine):
    state_cls = _LabelledState


class _Condition:
    """Shown on the arrow by its text; never called."""

    def __init__(self, source: str) -> None:
        self.__name__ = source

    def __call__(self, *_: object) -> bool:  # pragma: no cover - diagrams never fire
        return True


class _StartModel:
    pass


def _anchor_text(anchor: str) -> str:
    return "" if anchor == ANCHOR_ENTRY else f" fra {anchor}"


def state_lines(drejebog: Drejebog, state: State) -> list[str]:
    lines = [state.title]
    for deadline in state.deadlines:
        lines.append(
            f"frist {deadline.name}: {deadline.duration}{_anchor_text(deadline.anchor)} "
            f"({deadline.owner})"
        )
    for task in state.tasks:
        detail = f", {task.deadline.duration}" if task.deadline else ""
        flags = " valgfri" if task.optional else ""
        flags += " hvis …" if task.condition else ""
        lines.append(f"opgave {task.name} ({task.role}{detail}){flags}")
    for recurring in state.recurring:
        lines.append(
            f"hver {recurring.period}: {recurring.name} ({recurring.owner}"
            + (f", henstand {recurring.grace}" if recurring.grace.amount else "")
            + (", faste fristdage" if recurring.fixed else "")
            + "".join(f", {rung.count} i træk → …" for rung in recurring.in_a_row)
            + ")"
        )
    lines.extend(_minimum_text(rule) for rule in state.minimums)
    for event in drejebog.events.values():  # what an event from the state starts
        if event.starts and state.id in event.sources:
            started = [f"frist {d.name}: {d.duration}" for d in event.deadlines]
            started += [f"opgave {t.name} ({t.role})" for t in event.tasks]
            lines.append(f"{event.id} starter {', '.join(started)}")
    milestones = [
        e.id
        for e in drejebog.events.values()
        if e.milestone and not e.branches and state.id in e.sources
    ]
    if milestones and len(milestones) < len(drejebog.events):
        lines.append("milepæle: " + ", ".join(milestones))
    return lines


def _minimum_text(rule: AtLeast) -> str:
    return f"mindst {rule.count} {rule.fact} inden {rule.period} ({', '.join(rule.roles)})"


def whole_case_text(drejebog: Drejebog) -> str:
    """The rules of the whole case (`hele_sagen`) in one line for the diagram's title (no
    colon: the title stands in Mermaid's front matter)."""
    area = drejebog.whole_case
    parts = [f"frist {d.name} {d.duration}" for d in area.deadlines]
    parts += [f"opgave {t.name} ({t.role})" for t in area.tasks]
    parts += [f"{r.name} hver {r.period} ({r.owner})" for r in area.recurring]
    parts += [_minimum_text(m) for m in area.minimums]
    return f" · hele sagen – {'; '.join(parts)}" if parts else ""


def render(drejebog: Drejebog, fmt: str = "mermaid") -> str:
    if fmt not in FORMATS:
        raise ValueError(f"ukendt format '{fmt}'; vælg {' eller '.join(FORMATS)}")
    separator = "<br/>" if fmt == "mermaid" else "\\l"
    states = [
        _LabelledState(
            state.id,
            label=separator.join(line.replace('"', "'") for line in state_lines(drejebog, state)),
        )
        for state in drejebog.states.values()
    ]
    machine = _DiagramMachine(
        model=_StartModel(),
        states=states,
        initial=drejebog.start,
        auto_transitions=False,
        graph_engine="mermaid" if fmt == "mermaid" else "graphviz",
        show_conditions=True,
        title=f"{drejebog.title} (version {drejebog.version}){whole_case_text(drejebog)}",
    )
    for event in drejebog.events.values():
        for branch in event.branches:
            conditions: list[Any] = [
                _Condition(c.source.replace('"', "'"))
                for c in (event.condition, branch.condition)
                if c is not None
            ]
            machine.add_transition(
                event.id, list(event.sources), branch.target, conditions=conditions
            )
    finals = [s.id for s in drejebog.states.values() if s.final]
    graph = machine.get_graph()
    if fmt == "mermaid":
        text: str = graph.draw(None)
        return text.rstrip("\n") + "\n" + "".join(f"  {f} --> [*]\n" for f in finals)
    graph.node(
        _FINAL, label="", shape="doublecircle", width="0.2", style="filled", fillcolor="black"
    )
    for final in finals:
        graph.edge(final, _FINAL)
    source: str = graph.source
    return source
