"""Fuzz: hostile templates and guards in the shipped drejebøger: `check` answers with problems
at file:line:column, never an exception, a hang or a heap of memory (issue 10, points 5, 8, 10).

1,500 cases from a fixed seed (tests/mutations.py) put one to three bombs (two nested
`range(99999)` loops, `'a' * 10**9`, `9**9**9`, `''.__class__`, 300 parentheses, unknown
filters, unclosed tags, ...) into messages, templates and guards, now and then with a YAML
mutation on top. Each case runs under an alarm (a hang fails the case instead of the build)
and an address-space limit (a gigabyte allocation fails as a MemoryError).
"""

from __future__ import annotations

import gc
import random
import re
import resource
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import pytest
from click.testing import CliRunner

from drejebog.cli.main import main
from drejebog.engine.loader import parse_text
from drejebog.workflows import SHIPPED_DIR
from tests.mutations import SHIPPED, Case, bomb_steps, cases, plant
from tests.test_hostile_yaml import LAUGHS
from tests.test_yaml_fuzz import problems_with_a_place

CASES = 1_500
SECONDS_PER_CASE = 2  # a hang guard, not a speed test: a case takes some 10-30 ms
MEMORY_HEADROOM = 1 << 30  # a bomb that gets computed allocates gigabytes


class Hang(Exception):
    pass


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise Hang(f"mere end {SECONDS_PER_CASE} s")


@contextmanager
def guarded() -> Iterator[None]:
    """The alarm and the memory limit around the cases (Linux; the CI runs there)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as statm:
        size = int(statm.read().split()[0]) * resource.getpagesize()
    limit = size + MEMORY_HEADROOM
    resource.setrlimit(resource.RLIMIT_AS, (limit if hard < 0 else min(limit, hard), hard))
    previous = signal.signal(signal.SIGPROF, _alarm)
    # In the whole suite's process the heap is large: a full garbage collection that happened
    # to start inside a case (with Hypothesis's gc callback) once spent the case's CPU time.
    # Frozen, the objects made before the fuzz are never scanned again while it runs.
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
        gc.unfreeze()
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def checked(case: Case) -> list[str]:
    # the process's own CPU time, not the wall clock: a loaded machine (two helpers' suites
    # on two cores) once tripped a wall-clock alarm on a case that was merely waiting its turn
    signal.setitimer(signal.ITIMER_PROF, SECONDS_PER_CASE)
    try:
        return problems_with_a_place(case)
    except Exception as exc:  # Hang and MemoryError too: reported with the case
        return [f"{case}: {type(exc).__name__}: {str(exc)[:200]}"]
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)


def test_bombs_in_templates_and_guards_give_problems_with_a_place() -> None:
    wrong: list[str] = []
    with guarded():
        for case in cases(CASES, seed=510, mutate=bomb_steps):
            wrong += checked(case)
    assert not wrong, "\n".join(wrong[:20])


# each once ended `check` in an uncaught exception (found by the fuzz above)
REGRESSIONS = {
    "parentheses-200": ('"{{ ' + "(" * 200 + "1" + ")" * 200 + ' }}"', "parenteser"),
    "plus-chain": ('"{{ ' + " + ".join(["1"] * 3000) + ' }}"', "operatorer"),
    "if-300": ('"' + "{% if 1 %}" * 300 + "{% endif %}" * 300 + '"', "blokke"),
    "unknown-test": ('"{{ borger.navn is nosuchtest }}"', "testen 'nosuchtest' findes ikke"),
    "unknown-filter-in-if": (
        '"{% if 1 %}{{ borger.navn | nosuch }}{% endif %}"',
        "filteret 'nosuch' findes ikke",
    ),
}


@pytest.mark.parametrize("name", sorted(REGRESSIONS))
def test_a_bomb_once_raising_is_a_danish_problem_at_the_texts_place(name: str) -> None:
    value, part = REGRESSIONS[name]
    text = SHIPPED["jobrettet_samtale.yaml"]
    line = next(i for i, row in enumerate(text.split("\n")) if row.strip().startswith("emne:"))
    rows = text.split("\n")
    key_at = rows[line].index("emne:")
    rows[line] = rows[line][: key_at + 5] + " " + value
    drejebog, problems = parse_text("\n".join(rows), "x.yaml")
    assert drejebog is not None
    (problem,) = problems
    assert (problem.line, problem.column) == (line + 1, key_at + 7)
    assert part in problem.message and "skabelonen kan ikke oversættes" in problem.message


@pytest.mark.parametrize(
    "guard", ["(" * 300 + "1" + ")" * 300, " and ".join(["true"] * 3000), "ydelse is nosuchtest"]
)
def test_a_guard_bomb_is_a_danish_problem(guard: str) -> None:
    text = SHIPPED["jobrettet_samtale.yaml"]
    old = "betingelse: \"ydelse == 'forsikret'\""
    assert text.count(old) == 1
    _, problems = parse_text(text.replace(old, f'betingelse: "{guard}"'), "x.yaml")
    (problem,) = problems
    assert "kan ikke læses" in problem.message and problem.line > 1
    assert len(problem.message) < 300  # the guard is quoted, cut short


def test_check_on_a_folder_of_mutants_and_bombs_reports_each_and_goes_on(tmp_path: Path) -> None:
    rng = random.Random(7)
    files = {"laughs.yaml": LAUGHS, "ok.yaml": (SHIPPED_DIR / "ressourceforloeb.yaml").read_text()}
    for number in range(4):
        files[f"bomb{number}.yaml"] = plant(SHIPPED["jobrettet_samtale.yaml"], rng)[0]
    double_loop = "{% for i in range(99999) %}{% for j in range(99999) %}x{% endfor %}{% endfor %}"
    files["double_loop.yaml"] = SHIPPED["jobrettet_samtale.yaml"].replace(
        'emne: "Ny opgave: ', f'emne: "{double_loop} ', 1
    )
    files["huge_guard.yaml"] = SHIPPED["jobrettet_samtale.yaml"].replace(
        "betingelse: \"ydelse == 'forsikret'\"", "betingelse: \"'a' * 10**9 == ydelse\""
    )
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    with guarded():
        result = CliRunner().invoke(main, ["check", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "intern fejl" not in result.output
    for line in result.output.strip().splitlines():
        assert re.match(rf"^{re.escape(str(tmp_path))}/[^:]+(:\d+:\d+:|: OK) \S", line), line
    for name in files:
        assert f"{tmp_path / name}:" in result.output, name  # every file answered
    assert f"{tmp_path / 'ok.yaml'}: OK" in result.output
    assert re.search(r"laughs\.yaml:2:8: aliaset '\*a' er ikke tilladt", result.output)
    assert re.search(
        r"double_loop\.yaml:\d+:\d+: 'emne': .*range\(\) giver mere end", result.output
    )
    assert re.search(r"huge_guard\.yaml:\d+:\d+: .*kan sprænge sit budget", result.output)
