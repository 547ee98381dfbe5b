"""From a located YAML tree to a `Drejebog`, reporting every problem with its position.

Names are collected first (roles, facts, templates, states, events), so every reference can
be checked where it is written. Graph checks (reachability, a way out) live in `validator`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time
from itertools import pairwise
from typing import NamedTuple

from drejebog.engine.casewide import (
    EVENT_DEADLINE_KEYS,
    EVENT_TASK_KEYS,
    at_least_rules,
    event_rules,
    events_area,
    refuse_counter,
    resolve_counters,
    whole_case_rules,
)
from drejebog.engine.durations import Adjust, Duration, Unit
from drejebog.engine.expressions import (
    EVENT_DATE_NAME,
    ExpressionSyntaxError,
    check_budgets,
    check_duration_literals,
    compared_values,
    referenced_names,
)
from drejebog.engine.fields import FieldReader, suggestion
from drejebog.engine.model import (
    ANCHOR_ENTRY,
    BUILTIN_ROLES,
    CITIZEN_ROLE,
    DEFAULT_RETENTION,
    Branch,
    Deadline,
    Drejebog,
    DueDates,
    EscalationStep,
    Event,
    Expression,
    Fact,
    FactType,
    InARow,
    Message,
    MissingNotice,
    Recurring,
    Reminder,
    State,
    Task,
    Template,
)
from drejebog.engine.targets import parse_targets
from drejebog.engine.templates import check_template
from drejebog.engine.yamlnodes import MapNode, Mark, Node, ScalarNode, SeqNode

TOP_KEYS = (
    "drejebog",
    "hele_sagen",
    "titel",
    "version",
    "beskrivelse",
    "klokken",
    "lukkedage",
    "roller",
    "fakta",
    "skabeloner",
    "start",
    "tilstande",
    "hændelser",
    "opbevaring",
    "måltal",
)
STATE_KEYS = ("titel", "beskrivelse", "slut", "frister", "opgaver", "tilbagevendende", "mindst")
DEADLINE_KEYS = (
    "navn",
    "titel",
    "frist",
    "regnes_fra",
    "ejer",
    "helligdag",
    "klokken",
    "opfyldes_af",
    "påmindelser",
    "eskalering",
    "hvis",
)
TASK_KEYS = (
    "navn",
    "titel",
    "rolle",
    "frist",
    "regnes_fra",
    "helligdag",
    "klokken",
    "opfyldes_af",
    "påmindelser",
    "eskalering",
    "valgfri",
    "hvis",
    "skabelon",
    "emne",
    "tekst",
)
RECURRING_KEYS = (
    "navn",
    "titel",
    "hver",
    "regnes_fra",
    "ejer",
    "opfyldes_af",
    "henstand",
    "helligdag",
    "klokken",
    "påmindelser",
    "mangler",
    "eskalering",
    "hvis",
    "fristdage",
    "lovbestemt",
    "løser_mangel",
    "mangler_i_træk",
)
IN_A_ROW_KEYS = ("antal", "til", "skabelon", "emne", "tekst", "sæt", "opgave")
IN_A_ROW_TASK_KEYS = (
    "navn",
    "titel",
    "rolle",
    "opfyldes_af",
    "valgfri",
    "skabelon",
    "emne",
    "tekst",
)
REMINDER_KEYS = ("før", "til", "helligdag", "klokken", "hvis", "skabelon", "emne", "tekst")
ESCALATION_KEYS = ("efter", "til", "helligdag", "hvis", "skabelon", "emne", "tekst")
MISSING_KEYS = ("til", "skabelon", "emne", "tekst")
EVENT_KEYS = (
    "titel",
    "frister",
    "opgaver",
    "fra",
    "til",
    "betingelse",
    "data",
    "valgfri_data",
    "sæt",
    "ryd",
    "milepæl",
)
BRANCH_KEYS = ("tilstand", "hvis")
FACT_KEYS = ("titel", "type", "tæller", "værdier", "tidligst", "senest")
ROLE_KEYS = ("titel",)
TEMPLATE_KEYS = ("emne", "tekst")


class _OffsetList(NamedTuple):
    """How a list of offsets from a due date is read: its key, what an item is called in a
    problem (as a noun, then definite), the keys an item may have, the offset's key, and
    which way a closing day moves the date unless the item says."""

    key: str
    item: str
    known_as: str
    allowed: tuple[str, ...]
    offset: str
    adjust: Adjust


_REMINDERS = _OffsetList(
    "påmindelser", "en påmindelse", "påmindelsen", REMINDER_KEYS, "før", Adjust.BACKWARD
)
_ESCALATION = _OffsetList(
    "eskalering",
    "et eskaleringstrin",
    "eskaleringstrinnet",
    ESCALATION_KEYS,
    "efter",
    Adjust.FORWARD,
)


class _OwnedRule(NamedTuple):
    """How a rule with one role is read (a deadline or a task): what it is called in a
    problem (as a noun, then definite), the keys it may and must have, its role's key."""

    noun: str
    known_as: str
    allowed: tuple[str, ...]
    required: tuple[str, ...]
    role_key: str


