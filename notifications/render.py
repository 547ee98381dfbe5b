"""Rendering a notification: the rule's own text, else the drejebog's standard template for the
kind, else the Danish default in notifications/templates. Sandboxed jinja2, StrictUndefined;
the HTML part is autoescaped. No CPR number is ever in scope."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, Template
from jinja2.runtime import new_context
from jinja2.sandbox import SandboxedEnvironment

from drejebog.engine.budget import MAX_OUTPUT, BudgetExceeded, budget_scope
from drejebog.engine.model import Drejebog, Message
from drejebog.engine.templates import Sandbox, template_environment, text_sandbox

TEMPLATES = Path(__file__).resolve().parent / "templates"
# a drejebog may override the default text of a kind with a template of this name
DREJEBOG_OVERRIDES = {
    "reminder": "standard_paamindelse",
    "escalation": "standard_eskalering",
    "checkin_missing": "standard_mangler",
    "misses_in_a_row": "standard_mangler_i_traek",
    "at_least": "standard_for_faa",
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str


@lru_cache(maxsize=1)
def _files() -> SandboxedEnvironment:
    return text_sandbox(
        loader=FileSystemLoader(str(TEMPLATES)),
        auto_reload=False,  # shipped files: no stat() of the template on every message
    )


@lru_cache(maxsize=1)
def _html() -> SandboxedEnvironment:
    env = Sandbox(
        loader=FileSystemLoader(str(TEMPLATES)),
        auto_reload=False,
        undefined=StrictUndefined,
        autoescape=True,
    )
    return env


@lru_cache(maxsize=2048)
def _compiled(source: str) -> Any:
    return template_environment().from_string(source)


@lru_cache(maxsize=4096)
def _globals(template: Template) -> dict[str, Any]:
    return dict(template.globals)


def _render(template: Template, scope: Mapping[str, object]) -> str:
    """What `template.render(scope)` returns, without the two copies of the template's chain
    of globals that `render` makes on every call (measured: 13 → 2 µs of overhead per call;
    a fired timer renders three). The globals stay readable: they are in the scope dict."""
    context = new_context(
        template.environment,
        template.name,
        template.blocks,
        {**_globals(template), **scope},
        shared=True,
    )
    try:
        with budget_scope():
            return _bounded(template.root_render_func(context))
    except BudgetExceeded:
        raise  # our own Danish message, not a jinja traceback rewrite
    except Exception:
        return template.environment.handle_exception()


_BLOCK = 32  # chunks joined at a time: a chunk is at most MAX_SIZE characters (a string's
# budget), so a text over budget is stopped within 32 × MAX_SIZE characters


def _bounded(chunks: Iterator[str]) -> str:
    """The rendered text, counted as it streams, a block of chunks at a time: past MAX_OUTPUT
    characters the render stops (engine/budget.py has the other budgets). Joining a block in
    C instead of counting each chunk in Python halves the cost of a short message's render."""
    parts: list[str] = []
    size = 0
    while block := list(islice(chunks, _BLOCK)):
        part = "".join(block)
        size += len(part)
        if size > MAX_OUTPUT:
            raise BudgetExceeded(f"skabelonen skriver mere end {MAX_OUTPUT:,} tegn")
        parts.append(part)
    return parts[0] if len(parts) == 1 else "".join(parts)


def _texts(drejebog: Drejebog, message: Message | None, kind: str) -> tuple[Any, Any]:
    if message is not None and message.template and message.template in drejebog.templates:
        template = drejebog.templates[message.template]
        return _compiled(template.subject), _compiled(template.body)
    if message is not None and message.subject is not None and message.body is not None:
        return _compiled(message.subject), _compiled(message.body)
    override = DREJEBOG_OVERRIDES.get(kind)
    if override and override in drejebog.templates:
        template = drejebog.templates[override]
        return _compiled(template.subject), _compiled(template.body)
    files = _files()
    return files.get_template(f"{kind}.subject.j2"), files.get_template(f"{kind}.txt.j2")


def render(
    drejebog: Drejebog,
    message: Message | None,
    kind: str,
    scope: Mapping[str, object],
    late_note: str = "",
) -> Rendered:
    """The drejebog's text for this message; raises if a drejebog template fails on the data."""
    return _rendered(*_texts(drejebog, message, kind), scope, late_note)


def render_default(kind: str, scope: Mapping[str, object], late_note: str = "") -> Rendered:
    """The Danish default text of the kind (notifications/templates), whatever a drejebog says;
    the daily digest has only this one."""
    files = _files()
    subject_template = files.get_template(f"{kind}.subject.j2")
    return _rendered(subject_template, files.get_template(f"{kind}.txt.j2"), scope, late_note)


def _rendered(
    subject_template: Template,
    body_template: Template,
    scope: Mapping[str, object],
    late_note: str,
) -> Rendered:
    subject = " ".join(_render(subject_template, scope).split())
    text = _render(body_template, scope).strip()
    if late_note:
        text = f"{text}\n\n{late_note}"
    return Rendered(subject, text + "\n")


def html_part(subject: str, text: str) -> str:
    """The HTML alternative of an e-mail: the text's paragraphs in message.html.j2, escaped."""
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    template = _html().get_template("message.html.j2")
    return _render(template, {"subject": subject, "paragraphs": paragraphs})
