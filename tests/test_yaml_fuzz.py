"""Fuzz: the shipped drejebøger, mutated, never end in an exception, and every problem has a place.

In 10,000 mutated drejebøger, 348 once ended in an uncaught exception (issue 10). Here 3,000
cases from a fixed seed (tests/mutations.py: hostile snippets, deleted spans, duplicated or
re-indented lines; the same cases on every run) are parsed as `drejebog check` does. For a
third of them, a file that composes must give the same located tree through libyaml as
through PyYAML (engine/yamlnodes.py takes libyaml's way only for a file without problems).
"""

from __future__ import annotations

import re

from drejebog.engine import yamlnodes
from drejebog.engine.loader import parse_text
from tests.mutations import Case, cases

CASES = 3_000
PLACE = re.compile(r"^fuzz\.yaml:\d+:\d+: \S")


def problems_with_a_place(case: Case, compare: bool = False) -> list[str]:
    """What is wrong with `check`'s answer on `case` (empty when nothing is). Where the file
    composed and `compare` is set, libyaml and PyYAML must compose it alike (each costs a
    PyYAML composition, so a third of the cases compare)."""
    drejebog, problems = parse_text(case.text, "fuzz.yaml")
    wrong = [] if drejebog is not None or problems else [f"{case}: no drejebog and no problem"]
    text = case.text
    last_line = text.count("\n") + text.count("\r") + text.count("\u2028") + 2
    for problem in problems:
        if (
            not PLACE.match(str(problem))
            or not 1 <= problem.line <= last_line
            or problem.column < 1
        ):
            wrong.append(f"{case}: {problem}")
    if compare and drejebog is not None:
        fast = yamlnodes.load_located(text, "fuzz.yaml")
        if fast != yamlnodes._load_pure(text, "fuzz.yaml"):
            wrong.append(f"{case}: libyaml and PyYAML compose it differently")
    return wrong


def test_mutated_drejeboeger_give_problems_with_a_place_never_an_exception() -> None:
    wrong: list[str] = []
    for case in cases(CASES, seed=10):
        try:
            wrong += problems_with_a_place(case, compare=case.number % 3 == 0)
        except Exception as exc:  # reported with the case that raised it, then the rest go on
            wrong.append(f"{case}: {type(exc).__name__}: {exc}")
    assert not wrong, "\n".join(wrong[:20])


def test_a_tab_libyaml_accepts_is_still_refused_where_pyyaml_refuses_it() -> None:
    # found by the comparison above: libyaml takes a tab before a value, PyYAML does not
    text = "drejebog: x\ntitel:\tTitel\n"
    tree, problems = yamlnodes.load_located(text, "x.yaml")
    assert (tree, problems) == yamlnodes._load_pure(text, "x.yaml")
    assert tree is None and problems[0].line == 2