_DEADLINE = _OwnedRule("en frist", "fristen", DEADLINE_KEYS, ("navn", "frist", "ejer"), "ejer")
_TASK = _OwnedRule("en opgave", "opgaven", TASK_KEYS, ("navn", "titel", "rolle"), "rolle")
_IN_A_ROW_TASK = _OwnedRule(
    "'opgave' i 'mangler_i_træk'",
    "opgaven i 'mangler_i_træk'",
    IN_A_ROW_TASK_KEYS,
    ("navn", "titel", "rolle"),
    "rolle",
)
_EVENT_DEADLINE = _DEADLINE._replace(allowed=EVENT_DEADLINE_KEYS)
_EVENT_TASK = _TASK._replace(allowed=EVENT_TASK_KEYS)
# what an item of such a list holds: offset, roles, adjust, message, mark
_Offset = tuple[Duration, tuple[str, ...], Adjust, Message, Mark, Expression | None]

DEFAULT_TIME = time(8, 0)
_APPROX_DAYS = {
    Unit.DAYS: 1.0,
    Unit.WORKING_DAYS: 1.4,
    Unit.WEEKS: 7.0,
    Unit.MONTHS: 30.0,
    Unit.WEEK_ENDS: 7.0,
}


def approx_days(duration: Duration) -> float:
    return duration.amount * _APPROX_DAYS[duration.unit]


