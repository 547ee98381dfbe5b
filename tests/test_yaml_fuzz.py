"""Fuzz: the shipped drejebøger, mutated, never end in an exception, and every problem has a place.

In 10,000 mutated drejebøger, 348 once ended in an uncaught exception (issue 10). Each
example here applies a few mutations (hostile snippets, deleted spans, duplicated or
re-indented lines) to one shipped drejebog and parses it as `drejebog check` does.
About 150 examples, some 10 s; raise max_examples locally to search harder.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drejebog.engine.loader import parse_text
from drejebog.workflows import SHIPPED_DIR

SHIPPED = [path.read_text(encoding="utf-8") for path in sorted(SHIPPED_DIR.glob("*.yaml"))]

SNIPPETS = [
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
    "\ufeff",
    "\u2028",
    "'",
    '"',
    "#",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "{{ x }}",
    "~",
    "null",
    "yes",
    "ø",
]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SHIPPED))
    for _ in range(draw(st.integers(1, 4))):
        lines = text.split("\n")
        kind = draw(st.sampled_from(["insert", "delete", "duplicate", "indent", "value"]))
        if kind == "insert":
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(st.sampled_from(SNIPPETS)) + text[at:]
        elif kind == "delete":
            at = draw(st.integers(0, len(text)))
            text = text[:at] + text[at + draw(st.integers(1, 40)) :]
        else:
            i = draw(st.integers(0, len(lines) - 1))
            if kind == "duplicate":
                lines.insert(i, lines[i])
            elif kind == "indent":
                lines[i] = draw(st.sampled_from(["  ", " ", "\t"])) + lines[i]
            elif ":" in lines[i]:  # replace a value: where the typed mistakes land
                key = lines[i].split(":", 1)[0]
                lines[i] = f"{key}: {draw(st.sampled_from(SNIPPETS))}"
            text = "\n".join(lines)
    return text


PLACE = re.compile(r"^fuzz\.yaml:\d+:\d+: \S")


@settings(
    max_examples=150,
    derandomize=True,  # the same examples on every run, in CI too
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutated())
def test_a_mutated_drejebog_gives_problems_with_a_place_never_an_exception(text: str) -> None:
    drejebog, problems = parse_text(text, "fuzz.yaml")
    assert drejebog is not None or problems
    last_line = text.count("\n") + text.count("\r") + text.count("\u2028") + 2
    for problem in problems:
        assert PLACE.match(str(problem)), problem
        assert 1 <= problem.line <= last_line, problem
        assert problem.column >= 1, problem
