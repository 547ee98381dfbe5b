"""Reading the rules that are not a state's: the whole case's (`hele_sagen`), those an event
starts (`frister`/`opgaver` on an event), counting facts (`tæller`) and `mindst`.

The parser (engine/parser.py) calls these with itself, so every problem is reported at its
file:line:column like any other; the rules are the model's own kinds (engine/model.py), held
in an area (a `State` that is never entered). What they mean at run time is in
engine/runtime.py; the guide (workflows/README.md, 2.19-2.21) says it for the projektleder.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, NamedTuple

from drejebog.engine.fields import suggestion
from drejebog.engine.model import (
    ANCHOR_ENTRY,
    BY_EVENTS,
    WHOLE_CASE,
    AtLeast,
    Deadline,
    Event,
    FactType,
    Recurring,
    State,
    Task,
    rule_area,
)
from drejebog.engine.yamlnodes import MapNode, Mark, Node, ScalarNode, SeqNode

if TYPE_CHECKING:
    from drejebog.engine.parser import DrejebogParser

_RULE_KEYS = (
    "navn",
    "titel",
    "frist",
    "regnes_fra",
    "helligdag",
    "klokken",
    "opfyldes_af",
    "påmindelser",
    "eskalering",
    "hvis",
)
EVENT_DEADLINE_KEYS = (*_RULE_KEYS, "ejer", "ophører_ved")
EVENT_TASK_KEYS = (
    *_RULE_KEYS,
    "rolle",
    "valgfri",
    "skabelon",
    "emne",
    "tekst",
    "ophører_ved",
)
WHOLE_CASE_KEYS = ("frister", "opgaver", "tilbagevendende", "mindst")
AT_LEAST_KEYS = (
    "navn",
    "titel",
    "faktum",
    "antal",
    "inden",
    "til",
    "klokken",
    "hvis",
    "skabelon",
    "emne",
    "tekst",
)
AT_LEAST_REQUIRED = ("navn", "faktum", "antal", "inden", "til")
UNTIL_CASE_ENDS = "sagens_slut"
UNTIL_STATE_CHANGES = "tilstandsskift"
ENDS = (UNTIL_CASE_ENDS, UNTIL_STATE_CHANGES)
"""`ophører_ved` of a rule an event starts: the case's end (the default) or leaving the state
the case was in when it started. An event in `opfyldes_af` ends it in either case."""


class Started(NamedTuple):
    """The deadlines and tasks one event starts."""

    deadlines: tuple[Deadline, ...]
    tasks: tuple[Task, ...]


def resolve_counters(parser: DrejebogParser) -> None:
    """`tæller` on a fact, read once the events are known: the events it counts. A counting
    fact is a number (`type: tal`) that starts at 0 and is only changed by those events."""
    for fact_id, (node, fact_type) in parser.counter_nodes.items():
        if fact_type is not FactType.NUMBER:
            parser.problem(
                node.mark,
                f"'tæller' bruges kun med type: tal (faktummet '{fact_id}' er {fact_type.value})",
            )
        events = parser.event_refs(node, "'tæller'")  # says so if it is no list
        empty = isinstance(node, SeqNode) and not node.items
        if empty or (isinstance(node, ScalarNode) and node.value is None):
            parser.problem(node.mark, "'tæller' skal nævne mindst én hændelse")
        parser.counting[fact_id] = tuple(dict.fromkeys(event for event, _ in events))


def refuse_counter(parser: DrejebogParser, fact: str, mark: Mark, what: str) -> bool:
    """A counting fact named in `data`, `valgfri_data` or `sæt`: a problem (True)."""
    if fact not in parser.counter_nodes:
        return False
    parser.problem(
        mark,
        f"faktummet '{fact}' tæller hændelser ('tæller') og kan ikke sættes med {what}; "
        "det tælles op af hændelserne selv",
    )
    return True


def _anchored_at_start(parser: DrejebogParser, item: Node) -> None:
    """A rule of the whole case counts from the case's start: a date fact as its
    `regnes_fra` may not have a value when the case opens."""
    if not isinstance(item, MapNode) or "regnes_fra" not in item.items:
        return
    mark, value = item.items["regnes_fra"]
    text = parser.text(value, "'regnes_fra'")
    if text is not None and text != ANCHOR_ENTRY:
        parser.problem(
            mark,
            f"en regel under 'hele_sagen' regnes fra sagens start ('{ANCHOR_ENTRY}'), ikke "
            f"fra '{text}'; læg reglen i en tilstand eller på den hændelse, der giver datoen",
        )


def whole_case_rules(parser: DrejebogParser, node: Node | None) -> State:
    """`hele_sagen`: deadlines, tasks, recurring duties and `mindst` rules that start when
    the case opens and run until it reaches a final state."""
    area = rule_area(WHOLE_CASE)
    body = parser.mapping(node, "'hele_sagen'")
    if body is None:
        return area
    parser.keys(body, "'hele_sagen'", WHOLE_CASE_KEYS)
    get = body.value
    deadlines: list[Deadline] = []
    for item in parser.sequence(get("frister"), "'frister'"):
        _anchored_at_start(parser, item)
        deadline = parser.area_deadline(item, by_event=False)
        deadlines.extend([deadline] if deadline is not None else [])
    tasks: list[Task] = []
    for item in parser.sequence(get("opgaver"), "'opgaver'"):
        _anchored_at_start(parser, item)
        task = parser.area_task(item, by_event=False)
        tasks.extend([task] if task is not None else [])
    recurring: list[Recurring] = []
    for item in parser.sequence(get("tilbagevendende"), "'tilbagevendende'"):
        _anchored_at_start(parser, item)
        duty = parser.area_recurring(item)
        recurring.extend([duty] if duty is not None else [])
    return replace(
        area,
        title="Hele sagen",
        deadlines=tuple(deadlines),
        tasks=tuple(tasks),
        recurring=tuple(recurring),
        minimums=at_least_rules(parser, get("mindst")),
        mark=body.mark,
    )


def event_rules(parser: DrejebogParser, event_id: str, body: MapNode) -> Started:
    """`frister` and `opgaver` on an event: started when the event happens (counted from
    the event's date unless `regnes_fra` names a date fact)."""
    get = body.value
    deadlines: list[Deadline] = []
    for item in parser.sequence(get("frister"), "'frister'"):
        deadline = parser.area_deadline(item, by_event=True)
        if deadline is not None:
            deadlines.append(deadline)
            _ends(parser, item, deadline.name)
    tasks: list[Task] = []
    for item in parser.sequence(get("opgaver"), "'opgaver'"):
        task = parser.area_task(item, by_event=True)
        if task is not None:
            tasks.append(task)
            _ends(parser, item, task.name)
    return Started(tuple(deadlines), tuple(tasks))


def _ends(parser: DrejebogParser, item: Node, name: str) -> None:
    """`ophører_ved`: sagens_slut (the default) or tilstandsskift."""
    if not isinstance(item, MapNode) or "ophører_ved" not in item.items:
        return
    value_node = item.value("ophører_ved")
    value = parser.text(value_node, "'ophører_ved'")
    if value is None or value_node is None:
        return
    if value not in ENDS:
        parser.problem(
            value_node.mark,
            f"'ophører_ved' skal være {' eller '.join(ENDS)}, ikke '{value}'"
            f"{suggestion(value, ENDS)}",
        )
    elif value == UNTIL_STATE_CHANGES:
        parser.state_bound.add(name)


def events_area(events: dict[str, Event]) -> State:
    """Every event's deadlines and tasks in one area (their names are unique in the
    drejebog, so a rule is found by its name whichever event started it)."""
    return replace(
        rule_area(BY_EVENTS),
        deadlines=tuple(d for event in events.values() for d in event.deadlines),
        tasks=tuple(t for event in events.values() for t in event.tasks),
    )


def at_least_rules(parser: DrejebogParser, node: Node | None) -> tuple[AtLeast, ...]:
    """`mindst`: at least `antal` of a counting fact's events `inden` a period, else `til`
    are told."""
    rules: list[AtLeast] = []
    for item in parser.sequence(node, "'mindst'"):
        body = parser.mapping(item, "en regel i 'mindst'")
        if body is None:
            continue
        parser.keys(body, "reglen i 'mindst'", AT_LEAST_KEYS, AT_LEAST_REQUIRED)
        get = body.value
        name = parser.rule_name(get("navn"), body)
        fact = parser.fact_ref(get("faktum"), "'faktum'")
        fact_node = get("faktum")
        if fact is not None and fact_node is not None and fact not in parser.counter_nodes:
            parser.problem(
                fact_node.mark,
                f"'mindst' skal tælle et faktum med 'tæller', men faktummet '{fact}' tæller "
                "ingen hændelser; giv det 'tæller: [hændelse, ...]' under 'fakta'",
            )
            fact = None
        count = parser._count(get("antal"))
        period = parser.duration(get("inden"), "'inden'")
        roles = parser.role_list(get("til"), "'til'")
        message = parser.message(body)
        condition = parser.expression(get("hvis"), "'hvis'")
        time_of_day = parser.time_of_day(get("klokken")) or parser.default_time
        if fact is None or count is None or period is None:
            continue
        rules.append(
            AtLeast(
                name=name,
                title=parser.text(get("titel"), "'titel'") or name,
                fact=fact,
                count=count,
                period=period,
                roles=roles,
                message=message,
                time_of_day=time_of_day,
                mark=body.mark,
                condition=condition,
            )
        )
    return tuple(rules)