class DrejebogParser(FieldReader):
    def __init__(self, filename: str) -> None:
        super().__init__(filename)
        self.roles: dict[str, str] = dict(BUILTIN_ROLES)
        self.facts: dict[str, Fact] = {}
        self.templates: dict[str, Template] = {}
        self.state_ids: set[str] = set()
        self.event_ids: set[str] = set()
        self.rule_marks: dict[str, Mark] = {}
        self.default_time = DEFAULT_TIME
        # (state id, event id, position) for every `opfyldes_af`, checked once events are known
        self.met_by_refs: list[tuple[str, str, Mark]] = []
        # `tæller` of each counting fact (its list, and the fact's type), resolved once the
        # events are known (engine/casewide.py)
        self.counter_nodes: dict[str, tuple[Node, FactType]] = {}
        self.counting: dict[str, tuple[str, ...]] = {}  # counting fact -> events it counts
        # the rules events start that end when the case leaves its state (`ophører_ved`)
        self.state_bound: set[str] = set()

    # -- top level -------------------------------------------------------------------------

    def parse(self, root: Node) -> Drejebog | None:
        top = self.mapping(root, "drejebogen")
        if top is None:
            return None
        if "sager" in top.items and "tilstande" not in top.items:
            self.problem(
                top.mark,
                "dette er en scenariefil (den har 'sager'), ikke en drejebog: kør den med "
                "'drejebog simulate FIL'",
            )
            return None
        self.keys(top, "drejebogen", TOP_KEYS, ("drejebog", "titel", "start", "tilstande"))
        get = top.value
        ident = self.identifier(get("drejebog"), "'drejebog'") or ""
        title = self.text(get("titel"), "'titel'") or ident
        version_node = get("version")
        version = str(version_node.raw) if isinstance(version_node, ScalarNode) else "1"
        description = self.text(get("beskrivelse"), "'beskrivelse'") or ""
        self.default_time = self.time_of_day(get("klokken")) or DEFAULT_TIME
        closing = self._closing_days(get("lukkedage"))
        retention = self.fact_span(get("opbevaring"), "'opbevaring'", "efter")
        self._roles(get("roller"))
        self._facts(get("fakta"))
        self._templates(get("skabeloner"))

        states_node = self.mapping(get("tilstande"), "'tilstande'")
        events_node = self.mapping(get("hændelser"), "'hændelser'")
        if events_node is None and "hændelser" not in top.items:
            self.problem(top.mark, "drejebogen mangler 'hændelser'")
        self.state_ids = self._ids(states_node, "tilstanden")
        self.event_ids = self._ids(events_node, "hændelsen")
        resolve_counters(self)

        start_node = get("start")
        start = self.identifier(start_node, "'start'") or ""
        if start and start_node and start not in self.state_ids:
            self.problem(
                start_node.mark,
                f"start-tilstanden '{start}' findes ikke i 'tilstande'"
                f"{suggestion(start, self.state_ids)}",
            )

        states = self._states(states_node)
        whole_case = whole_case_rules(self, get("hele_sagen"))
        events = self._events(events_node, states)
        self._check_met_by(events)
        targets = parse_targets(self, get("måltal"))
        drejebog = Drejebog(
            id=ident,
            title=title,
            version=version,
            description=description,
            time_of_day=self.default_time,
            closing_days=closing,
            roles=self.roles,
            facts=self.facts,
            templates=self.templates,
            start=start,
            states=states,
            events=events,
            retention=retention or DEFAULT_RETENTION,
            targets=targets,
            whole_case=whole_case,
            by_events=events_area(events),
            state_bound=frozenset(self.state_bound),
            counting=self.counting,
        )
        for state in (*states.values(), drejebog.whole_case, drejebog.by_events):
            for rule in state.rules:
                drejebog.rules[rule.name] = (state, rule)
        return drejebog

    def _ids(self, node: MapNode | None, what: str) -> set[str]:
        ids: set[str] = set()
        if node is None:
            return ids
        for key, (mark, _value) in node.items.items():
            self.identifier(ScalarNode(mark, key, key), what)
            ids.add(key)
        return ids

    def _closing_days(self, node: Node | None) -> tuple[date, ...]:
        days = [self.date_value(item, "'lukkedage'") for item in self.sequence(node, "'lukkedage'")]
        return tuple(sorted(d for d in days if d is not None))

    def _roles(self, node: Node | None) -> None:
        roles = self.mapping(node, "'roller'")
        if roles is None:
            return
        for role_id, (mark, value) in roles.items.items():
            self.identifier(ScalarNode(mark, role_id, role_id), "rollen")
            if role_id in BUILTIN_ROLES:
                self.problem(mark, f"rollen '{role_id}' er indbygget og skal ikke erklæres")
            body = self.mapping(value, f"rollen '{role_id}'")
            title = role_id
            if body is not None:
                self.keys(body, f"rollen '{role_id}'", ROLE_KEYS)
                title = self.text(body.value("titel"), "'titel'") or role_id
            self.roles[role_id] = title

    def _facts(self, node: Node | None) -> None:
        facts = self.mapping(node, "'fakta'")
        if facts is None:
            return
        choices = [t.value for t in FactType]
        for fact_id, (mark, value) in facts.items.items():
            self.identifier(ScalarNode(mark, fact_id, fact_id), "faktummet")
            body = self.mapping(value, f"faktummet '{fact_id}'")
            if body is None:
                continue
            self.keys(body, f"faktummet '{fact_id}'", FACT_KEYS, ("type",))
            get = body.value
            type_text = self.text(get("type"), "'type'")
            fact_type = FactType.TEXT
            if type_text is not None and type_text not in choices:
                type_node = get("type")
                assert type_node is not None
                self.problem(
                    type_node.mark,
                    f"ukendt type '{type_text}' for faktummet '{fact_id}'"
                    f"{suggestion(type_text, choices)}; brug {', '.join(choices)}",
                )
            elif type_text is not None:
                fact_type = FactType(type_text)
            values = tuple(
                v
                for v in (
                    self.text(i, "'værdier'") for i in self.sequence(get("værdier"), "'værdier'")
                )
                if v is not None
            )
            if fact_type is FactType.CHOICE and not values:
                self.problem(
                    body.mark, f"faktummet '{fact_id}' er et valg, men har ingen 'værdier'"
                )
            if fact_type is not FactType.CHOICE and "værdier" in body.items:
                self.problem(body.items["værdier"][0], "'værdier' bruges kun med type: valg")
            if "tæller" in body.items:
                self.counter_nodes[fact_id] = (body.items["tæller"][1], fact_type)
            title = self.text(get("titel"), "'titel'") or fact_id
            self.facts[fact_id] = Fact(
                fact_id, title, fact_type, values, mark, **self._range(body, fact_type)
            )

    def _range(self, body: MapNode, fact_type: FactType) -> dict[str, Duration]:
        """A date fact's plausible range (`tidligst`, `senest`); the model's default else."""
        spans: dict[str, Duration] = {}
        for key, field_name, direction in (
            ("tidligst", "earliest", "før"),
            ("senest", "latest", "efter"),
        ):
            if key not in body.items:
                continue
            if fact_type not in (FactType.DATE, FactType.APPOINTMENT):
                self.problem(
                    body.items[key][0], f"'{key}' bruges kun med type: dato eller tidspunkt"
                )
                continue
            span = self.fact_span(body.value(key), f"'{key}'", direction)
            if span is not None:
                spans[field_name] = span
        return spans

    def _templates(self, node: Node | None) -> None:
        templates = self.mapping(node, "'skabeloner'")
        if templates is None:
            return
        for template_id, (mark, value) in templates.items.items():
            self.identifier(ScalarNode(mark, template_id, template_id), "skabelonen")
            body = self.mapping(value, f"skabelonen '{template_id}'")
            if body is None:
                continue
            self.keys(body, f"skabelonen '{template_id}'", TEMPLATE_KEYS, TEMPLATE_KEYS)
            get = body.value
            subject = self._template_text(get("emne"), "'emne'") or ""
            text = self._template_text(get("tekst"), "'tekst'") or ""
            self.templates[template_id] = Template(template_id, subject, text, mark)

    def _template_text(self, node: Node | None, what: str) -> str | None:
        source = self.text(node, what)
        if source is not None and node is not None:
            for message in check_template(source, self.facts):
                self.problem(node.mark, f"{what}: {message}")
        return source

    # -- references ------------------------------------------------------------------------

    def role_list(self, node: Node | None, what: str) -> tuple[str, ...]:
        roles: list[str] = []
        for item in self.items(node, what):
            role = self.text(item, what)
            if role is None:
                continue
            if role not in self.roles:
                self.problem(
                    item.mark,
                    f"ukendt rolle '{role}'{suggestion(role, self.roles)}; "
                    "erklær den under 'roller' eller brug en indbygget rolle",
                )
                continue
            roles.append(role)
        return tuple(roles)

    def single_role(self, body: MapNode, key: str) -> str:
        """The one role under `key` ('' when there is none); naming several is a problem."""
        roles = self.role_list(body.value(key), f"'{key}'")
        if len(roles) > 1:
            self.problem(body.mark, f"'{key}' skal være én rolle")
        return roles[0] if roles else ""

    def state_ref(self, node: Node | None, what: str) -> str | None:
        state = self.text(node, what)
        if state is None or node is None:
            return None
        if state not in self.state_ids:
            self.problem(node.mark, f"ukendt tilstand '{state}'{suggestion(state, self.state_ids)}")
            return None
        return state

    def event_refs(self, node: Node | None, what: str) -> list[tuple[str, Mark]]:
        refs: list[tuple[str, Mark]] = []
        for item in self.items(node, what):
            event = self.text(item, what)
            if event is None:
                continue
            if event not in self.event_ids:
                self.problem(
                    item.mark, f"ukendt hændelse '{event}'{suggestion(event, self.event_ids)}"
                )
                continue
            refs.append((event, item.mark))
        return refs

    def fact_ref(self, node: Node | None, what: str) -> str | None:
        fact = self.text(node, what)
        if fact is None or node is None:
            return None
        if fact not in self.facts:
            self.problem(
                node.mark,
                f"ukendt faktum '{fact}'{suggestion(fact, self.facts)}; erklær det under 'fakta'",
            )
            return None
        return fact

    def expression(self, node: Node | None, what: str) -> Expression | None:
        source = self.text(node, what)
        if source is None or node is None:
            return None
        try:
            names = referenced_names(source)
            problems = check_duration_literals(source) + check_budgets(source)
        except ExpressionSyntaxError as exc:
            self.problem(node.mark, f"{what}: {exc}")
            return None
        for message in problems:
            self.problem(node.mark, f"{what}: {message}")
        known = set(self.facts) | {EVENT_DATE_NAME}
        for name in sorted(names - known):
            self.problem(
                node.mark,
                f"{what} bruger '{name}', som ikke er et faktum{suggestion(name, known)}; "
                "erklær det under 'fakta'",
            )
        self._check_compared_values(node, what, source)
        return Expression(source, node.mark)

    def _check_compared_values(self, node: Node, what: str, source: str) -> None:
        """A choice fact compared with a text that is none of its `værdier` is always false
        (or always true with !=): a typo that would otherwise pass silently."""
        for name, value in compared_values(source):
            fact = self.facts.get(name)
            if fact is None or fact.type is not FactType.CHOICE or value in fact.values:
                continue
            self.problem(
                node.mark,
                f"{what} sammenligner '{name}' med '{value}', som ikke er en af dens værdier"
                f"{suggestion(value, fact.values)}; værdierne er: {', '.join(fact.values)}",
            )

    def message(self, body: MapNode) -> Message:
        get = body.value
        template_node = get("skabelon")
        template = self.text(template_node, "'skabelon'")
        if template is not None and template_node is not None and template not in self.templates:
            self.problem(
                template_node.mark,
                f"ukendt skabelon '{template}'{suggestion(template, self.templates)}",
            )
            template = None
        subject = self._template_text(get("emne"), "'emne'")
        text = self._template_text(get("tekst"), "'tekst'")
        if template is not None and (subject is not None or text is not None):
            self.problem(body.mark, "brug enten 'skabelon' eller 'emne'/'tekst', ikke begge")
        if (subject is None) != (text is None):
            self.problem(body.mark, "'emne' og 'tekst' skal angives sammen")
        return Message(template, subject, text, body.mark)

    def rule_name(self, node: Node | None, parent: MapNode) -> str:
        name = self.identifier(node, "'navn'")
        if name is None:
            return f"_linje_{parent.mark.line}"
        if name in self.rule_marks and node is not None:
            self.problem(
                node.mark,
                f"navnet '{name}' er brugt to gange (første gang i linje "
                f"{self.rule_marks[name].line}); frister, opgaver og tilbagevendende skal have "
                "forskellige navne",
            )
        elif node is not None:
            self.rule_marks[name] = node.mark
        return name

    def anchor(self, node: Node | None) -> str:
        if node is None:
            return ANCHOR_ENTRY
        value = self.text(node, "'regnes_fra'")
        if value is None or value == ANCHOR_ENTRY:
            return ANCHOR_ENTRY
        fact = self.facts.get(value)
        if fact is None:
            self.problem(
                node.mark,
                f"'regnes_fra' skal være '{ANCHOR_ENTRY}' eller et dato- eller tidspunkt-faktum, "
                f"ikke '{value}'"
                f"{suggestion(value, [ANCHOR_ENTRY, *self.facts])}",
            )
            return ANCHOR_ENTRY
        if fact.type not in (FactType.DATE, FactType.APPOINTMENT):
            self.problem(
                node.mark,
                f"'regnes_fra': faktummet '{value}' er ikke af type dato eller tidspunkt",
            )
            return ANCHOR_ENTRY
        return value

    # -- rules outside a state (engine/casewide.py) ----------------------------------------

    def area_deadline(self, node: Node, by_event: bool) -> Deadline | None:
        """A deadline of the whole case, or one an event starts (`ophører_ved` allowed)."""
        return self._deadline("", node, _EVENT_DEADLINE if by_event else _DEADLINE)

    def area_task(self, node: Node, by_event: bool) -> Task | None:
        """A task of the whole case, or one an event starts (`ophører_ved` allowed)."""
        return self._task("", node, _EVENT_TASK if by_event else _TASK)

    def area_recurring(self, node: Node) -> Recurring | None:
        """A recurring duty of the whole case."""
        return self._recurring("", node)

    # -- states ----------------------------------------------------------------------------

    def _states(self, node: MapNode | None) -> dict[str, State]:
        states: dict[str, State] = {}
        if node is None:
            return states
        for state_id, (mark, value) in node.items.items():
            body = self.mapping(value, f"tilstanden '{state_id}'")
            if body is None:
                continue
            what = f"tilstanden '{state_id}'"
            self.keys(body, what, STATE_KEYS, ("titel",))
            get = body.value
            final = bool(self.boolean(get("slut"), "'slut'"))
            deadlines = tuple(
                d
                for d in (
                    self._deadline(state_id, item)
                    for item in self.sequence(get("frister"), "'frister'")
                )
                if d is not None
            )
            tasks = tuple(
                t
                for t in (
                    self._task(state_id, item)
                    for item in self.sequence(get("opgaver"), "'opgaver'")
                )
                if t is not None
            )
            recurring = tuple(
                r
                for r in (
                    self._recurring(state_id, item)
                    for item in self.sequence(get("tilbagevendende"), "'tilbagevendende'")
                )
                if r is not None
            )
            minimums = at_least_rules(self, get("mindst"))
            if final and (deadlines or tasks or recurring or minimums):
                self.problem(
                    mark,
                    f"slut-tilstanden '{state_id}' kan ikke have frister, opgaver eller "
                    "tilbagevendende pligter",
                )
            states[state_id] = State(
                id=state_id,
                title=self.text(get("titel"), "'titel'") or state_id,
                description=self.text(get("beskrivelse"), "'beskrivelse'") or "",
                final=final,
                deadlines=deadlines,
                tasks=tasks,
                recurring=recurring,
                mark=mark,
                minimums=minimums,
            )
        return states

    def _deadline_parts(
        self, state_id: str, body: MapNode, owner: str, name: str, title: str
    ) -> Deadline | None:
        """The deadline fields shared by `frister` and `opgaver` (None without a `frist`)."""
        get = body.value
        duration = self.duration(get("frist"), "'frist'")
        met_by = self.event_refs(get("opfyldes_af"), "'opfyldes_af'")
        self.met_by_refs.extend((state_id, event, mark) for event, mark in met_by)
        anchor = self.anchor(get("regnes_fra"))
        reminders = self._reminders(get("påmindelser"))
        escalation = self._escalation(get("eskalering"))
        if duration is None:
            for key in ("påmindelser", "eskalering", "regnes_fra", "helligdag"):
                if key in body.items and "frist" not in body.items:
                    self.problem(body.items[key][0], f"'{key}' kræver en 'frist'")
            return None
        for reminder in reminders:
            if (
                approx_days(reminder.before) >= max(approx_days(duration), 1)
                and anchor == ANCHOR_ENTRY
            ):
                self.problem(
                    reminder.mark,
                    f"påmindelsen {reminder.before} før ligger før fristen på {duration} begynder",
                )
        default_adjust = Adjust.FORWARD if owner == CITIZEN_ROLE else Adjust.BACKWARD
        return Deadline(
            name=name,
            title=title,
            duration=duration,
            anchor=anchor,
            owner=owner,
            adjust=self.adjust(get("helligdag")) or default_adjust,
            time_of_day=self.time_of_day(get("klokken")) or self.default_time,
            met_by=tuple(event for event, _ in met_by),
            reminders=reminders,
            escalation=escalation,
            mark=body.mark,
            anchor_mark=self._mark_of(get("regnes_fra")),
        )

    @staticmethod
    def _mark_of(node: Node | None) -> Mark | None:
        return node.mark if node is not None else None

    def _owned_rule(self, node: Node, kind: _OwnedRule) -> tuple[MapNode, str, str, str] | None:
        """A deadline's or a task's mapping with its one role, name and title: (body, role,
        name, title); None when it is no mapping."""
        body = self.mapping(node, kind.noun)
        if body is None:
            return None
        self.keys(body, kind.known_as, kind.allowed, kind.required)
        name = self.rule_name(body.value("navn"), body)
        role = self.single_role(body, kind.role_key)
        return body, role, name, self.text(body.value("titel"), "'titel'") or name

    def _deadline(
        self, state_id: str, node: Node, kind: _OwnedRule = _DEADLINE
    ) -> Deadline | None:
        found = self._owned_rule(node, kind)
        if found is None:
            return None
        deadline = self._deadline_parts(state_id, *found)
        condition = self.expression(found[0].value("hvis"), "'hvis'")
        return None if deadline is None else replace(deadline, condition=condition)

    def _task(self, state_id: str, node: Node, kind: _OwnedRule = _TASK) -> Task | None:
        found = self._owned_rule(node, kind)
        if found is None:
            return None
        body, role, name, title = found
        get = body.value
        deadline = self._deadline_parts(state_id, body, role, name, title)
        met_by = (
            deadline.met_by
            if deadline
            else tuple(e for e, _ in self.event_refs(get("opfyldes_af"), "'opfyldes_af'"))
        )
        return Task(
            name=name,
            title=title,
            role=role,
            deadline=deadline,
            optional=bool(self.boolean(get("valgfri"), "'valgfri'")),
            condition=self.expression(get("hvis"), "'hvis'"),
            met_by=met_by,
            message=self.message(body),
            time_of_day=deadline.time_of_day if deadline else self.default_time,
            mark=body.mark,
        )

    def _recurring(self, state_id: str, node: Node) -> Recurring | None:
        body = self.mapping(node, "en tilbagevendende pligt")
        if body is None:
            return None
        what = "den tilbagevendende pligt"
        self.keys(body, what, RECURRING_KEYS, ("navn", "hver", "ejer", "opfyldes_af"))
        get = body.value
        name = self.rule_name(get("navn"), body)
        owners = self.role_list(get("ejer"), "'ejer'")
        owner = owners[0] if owners else ""
        period = self.duration(get("hver"), "'hver'")
        grace = self.duration(get("henstand"), "'henstand'") or Duration(0, Unit.DAYS)
        met_by = self.event_refs(get("opfyldes_af"), "'opfyldes_af'")
        self.met_by_refs.extend((state_id, event, mark) for event, mark in met_by)
        reminders = self._reminders(get("påmindelser"))
        missing = self._missing(get("mangler"))
        escalation = self._escalation(get("eskalering"))
        condition = self.expression(get("hvis"), "'hvis'")
        if period is None:
            return None
        if period.amount == 0:
            self.problem(body.mark, "'hver' skal være mindst 1")
            return None
        longest_reminder = max((approx_days(r.before) for r in reminders), default=0.0)
        if approx_days(grace) + longest_reminder >= approx_days(period):
            self.problem(
                body.mark,
                f"henstand ({grace}) og den tidligste påmindelse når ind i næste periode "
                f"({period}); gør dem kortere",
            )
        default_adjust = Adjust.FORWARD if owner == CITIZEN_ROLE else Adjust.BACKWARD
        resolved_by = self.event_refs(get("løser_mangel"), "'løser_mangel'")
        self.met_by_refs.extend((state_id, event, mark) for event, mark in resolved_by)
        for event, mark in resolved_by:
            if event in {e for e, _ in met_by}:
                self.problem(
                    mark,
                    f"hændelsen '{event}' står både i 'opfyldes_af' og 'løser_mangel'; en "
                    "hændelse er enten en tilbagemelding eller løser kun en mangel",
                )
        return Recurring(
            name=name,
            title=self.text(get("titel"), "'titel'") or name,
            period=period,
            anchor=self.anchor(get("regnes_fra")),
            anchor_mark=self._mark_of(get("regnes_fra")),
            owner=owner,
            met_by=tuple(event for event, _ in met_by),
            grace=grace,
            adjust=self.adjust(get("helligdag")) or default_adjust,
            time_of_day=self.time_of_day(get("klokken")) or self.default_time,
            reminders=reminders,
            missing=missing,
            escalation=escalation,
            mark=body.mark,
            condition=condition,
            due_dates=self._due_dates(body),
            resolved_by=tuple(event for event, _ in resolved_by),
            in_a_row=self._in_a_row(state_id, get("mangler_i_træk")),
        )

    def _due_dates(self, body: MapNode) -> DueDates:
        """`fristdage`: faste or fra_opfyldelse; without it, faste for a duty set by law
        (`lovbestemt: true`), otherwise fra_opfyldelse (the first edition's behaviour)."""
        by_law = bool(self.boolean(body.value("lovbestemt"), "'lovbestemt'"))
        default = DueDates.FIXED if by_law else DueDates.RESTART
        node = body.value("fristdage")
        value = self.text(node, "'fristdage'")
        if value is None or node is None:
            return default
        choices = [d.value for d in DueDates]
        if value not in choices:
            self.problem(
                node.mark,
                f"'fristdage' skal være {' eller '.join(choices)}, ikke '{value}'"
                f"{suggestion(value, choices)}",
            )
            return default
        return DueDates(value)

    def _in_a_row(self, state_id: str, node: Node | None) -> tuple[InARow, ...]:
        """`mangler_i_træk`: what happens after N missed occurrences in a row."""
        rungs: list[InARow] = []
        for item in self.sequence(node, "'mangler_i_træk'"):
            body = self.mapping(item, "et trin i 'mangler_i_træk'")
            if body is None:
                continue
            what = "trinnet i 'mangler_i_træk'"
            self.keys(body, what, IN_A_ROW_KEYS, ("antal",))
            get = body.value
            count = self._count(get("antal"))
            if not any(key in body.items for key in ("til", "sæt", "opgave")):
                self.problem(
                    body.mark, f"{what} gør ingenting: giv det 'til', 'sæt' eller 'opgave'"
                )
            message = self.message(body)
            if (message.subject is None) != (message.body is None):
                self.problem(body.mark, f"{what} skal have både 'emne' og 'tekst' (eller ingen)")
            task = self._in_a_row_task(state_id, get("opgave"))
            if count is None:
                continue
            if rungs and count <= rungs[-1].count:
                self.problem(
                    body.mark,
                    f"trinnene i 'mangler_i_træk' skal stå med stigende 'antal' "
                    f"({count} kommer efter {rungs[-1].count})",
                )
            roles = self.role_list(get("til"), "'til'")
            rungs.append(InARow(count, roles, message, self._sets(get("sæt")), task, body.mark))
        return tuple(rungs)

    def _count(self, node: Node | None) -> int | None:
        """`antal`: a whole number of occurrences, at least 1."""
        if node is None:
            return None
        value = node.value if isinstance(node, ScalarNode) else None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raw = node.raw if isinstance(node, ScalarNode) else "?"
            self.problem(node.mark, f"'antal' skal være et helt tal, mindst 1, ikke '{raw}'")
            return None
        return value

    def _in_a_row_task(self, state_id: str, node: Node | None) -> Task | None:
        """The task a `mangler_i_træk` rung creates: no deadline of its own."""
        if node is None:
            return None
        found = self._owned_rule(node, _IN_A_ROW_TASK)
        if found is None:
            return None
        body, role, name, title = found
        met_by = self.event_refs(body.value("opfyldes_af"), "'opfyldes_af'")
        self.met_by_refs.extend((state_id, event, mark) for event, mark in met_by)
        return Task(
            name=name,
            title=title,
            role=role,
            deadline=None,
            optional=bool(self.boolean(body.value("valgfri"), "'valgfri'")),
            condition=None,
            met_by=tuple(event for event, _ in met_by),
            message=self.message(body),
            time_of_day=self.default_time,
            mark=body.mark,
        )

    def _offsets(
        self, node: Node | None, kind: _OffsetList
    ) -> list[tuple[_Offset, time | None]]:
        """The items of a list of offsets from the due date: påmindelser or eskalering, each
        with its `klokken` (None when it has none: only a reminder may have one)."""
        offsets: list[tuple[_Offset, time | None]] = []
        for item in self.sequence(node, f"'{kind.key}'"):
            body = self.mapping(item, kind.item)
            if body is None:
                continue
            self.keys(body, kind.known_as, kind.allowed, (kind.offset, "til"))
            get = body.value
            offset = self.duration(get(kind.offset), f"'{kind.offset}'")
            roles = self.role_list(get("til"), "'til'")
            message = self.message(body)
            condition = self.expression(get("hvis"), "'hvis'")
            clock = self.time_of_day(get("klokken"))
            if offset is not None:
                adjust = self.adjust(get("helligdag")) or kind.adjust
                offsets.append(((offset, roles, adjust, message, body.mark, condition), clock))
        return offsets

    def _reminders(self, node: Node | None) -> tuple[Reminder, ...]:
        return tuple(
            Reminder(*parts, time_of_day=clock) for parts, clock in self._offsets(node, _REMINDERS)
        )

    def _escalation(self, node: Node | None) -> tuple[EscalationStep, ...]:
        steps = [EscalationStep(*parts) for parts, _ in self._offsets(node, _ESCALATION)]
        for earlier, later in pairwise(steps):
            if approx_days(later.after) < approx_days(earlier.after):
                self.problem(later.mark, "eskaleringstrinnene skal stå i tidsrækkefølge")
        return tuple(steps)

    def _missing(self, node: Node | None) -> MissingNotice | None:
        body = self.mapping(node, "'mangler'")
        if body is None:
            return None
        self.keys(body, "'mangler'", MISSING_KEYS, ("til",))
        roles = self.role_list(body.value("til"), "'til'")
        return MissingNotice(roles, self.message(body), body.mark)

    # -- events ----------------------------------------------------------------------------

    def _events(self, node: MapNode | None, states: dict[str, State]) -> dict[str, Event]:
        events: dict[str, Event] = {}
        if node is None:
            return events
        non_final = tuple(s.id for s in states.values() if not s.final)
        for event_id, (mark, value) in node.items.items():
            body = self.mapping(value, f"hændelsen '{event_id}'")
            if body is None:
                continue
            self.keys(body, f"hændelsen '{event_id}'", EVENT_KEYS)
            get = body.value
            sources: list[str] = []
            for item in self.items(get("fra"), "'fra'"):
                source = self.state_ref(item, "'fra'")
                if source is None:
                    continue
                if source in states and states[source].final:
                    self.problem(
                        item.mark, f"'{source}' er en slut-tilstand; ingen hændelse kan ske derfra"
                    )
                sources.append(source)
            branches = self._branches(get("til"))
            data = self._fact_list(get("data"), "'data'")
            optional_data = self._fact_list(get("valgfri_data"), "'valgfri_data'")
            started = event_rules(self, event_id, body)
            events[event_id] = Event(
                id=event_id,
                title=self.text(get("titel"), "'titel'") or event_id,
                sources=tuple(sources) if "fra" in body.items else non_final,
                branches=branches,
                condition=self.expression(get("betingelse"), "'betingelse'"),
                data=data,
                optional_data=optional_data,
                sets=self._sets(get("sæt")),
                milestone=bool(self.boolean(get("milepæl"), "'milepæl'")),
                mark=mark,
                clears=self._clears(get("ryd"), event_id, body),
                deadlines=started.deadlines,
                tasks=started.tasks,
            )
        return events

    def _clears(self, node: Node | None, event_id: str, body: MapNode) -> tuple[str, ...]:
        """`ryd`: the facts the event empties. A fact the same event also gives a value
        (`data`, `valgfri_data`, `sæt`) cannot be emptied by it: which would win?"""
        cleared = self._fact_list(node, "'ryd'")
        sets = body.value("sæt")
        given = {
            *self._names(body.value("data")),
            *self._names(body.value("valgfri_data")),
            *(sets.items if isinstance(sets, MapNode) else ()),
        }
        for fact in cleared:
            if fact in given:
                assert node is not None
                self.problem(
                    node.mark,
                    f"hændelsen '{event_id}' både sætter og rydder faktummet '{fact}'; "
                    "fjern det fra 'ryd' eller fra 'data'/'valgfri_data'/'sæt'",
                )
        return tuple(dict.fromkeys(cleared))

    @staticmethod
    def _names(node: Node | None) -> list[str]:
        """The plain names of a fact list, as written (unchecked: `_fact_list` checks them)."""
        if isinstance(node, SeqNode):
            return [str(i.value) for i in node.items if isinstance(i, ScalarNode)]
        if isinstance(node, ScalarNode) and node.value is not None:
            return [str(node.value)]
        return []

    def _branches(self, node: Node | None) -> tuple[Branch, ...]:
        if node is None:
            return ()
        if isinstance(node, ScalarNode):
            target = self.state_ref(node, "'til'")
            return (Branch(target, None, node.mark),) if target else ()
        branches: list[Branch] = []
        items = self.sequence(node, "'til'")
        for index, item in enumerate(items):
            body = self.mapping(item, "en gren i 'til'")
            if body is None:
                continue
            self.keys(body, "grenen", BRANCH_KEYS, ("tilstand",))
            get = body.value
            target = self.state_ref(get("tilstand"), "'tilstand'")
            condition = self.expression(get("hvis"), "'hvis'")
            if condition is None and index < len(items) - 1 and "hvis" not in body.items:
                self.problem(
                    body.mark, "en gren uden 'hvis' skal stå sidst; grenene efter den bruges aldrig"
                )
            if target is not None:
                branches.append(Branch(target, condition, body.mark))
        return tuple(branches)

    def _fact_list(self, node: Node | None, what: str) -> tuple[str, ...]:
        facts: list[str] = []
        for item in self.items(node, what):
            fact = self.fact_ref(item, what)
            if fact is not None and not refuse_counter(self, fact, item.mark, what):
                facts.append(fact)
        return tuple(facts)

    def _sets(self, node: Node | None) -> tuple[tuple[str, object], ...]:
        body = self.mapping(node, "'sæt'")
        if body is None:
            return ()
        result: list[tuple[str, object]] = []
        for fact_id, (mark, value) in body.items.items():
            fact = self.fact_ref(ScalarNode(mark, fact_id, fact_id), "'sæt'")
            if fact is None or refuse_counter(self, fact, mark, "'sæt'"):
                continue
            converted = self.fact_value(self.facts[fact], value)
            if converted is not _INVALID:
                result.append((fact, converted))
        return tuple(result)

    def fact_value(self, fact: Fact, node: Node) -> object:
        """A YAML value checked against the fact's type; _INVALID (reported) when it is not."""
        raw = node.value if isinstance(node, ScalarNode) else None
        if fact.type is FactType.DATE:
            day = self.date_value(node, f"faktummet '{fact.id}'")
            return day if day is not None else _INVALID
        if fact.type is FactType.APPOINTMENT:
            when = self.appointment(node, f"faktummet '{fact.id}'")
            return when if when is not None else _INVALID
        if fact.type is FactType.YES_NO:
            flag = self.boolean(node, f"faktummet '{fact.id}'")
            return flag if flag is not None else _INVALID
        if fact.type is FactType.NUMBER:
            if isinstance(raw, int | float) and not isinstance(raw, bool):
                return raw
            self.problem(node.mark, f"faktummet '{fact.id}' skal være et tal")
            return _INVALID
        text = self.text(node, f"faktummet '{fact.id}'")
        if text is None:
            return _INVALID
        if fact.type is FactType.CHOICE and text not in fact.values:
            self.problem(
                node.mark,
                f"'{text}' er ikke en af værdierne for '{fact.id}': {', '.join(fact.values)}"
                f"{suggestion(text, fact.values)}",
            )
            return _INVALID
        return text

    def _check_met_by(self, events: dict[str, Event]) -> None:
        for state_id, event_id, mark in self.met_by_refs:
            event = events.get(event_id)
            # '': a rule of the whole case or one an event starts (engine/casewide.py)
            if event is not None and state_id and state_id not in event.sources:
                self.problem(
                    mark,
                    f"hændelsen '{event_id}' kan ikke ske i tilstanden '{state_id}', så den kan "
                    "ikke opfylde denne regel; tilføj tilstanden til hændelsens 'fra'",
                )


_INVALID = object()
