"""`check` finds more (issue 11, point 11): `=` for `==`, a value that is none of a choice
fact's `værdier`, and a name longer than the store keeps — each at its file:line:column."""

from __future__ import annotations

import pytest

from drejebog.engine.loader import parse_text

BASE = """\
drejebog: proeve
titel: Prøve
fakta:
  indstilling: {{titel: Indstilling, type: valg, værdier: [ressourceforloeb, fleksjob]}}
  fritaget: {{titel: Fritaget, type: ja_nej}}
start: {start}
tilstande:
  {start}:
    titel: Start
  slut:
    titel: Slut
    slut: true
hændelser:
  afgoer:
    fra: {start}
    til:
      - {{tilstand: slut, hvis: "{guard}"}}
      - {{tilstand: slut}}
    data: [indstilling]
"""


def problems(guard: str, start: str = "visiteret") -> list[str]:
    _, found = parse_text(BASE.format(guard=guard, start=start), "proeve.yaml")
    return [str(problem) for problem in found]


def test_a_single_equals_sign_is_named_with_the_fix() -> None:
    (problem,) = problems("indstilling = 'fleksjob'")
    assert problem.startswith("proeve.yaml:17:")
    assert "brug '==' for at sammenligne" in problem


@pytest.mark.parametrize(
    "guard",
    [
        "indstilling == 'flexjob'",
        "'flexjob' != indstilling",
        "indstilling in ['ressourceforloeb', 'flexjob']",
        "fritaget or indstilling == 'flexjob'",
    ],
)
def test_a_value_that_is_none_of_the_facts_values_is_a_problem(guard: str) -> None:
    (problem,) = problems(guard)
    assert problem.startswith("proeve.yaml:17:")
    assert "sammenligner 'indstilling' med 'flexjob', som ikke er en af dens værdier" in problem
    assert "(mente du 'fleksjob'?)" in problem
    assert "værdierne er: ressourceforloeb, fleksjob" in problem


@pytest.mark.parametrize(
    "guard",
    [
        "indstilling == 'fleksjob'",
        "indstilling in ['ressourceforloeb', 'fleksjob']",
        "fritaget == true",
        "dato > plus(dato, '1 dag') or indstilling != 'ressourceforloeb'",
    ],
)
def test_comparisons_with_known_values_pass(guard: str) -> None:
    assert problems(guard) == []


def test_a_name_longer_than_the_store_keeps_is_a_problem_at_its_place() -> None:
    long_name = "t" + "_lang" * 13  # 66 characters
    found = problems("indstilling == 'fleksjob'", start=long_name)
    assert any(
        problem.startswith("proeve.yaml:6:")
        and "har 66 tegn" in problem
        and "højst være 64 tegn" in problem
        for problem in found
    ), found


@pytest.mark.parametrize(
    ("text", "line", "column", "hint"),
    [
        ("drejebog: x\ntitel: y\n\tstart: a\n", 3, 1, "ryk ind med mellemrum"),
        ("drejebog: x\ntitel: Mødet: holdt\n", 2, 13, "sæt teksten i anførselstegn"),
        ('drejebog: x\ntitel: "y\nstart: a\n', 4, 1, "et anførselstegn er ikke lukket"),
        ("drejebog: x\ntitel: [a\n", 3, 1, "en liste i [ ] er ikke lukket"),
        ("drejebog: x\ntitel: {a: b\n", 3, 1, "en oversigt i { } er ikke lukket"),
        ("drejebog: x\n- a\n", 2, 1, "indrykningen passer ikke"),
    ],
)
def test_yaml_syntax_errors_are_explained_in_danish_with_a_hint(
    text: str, line: int, column: int, hint: str
) -> None:
    _, found = parse_text(text, "fejl.yaml")
    (problem,) = [str(p) for p in found]
    assert problem.startswith(f"fejl.yaml:{line}:{column}: YAML-syntaksfejl: ")
    assert hint in problem
    assert "expected" not in problem and "found" not in problem  # no English left


def test_a_scenario_file_given_to_check_is_named_as_one() -> None:
    from drejebog.workflows import SCENARIOS_DIR

    path = SCENARIOS_DIR / "ressourceforloeb_anna.yaml"
    _, found = parse_text(path.read_text(encoding="utf-8"), "anna.yaml")
    (problem,) = [str(p) for p in found]
    assert problem.startswith("anna.yaml:")
    assert "dette er en scenariefil" in problem and "drejebog simulate" in problem
