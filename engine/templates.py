"""Notification texts a projektleder writes: jinja2 in a sandbox, checked before use.

The scope is fixed and documented (workflows/README.md): the case's facts plus a handful of
objects. Checking a template means: it compiles, and every variable and attribute it reads
is one the scope will have. Rendering lives in `notifications/`; this module only defines the
environment and the checks, so the pure core can reject a broken drejebog.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment

from drejebog.engine.budget import BudgetedSandbox, constant_problems

MONTHS_DA = (
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
)

# object name -> the attributes a template may read from it
SCOPE_OBJECTS: dict[str, frozenset[str]] = {
    "sag": frozenset({"id", "tilstand", "tilstand_titel"}),
    "borger": frozenset({"navn"}),
    "modtager": frozenset({"navn", "rolle", "rolle_titel"}),
    "drejebog": frozenset({"titel"}),
    "frist": frozenset(
        {"titel", "dato", "klokken", "dage_tilbage", "dage_over", "mangler_i_alt", "i_træk"}
        | {"talt", "mindst"}  # a `mindst` rule's message: how many were counted, of how many
    ),
    "opgave": frozenset({"titel"}),
}


def danish_date(value: date | None) -> str:
    """`15. januar 2027`."""
    if value is None:
        return ""
    return f"{value.day}. {MONTHS_DA[value.month - 1]} {value.year}"


def danish_appointment(value: date | None) -> str:
    """`15. januar 2027 kl. 10:00` for a `tidspunkt` (a plain date: as `dansk_dato`)."""
    if not isinstance(value, datetime):
        return danish_date(value)
    return f"{danish_date(value)} kl. {value:%H:%M}"


_DICT_ATTRIBUTES = frozenset(dir(dict))


class Sandbox(BudgetedSandbox):
    """jinja2's immutable sandbox under the budgets of engine/budget.py, with `x.y` on a
    plain dict looked up as an item first when `y` is no attribute of dicts: what jinja does
    anyway after its getattr fails, without raising and catching an AttributeError for every
    `sag.id` a message reads."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


def text_sandbox(**options: Any) -> Sandbox:
    """The environment a notification's text is rendered in: the sandbox, StrictUndefined,
    block tags trimmed, no trailing newline kept, the `dansk_dato` filter; `options` add
    what a caller needs besides (autoescape, a loader)."""
    env = Sandbox(undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, **options)
    env.filters["dansk_dato"] = danish_date
    env.filters["dansk_tidspunkt"] = danish_appointment
    return env


@lru_cache(maxsize=2)
def template_environment(autoescape: bool = False) -> SandboxedEnvironment:
    return text_sandbox(autoescape=autoescape)


CACHED_UP_TO = 16_384
"""Templates up to this many characters are analysed once per process (`_analysed`); a
longer one is analysed each time, so the cache stays small whatever a file holds."""


@dataclass(frozen=True)
class _Analysis:
    """What `check_template` needs of a template, whatever the drejebog's facts are."""

    syntax_error: str | None = None
    budget_problems: tuple[tuple[int, str], ...] = ()
    names: tuple[str, ...] = ()  # the variables it reads, sorted
    attributes: tuple[tuple[str, str], ...] = ()  # (object, attribute) read from scope objects


def _analyse(source: str) -> _Analysis:
    try:
        tree = template_environment().parse(source)
        # finding the names runs jinja's code generator, which refuses more (a block twice)
        names = tuple(sorted(meta.find_undeclared_variables(tree)))
    except TemplateSyntaxError as exc:
        return _Analysis(
            f"skabelonen kan ikke oversættes (linje {exc.lineno} i teksten): {exc.message}"
        )
    attributes = tuple(
        (node.node.name, node.attr)
        for node in tree.find_all(nodes.Getattr)
        if isinstance(node.node, nodes.Name) and node.node.name in SCOPE_OBJECTS
    )
    return _Analysis(None, tuple(constant_problems(tree)), names, attributes)


# a drejebog repeats its texts, and `check` of a folder of versions sees them again
_analysed = lru_cache(maxsize=1024)(_analyse)


def check_template(source: str, facts: Iterable[str]) -> list[str]:
    """Danish problem texts for `source`; empty when it compiles and reads only known names."""
    analysis = _analysed(source) if len(source) <= CACHED_UP_TO else _analyse(source)
    if analysis.syntax_error is not None:
        return [analysis.syntax_error]
    known_facts = set(facts)
    problems = [
        f"skabelonen kan sprænge sit budget (linje {line} i teksten): {text}"
        for line, text in analysis.budget_problems
    ]
    for name in analysis.names:
        if name not in known_facts and name not in SCOPE_OBJECTS:
            problems.append(
                f"skabelonen bruger '{name}', som ikke findes: brug et faktum fra 'fakta' "
                f"eller et af {', '.join(sorted(SCOPE_OBJECTS))}"
            )
    for name, attribute in analysis.attributes:
        allowed = SCOPE_OBJECTS[name]
        if attribute not in allowed:
            problems.append(
                f"skabelonen bruger '{name}.{attribute}', som ikke findes; "
                f"'{name}' har: {', '.join(sorted(allowed))}"
            )
    return problems
