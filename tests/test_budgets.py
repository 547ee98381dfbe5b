"""Templates and guards have budgets (issue 10, point 5; engine/budget.py).

`check` refuses what can only blow up (a constant that folds to gigabytes, a range beyond
the limit) at the template's file:line:column, without computing it; at run time a render
or a guard stops at its budget with a Danish BudgetExceeded, which the sweep turns into the
default text and `skabelonfejl` (tests/store/test_template_budgets.py).
"""

from __future__ import annotations

import time
import tracemalloc
from datetime import date

import pytest

from drejebog.engine.budget import MAX_OUTPUT, MAX_RANGE, MAX_SIZE, BudgetExceeded
from drejebog.engine.errors import DrejebogInvalid
from drejebog.engine.expressions import compile_expression
from drejebog.engine.loader import load_text
from drejebog.engine.templates import check_template
from drejebog.notifications.render import _compiled, _render
from tests.conftest import FIXTURES

MINI = (FIXTURES / "mini.yaml").read_text(encoding="utf-8")
TEMPLATE = "Kære {{ modtager.navn }}, fristen er"
GUARD = "hvis: \"indstilling == 'ressourceforloeb'\""
DOUBLE_LOOP = "{% for i in range(99999) %}{% for j in range(99999) %}x{% endfor %}{% endfor %}"


def problems_of(source: str) -> list[tuple[int, int, str]]:
    with pytest.raises(DrejebogInvalid) as caught:
        load_text(source, "x.yaml")
    return [(p.line, p.column, p.message) for p in caught.value.problems]


def with_template(text: str) -> str:
    assert MINI.count(TEMPLATE) == 1
    return MINI.replace(TEMPLATE, text.replace('"', '\\"') + " " + TEMPLATE)


def render(source: str, **scope: object) -> str:
    return _render(_compiled(source), scope)


def test_check_refuses_the_double_loop_at_the_templates_line_and_column():
    (problem,) = problems_of(with_template(DOUBLE_LOOP))
    assert problem[:2] == (14, 12)  # the 'tekst' of template 'paamindelse' in mini.yaml
    assert f"range() giver mere end {MAX_RANGE:,} tal".replace(",", ".") in problem[2]
    assert "budget" in problem[2]


def test_check_refuses_a_constant_of_a_gigabyte_quickly_and_without_computing_it():
    tracemalloc.start()
    started = time.perf_counter()
    (problem,) = problems_of(with_template("{{ 'a' * 10**9 }}"))
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert problem[:2] == (14, 12)
    assert f"bliver større end {MAX_SIZE:,} tegn".replace(",", ".") in problem[2]
    assert elapsed < 5
    assert peak < 50_000_000  # the folded constant would be 1 GB


def test_check_refuses_a_guard_with_a_huge_multiplication():
    guard = "hvis: \"indstilling * 10**9 == 'ressourceforloeb' or 'x' * 10**9 == indstilling\""
    assert MINI.count(GUARD) == 1
    ((line, _column, message),) = problems_of(MINI.replace(GUARD, guard))
    assert line == 65 and "kan sprænge sit budget" in message


@pytest.mark.parametrize(
    "source",
    [
        "{% for i in range(9999) %}{% for j in range(9999) %}x{% endfor %}{% endfor %}",
        "{% for i in range(9999) %}{% for j in range(9999) %}{% endfor %}{% endfor %}",
        "{% set ns = namespace(s='a') %}{% for i in range(40) %}"
        "{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
        "{% set ns = namespace(s='a') %}{% for i in range(40) %}"
        "{% set ns.s = ns.s + ns.s %}{% endfor %}",
        "{% set ns = namespace(n=3) %}{% for i in range(40) %}{% set ns.n = ns.n * ns.n %}"
        "{% endfor %}",
        "{{ n * 'a' }}",
        "{{ 'a' | center(n) }}",
        "{{ 'a'.center(n) }}",
        "{{ '%1000000000s' % 'a' }}",
        "{{ '{:>1000000000}'.format('a') }}",
        "{{ ('a' * 99999) | replace('a', 'bbbbbbbbbb') }}",
        "{{ ([('a' * 99999)] * 9) | join('') }}",
        "{{ range(n) | list }}",
        "{% for i in range(1000) %}{{ 'x' * 1000 }}{% endfor %}",
        "{{ '%*s' % (n, 'a') }}",
        "{{ '{:>{w}}'.format('a', w=n) }}",
        "{{ range(10000) | join('x' * 99999) }}",
    ],
    ids=[
        "double-loop-output",
        "double-loop-silent",
        "doubling-concat",
        "doubling-plus",
        "squaring",
        "multiply-by-a-fact",
        "center-filter",
        "center-method",
        "percent-width",
        "format-width",
        "replace-grows",
        "join-of-repeats",
        "range-of-a-fact",
        "output",
        "star-width",
        "nested-width",
        "join-of-a-range",
    ],
)
def test_a_render_over_budget_stops_quickly_with_a_danish_error(source):
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(BudgetExceeded) as caught:
        render(source, n=10**9)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 10
    assert peak < 50_000_000
    assert any(word in str(caught.value) for word in ("større end", "mere end"))


def test_a_macro_calling_itself_twice_stops_at_the_step_budget():
    started = time.perf_counter()
    with pytest.raises(BudgetExceeded, match="skridt"):  # 2**30 calls, no output
        render(
            "{% macro f(k) %}{% if k > 0 %}{{ f(k - 1) }}{{ f(k - 1) }}{% endif %}{% endmacro %}"
            "{{ f(30) }}"
        )
    assert time.perf_counter() - started < 10


def test_the_output_budget_counts_the_text_as_it_streams():
    assert len(render("{% for i in range(100) %}{{ 'x' * 1000 }}{% endfor %}")) == MAX_OUTPUT
    with pytest.raises(BudgetExceeded, match="skriver mere end"):
        render("{% for i in range(101) %}{{ 'x' * 1000 }}{% endfor %}")


def test_a_guard_over_budget_raises_instead_of_filling_the_memory():
    with pytest.raises(BudgetExceeded):
        compile_expression("indstilling * n == 'x'")({"indstilling": "ab", "n": 10**9})
    assert compile_expression("indstilling * 2 == 'abab'")({"indstilling": "ab"})


def test_ordinary_templates_are_not_touched_by_the_budgets():
    source = (
        "{% for x in xs %}{{ loop.index }}:{{ x ~ '-' }}{% endfor %} {{ 'a' | upper }} "
        "{{ d | dansk_dato }} {{ '{:>3}'.format(1) }} {{ (xs | join(',')) }} {{ 2 ** 10 }} "
        "{{ 'ab' * 3 }} {{ range(3) | list | length }}"
    )
    assert render(source, xs=[1, 2, 3], d=date(2027, 1, 5)) == (
        "1:1-2:2-3:3- A 5. januar 2027   1 1,2,3 1024 ababab 3"
    )
    assert check_template(source, ["xs", "d"]) == []
    assert check_template("{{ 'a' * 1000 }} {% for i in range(10000) %}{% endfor %}", []) == []


def test_the_sandbox_stays_a_sandbox():
    with pytest.raises(Exception, match="unsafe"):
        render("{{ xs.append(4) }}", xs=[1])  # immutable: no growing a list in place
    with pytest.raises(Exception, match="lipsum"):
        render("{{ lipsum(100000) }}")
