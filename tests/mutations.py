"""Mutated drejebøger for the fuzz tests: the shipped ones, changed the way careless typing or
a hostile projektleder would change them, from a fixed seed (the same cases on every run).

`yaml_mutation` breaks the YAML (hostile snippets, deleted spans, duplicated or re-indented
lines); `plant` puts a hostile jinja2 text into a message's `emne`/`tekst` or a template,
or a hostile expression into a guard (`hvis`, `betingelse`), where the template and guard
checks (engine/templates.py, engine/expressions.py, engine/budget.py) must catch it.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from drejebog.workflows import SHIPPED_DIR

SHIPPED = {
    path.name: path.read_text(encoding="utf-8") for path in sorted(SHIPPED_DIR.glob("*.yaml"))
}

YAML_SNIPPETS = [
    "&a ",
    "*a",
    "<<: *a",
    "!!float nan x",
    "!!binary aGVq",
    "!!python/object:os.system ",
    "!lokal ",
    "2027-02-30",
    "2027-13-01",
    "0000-01-01",
    "9999-12-31 25:00",
    "0x_",
    "1:99:99",
    "99999999999999999999",
    "[",
    "]",
    "{",
    "}",
    ": ",
    "- ",
    "? ",
    "|\n",
    ">-\n",
    "\n",
    "\t",
    "\r",
    "\x01",
    "\x00",
    "\x7f",
    "\x85",
    "\ufeff",
    "\u2028",
    "\ud800",
    "'",
    '"',
    "#",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "%YAML 2.0\n",
    "{{ x }}",
    "~",
    "null",
    "yes",
    "ø",
    "[" * 60,
    "é" * 3,
]

# jinja2 that is hostile or broken: what must be refused, or bounded, never run away
TEMPLATE_BOMBS = [
    "{% for i in range(99999) %}{% for j in range(99999) %}x{% endfor %}{% endfor %}",
    "{% for i in range(9999) %}{% for j in range(9999) %}x{% endfor %}{% endfor %}",
    "{{ 'a' * 10**9 }}",
    "{{ 9**9**9 }}",
    "{{ 10**10**10 }}",
    "{{ (9**99)**99 }}",
    "{{ [1] * 10**9 }}",
    "{{ ('a' * 99999 ~ 'b') * 99999 }}",
    "{{ 'a' * 99999 + 'b' * 99999 }}",
    "{{ ''.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ sag.__init__.__globals__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ cycler.__init__.__globals__.os }}",
    "{{ lipsum(10**6) }}",
    "{{ range(10**18) | list }}",
    "{{ borger.navn | center(10**9) }}",
    "{{ borger.navn | indent(10**8) }}",
    "{{ '%999999999s' % 'a' }}",
    "{{ '{:>999999999}'.format('a') }}",
    "{{ 'ab' | replace('', 'x' * 99999) }}",
    "{{ ',' .join(['a' * 99999] * 99999) }}",
    "{% set ns = namespace(s='a') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}"
    "{% endfor %}{{ ns.s }}",
    "{% macro m() %}{{ m() }}{{ m() }}{% endmacro %}{{ m() }}",
    "{{ " + "(" * 300 + "1" + ")" * 300 + " }}",
    "{{ " + "[" * 300 + "]" * 300 + " }}",
    "{{ " + "-" * 3000 + "1 }}",
    "{{ " + "not " * 2000 + "1 }}",
    "{{ " + " + ".join(["1"] * 3000) + " }}",
    "{{ borger" + ".navn" * 2000 + " }}",
    "{{ borger.navn" + " | e" * 2000 + " }}",
    "{% if 1 %}" * 300 + "x" + "{% endif %}" * 300,
    "{% for i in [1] %}" * 300 + "x" + "{% endfor %}" * 300,
    "{{ '" + "a" * 150_000 + "' }}",
    "x" * 200_000,
    "{{ borger.nosuch }}",
    "{{ nosuchname }}",
    "{{ borger.navn | nosuchfilter }}",
    "{{ borger.navn is nosuchtest }}",
    "{% for x in y %}",
    "{{ borger.navn",
    "{% if %}",
    "{# comment",
    "{% raw %}",
    "{% endfor %}",
    "{% include 'x' %}",
    "{% extends 'y' %}",
    "{% import 'z' as q %}",
    "{{ }}",
    "}}{{",
    "{{ '\\x00' }}",
    "{{ 1 / 0 }}",
    "{{ dansk_dato }}",
    "{{ frist.dato | dansk_dato(1, 2, 3) }}",
]

# guards: each is the whole text of a `hvis`/`betingelse`
GUARD_BOMBS = [
    "'a' * 10**9 == ydelse",
    "9**9**9 > 0",
    "10**10**10 > 0",
    "[1] * 10**9",
    "range(99999) | list | length > 0",
    "range(10**18) | length > 0",
    "lipsum(10**6)",
    "'%999999999s' % 1",
    "''.__class__.__mro__",
    "plus(dato, '9999999 år') > dato",
    "plus(dato, 'x') > dato",
    "plus(dato)",
    "dage_mellem(dato)",
    "(" * 300 + "1" + ")" * 300,
    "-" * 3000 + "1",
    "not " * 2000 + "true",
    " and ".join(["true"] * 3000),
    "ydelse" + ".x" * 2000,
    "{{ 1 }}",
    "1 }} tekst {{ 2",
    "{% for i in x %}",
    "1 if",
    "",
    "a" * 5000,
    "nosuchfact == 1",
    "ydelse | nosuchfilter",
    "ydelse is nosuchtest",
    "'" + "a" * 150_000 + "' == ydelse",
]

_FIELD = re.compile(r"^(?P<indent>[ -]*)(?P<key>emne|tekst|hvis|betingelse):(?P<value>.*)$")
_GUARD_KEYS = {"hvis", "betingelse"}


@dataclass(frozen=True)
class Case:
    """One fuzz case: what was done to which shipped file, and the resulting text."""

    number: int
    source: str
    steps: tuple[str, ...]
    text: str

    def __str__(self) -> str:
        return f"case {self.number} ({self.source}: {'; '.join(self.steps)})"


def yaml_mutation(text: str, rng: random.Random) -> tuple[str, str]:
    """`text` with one mutation, and what it was."""
    lines = text.split("\n")
    kind = rng.choice(["insert", "delete", "duplicate", "indent", "value"])
    if kind == "insert":
        at = rng.randint(0, len(text))
        snippet = rng.choice(YAML_SNIPPETS)
        return text[:at] + snippet + text[at:], f"insert {snippet!r} at {at}"
    if kind == "delete":
        at, span = rng.randint(0, len(text)), rng.randint(1, 40)
        return text[:at] + text[at + span :], f"delete {span} at {at}"
    i = rng.randrange(len(lines))
    if kind == "duplicate":
        lines.insert(i, lines[i])
        step = f"duplicate line {i + 1}"
    elif kind == "indent":
        prefix = rng.choice(["  ", " ", "\t"])
        lines[i] = prefix + lines[i]
        step = f"indent line {i + 1} by {prefix!r}"
    elif ":" in lines[i]:  # replace a value: where the typed mistakes land
        snippet = rng.choice(YAML_SNIPPETS)
        lines[i] = f"{lines[i].split(':', 1)[0]}: {snippet}"
        step = f"value {snippet!r} on line {i + 1}"
    else:
        step = "nothing"
    return "\n".join(lines), step


def _quoted(text: str) -> str:
    """`text` as a YAML double-quoted scalar (jinja's own quotes and backslashes kept)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def plant(text: str, rng: random.Random) -> tuple[str, str]:
    """`text` with one template or guard field replaced by, or prefixed with, a bomb."""
    lines = text.split("\n")
    fields = [i for i, line in enumerate(lines) if _FIELD.match(line)]
    i = rng.choice(fields)
    match = _FIELD.match(lines[i])
    assert match is not None
    key, value, indent = match["key"], match["value"].strip(), match["indent"]
    bomb = rng.choice(GUARD_BOMBS if key in _GUARD_KEYS else TEMPLATE_BOMBS)
    # a block scalar's lines follow the key, indented deeper: they go with the old value
    end = i + 1
    if value[:1] in {"|", ">"}:
        depth = len(indent) + 1
        while end < len(lines) and (
            not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) >= depth
        ):
            end += 1
    old_text = value.strip("\"'") if value[:1] not in {"|", ">"} else ""
    how = rng.choice(["replace", "prefix", "block"])
    if how == "prefix" and key not in _GUARD_KEYS:
        bomb = bomb + " " + old_text
    if how == "block" and "\n" not in bomb and "\r" not in bomb:
        body = [indent.replace("-", " ") + "  " + bomb]
        new = [f"{indent}{key}: |", *body]
    else:
        new = [f"{indent}{key}: {_quoted(bomb)}"]
    lines[i:end] = new
    return "\n".join(lines), f"{how} {key} on line {i + 1} with {bomb[:60]!r}"


def cases(
    count: int,
    seed: int,
    mutate: Callable[[random.Random], tuple[str, ...]] | None = None,
) -> Iterator[Case]:
    """`count` cases from `seed`: each picks a shipped drejebog and applies `mutate`'s steps
    (by default one to four YAML mutations)."""
    rng = random.Random(seed)
    names = sorted(SHIPPED)
    for number in range(count):
        source = rng.choice(names)
        text = SHIPPED[source]
        steps: list[str] = []
        for kind in (mutate or _yaml_steps)(rng):
            text, step = (plant if kind == "plant" else yaml_mutation)(text, rng)
            steps.append(step)
        yield Case(number, source, tuple(steps), text)


def _yaml_steps(rng: random.Random) -> tuple[str, ...]:
    return ("yaml",) * rng.randint(1, 4)


def bomb_steps(rng: random.Random) -> tuple[str, ...]:
    """One to three bombs, and now and then a YAML mutation on top."""
    steps = ("plant",) * rng.randint(1, 3)
    return steps + (("yaml",) if rng.random() < 0.2 else ())
