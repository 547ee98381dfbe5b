"""Guards and conditions: jinja2 expressions in a sandbox. Never Python `eval`.

A projektleder writes `indstilling == 'ressourceforloeb'` or
`virksomhedsrettet_fra is none or virksomhedsrettet_fra < plus(rehab_moede, '8 måneder')`.
The expression sees the case's facts, `dato` (the local date of the event) and two helpers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from drejebog.engine.budget import BudgetedSandbox, budget_scope, constant_problems
from drejebog.engine.calendar import WorkingCalendar
from drejebog.engine.deadlines import add_duration
from drejebog.engine.durations import DurationError, parse_duration
from drejebog.engine.errors import DrejebogError

_CALENDAR = WorkingCalendar()


def plus(day: date | None, duration: str) -> date | None:
    """`plus(rehab_moede, '8 måneder')`: a date moved by a duration (none stays none)."""
    if day is None:
        return None
    return add_duration(day, parse_duration(duration), _CALENDAR)


def days_between(first: date | None, second: date | None) -> int | None:
    if first is None or second is None:
        return None
    return (_day(second) - _day(first)).days


def _day(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


def day_of(value: date | None) -> date | None:
    """`dag(naeste_jobsamtale)`: the date of a `tidspunkt` (a date stays itself), so it
    compares with `dato` and other dates."""
    return None if value is None else _day(value)


EXPRESSION_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "plus": plus,
    "dage_mellem": days_between,
    "dag": day_of,
}
EVENT_DATE_NAME = "dato"


@lru_cache(maxsize=1)
def sandbox() -> ImmutableSandboxedEnvironment:
    env = BudgetedSandbox(undefined=StrictUndefined, autoescape=False)
    env.globals.update(EXPRESSION_FUNCTIONS)
    return env


class ExpressionSyntaxError(DrejebogError, ValueError):
    """A guard or condition that does not parse; the message quotes it."""


def _shown(source: str) -> str:
    """The expression as a message quotes it: a hostile one may be a megabyte long."""
    return source if len(source) <= 80 else source[:80] + "…"


CACHED_UP_TO = 4_096
"""Expressions up to this many characters are parsed once per process (`_parse_cached`);
a longer one (hostile: a guard is a line) is parsed each time, so the cache stays small."""


def _parse(source: str) -> nodes.Template:
    """The parsed expression; `check` asks three questions of each guard (`referenced_names`,
    `check_duration_literals`, `check_budgets`) and a drejebog repeats its guards, so the
    parse and test compile are cached (measured: 3x fewer compiles). The tree is only read."""
    if len(source) <= CACHED_UP_TO:
        return _parse_cached(source)
    return _parse_uncached(source)


def _parse_uncached(source: str) -> nodes.Template:
    try:
        tree = sandbox().parse("{{ " + source + " }}")
        sandbox().compile_expression(source)  # rejects "a }} text {{ b" and the like
        return tree
    except TemplateSyntaxError as exc:
        detail = exc.message or ""
        if "got '='" in detail:
            detail = "brug '==' for at sammenligne ('=' alene er ikke en sammenligning)"
        elif "'end of print statement'" in detail or "unexpected '}'" in detail:
            detail = "udtrykket slutter, før det er færdigt"
        raise ExpressionSyntaxError(
            f"udtrykket '{_shown(source)}' kan ikke læses: {detail}"
        ) from exc


_parse_cached = lru_cache(maxsize=1024)(_parse_uncached)


def referenced_names(source: str) -> set[str]:
    """The variables an expression reads (raises ExpressionSyntaxError when it does not parse)."""
    return set(meta.find_undeclared_variables(_parse(source))) - set(EXPRESSION_FUNCTIONS)


def check_duration_literals(source: str) -> list[str]:
    """Problems with literal durations passed to `plus(...)`, found before any case runs."""
    problems: list[str] = []
    for call in _parse(source).find_all(nodes.Call):
        if isinstance(call.node, nodes.Name) and call.node.name == "plus" and len(call.args) == 2:
            literal = call.args[1]
            if isinstance(literal, nodes.Const) and isinstance(literal.value, str):
                try:
                    parse_duration(literal.value)
                except DurationError as exc:
                    problems.append(str(exc))
    return problems


def compared_values(source: str) -> list[tuple[str, str]]:
    """(fact, text) for each text constant a fact is compared with (`indstilling ==
    'fleksjob'`, `'fleksjob' != indstilling`, `indstilling in ['a', 'b']`), so `check` can
    tell a value that is not among a choice fact's `værdier` before any case runs."""
    found: list[tuple[str, str]] = []
    for compare in _parse(source).find_all(nodes.Compare):
        operands = [compare.expr, *(operand.expr for operand in compare.ops)]
        names = [o.name for o in operands if isinstance(o, nodes.Name)]
        for operand in operands:
            for constant in _text_constants(operand):
                found.extend((name, constant) for name in names)
    return found


def _text_constants(node: nodes.Node) -> list[str]:
    """The text constants of an operand. jinja2's code generator (run by
    `referenced_names`) folds a list of constants into one constant list in the cached tree."""
    if isinstance(node, nodes.Const) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, nodes.Const) and isinstance(node.value, list | tuple):
        return [item for item in node.value if isinstance(item, str)]
    if isinstance(node, nodes.List | nodes.Tuple):
        return [
            item.value
            for item in node.items
            if isinstance(item, nodes.Const) and isinstance(item.value, str)
        ]
    return []


def check_budgets(source: str) -> list[str]:
    """Constants in the expression that would go over budget (`'a' * 10**9`), found before
    any case runs and without computing them (engine/budget.py)."""
    return [
        f"udtrykket '{_shown(source)}' kan sprænge sit budget: {text}"
        for _, text in constant_problems(_parse(source))
    ]


class CompiledExpression:
    """A compiled guard; calling it with the facts returns a bool."""

    def __init__(self, source: str) -> None:
        _parse(source)
        self.source = source
        self._function = sandbox().compile_expression(source, undefined_to_none=False)
        self.__name__ = source  # transitions' diagrams label conditions by __name__

    def __call__(self, scope: Mapping[str, object]) -> bool:
        with budget_scope():  # a guard is bounded like a template (engine/budget.py)
            return bool(self._function(**scope))


@lru_cache(maxsize=4096)
def compile_expression(source: str) -> CompiledExpression:
    return CompiledExpression(source)
