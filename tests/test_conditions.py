"""`hvis` on deadlines, recurring duties, reminders and escalation rungs (issue 11, point 7).

A deadline's or duty's `hvis` is judged when the rule is planned (the case enters the state,
or its anchor moves) and again when an event changes a fact it uses: when it no longer holds,
the rule stops. A reminder's or rung's `hvis` is judged on the case's facts when it is due.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from drejebog.engine.errors import BadEventData
from drejebog.engine.loader import load_file, parse_text
from drejebog.engine.model import Drejebog, TimerKind
from drejebog.engine.runtime import CaseRuntime
from tests.conftest import FIXTURES, brief, local, run_case


@pytest.fixture(scope="module")
def betingelser() -> Drejebog:
    return load_file(FIXTURES / "betingelser.yaml")


RESSOURCE = {"indsats": "ressourceforloeb", "fritaget": "nej"}


def _names(records, kind: str) -> list[str]:
    return [r.name for r in records if r.kind == kind]


def test_a_deadline_is_planned_only_when_its_condition_holds_at_entry(betingelser):
    # Opened Monday 1 March 2027: plan due 15 March, breach Tuesday 16 March (leder);
    # the 7-dage rung applies only to jobafklaring; the 14-dage rung (30 March) to all.
    records = run_case(betingelser, "2027-03-01 09:00", [], "2027-03-31 23:00", RESSOURCE)
    plan = [r for r in brief(records) if r[2] == "plan"]
    assert plan == [
        ("2027-03-16 08:00", "escalation", "plan", "leder"),
        ("2027-03-30 08:00", "escalation", "plan", "projektleder"),
    ]
    skipped = run_case(
        betingelser,
        "2027-03-01 09:00",
        [],
        "2027-03-31 23:00",
        {"indsats": "jobafklaring", "fritaget": "nej"},
    )
    assert "plan" not in {r.name for r in skipped}


def test_a_rung_left_out_by_its_condition_still_lets_the_ladder_go_on(betingelser):
    runtime = CaseRuntime(betingelser)
    opened = runtime.open_case("sag", local("2027-03-01 09:00"), RESSOURCE)
    first = next(t for t in opened.schedule if t.rule == "plan")
    assert first.kind is TimerKind.ESCALATION and first.index == 0
    fired = runtime.fire(opened.case, first, first.due_at)
    (second,) = fired.schedule
    assert second.index == 1
    # rung 1 applies only to jobafklaring: it fires silently and plans rung 2
    silent = runtime.fire(opened.case, second, second.due_at)
    assert silent.records == []
    (third,) = silent.schedule
    assert third.index == 2
    assert [r.role for r in runtime.fire(opened.case, third, third.due_at).records] == [
        "projektleder"
    ]


def test_a_rung_condition_is_judged_on_the_facts_when_it_is_due(betingelser):
    runtime = CaseRuntime(betingelser)
    opened = runtime.open_case("sag", local("2027-03-01 09:00"), RESSOURCE)
    rung = next(t for t in opened.schedule if t.rule == "plan")
    later = runtime.fire(opened.case, rung, rung.due_at).schedule[0]
    # the same rung fires for a case whose facts say jobafklaring when it is due
    # (set directly: through an event, the deadline's own `hvis` would end the deadline)
    changed = replace(opened.case, facts={**opened.case.facts, "indsats": "jobafklaring"})
    assert [r.role for r in runtime.fire(changed, later, later.due_at).records] == ["projektleder"]


def test_an_exempted_citizen_has_no_report_back_duty(betingelser):
    exempt = run_case(
        betingelser,
        "2027-03-01 09:00",
        [],
        "2027-06-30 23:00",
        {"indsats": "ressourceforloeb", "fritaget": "ja"},
    )
    assert "tilbagemelding" not in {r.name for r in exempt}
    bound = run_case(betingelser, "2027-03-01 09:00", [], "2027-04-20 23:00", RESSOURCE)
    # due 1 April (Thursday, the borger's adjustment: forward; 1 April 2027 is no holiday)
    # reminder 2 dage før = 30 March; missing notice on the first working day after: 2 April
    duty = [r for r in brief(bound) if r[2] == "tilbagemelding"]
    assert duty == [
        ("2027-03-30 08:00", "reminder", "tilbagemelding", "borger"),
        ("2027-04-02 08:00", "checkin_missing", "tilbagemelding", "mentor"),
    ]


def test_an_exemption_during_the_state_stops_the_running_duty(betingelser):
    records = run_case(
        betingelser,
        "2027-03-01 09:00",
        [("2027-03-10 10:00", "fritag", {})],
        "2027-06-30 23:00",
        RESSOURCE,
    )
    assert "tilbagemelding" not in _names(records, "reminder")
    assert "tilbagemelding" not in _names(records, "checkin_missing")


def test_a_fact_change_that_ends_a_deadline_lapses_it(betingelser):
    runtime = CaseRuntime(betingelser)
    opened = runtime.open_case("sag", local("2027-03-01 09:00"), RESSOURCE)
    assert "plan" in opened.case.open_rules
    step = runtime.apply(
        opened.case, "skift_indsats", {"indsats": "jobafklaring"}, local("2027-03-05 10:00")
    )
    assert "plan" not in step.case.open_rules
    assert "plan" in step.cancel_rules
    assert [(r.rule, r.outcome) for r in step.results] == [("plan", "bortfaldet")]
    assert not [t for t in step.schedule if t.rule == "plan"]
    # the duty's condition does not use `indsats`: it keeps running, untouched
    assert "tilbagemelding" in step.case.cycles
    assert "tilbagemelding" not in step.cancel_rules


def test_a_condition_that_later_holds_starts_nothing_until_the_state_is_entered_again(
    betingelser,
):
    runtime = CaseRuntime(betingelser)
    opened = runtime.open_case(
        "sag", local("2027-03-01 09:00"), {"indsats": "jobafklaring", "fritaget": "nej"}
    )
    step = runtime.apply(
        opened.case, "skift_indsats", {"indsats": "ressourceforloeb"}, local("2027-03-05 10:00")
    )
    assert "plan" not in step.case.open_rules
    assert not [t for t in step.schedule if t.rule == "plan"]


def test_a_reminder_condition_is_judged_when_the_reminder_is_due(betingelser):
    # The reminder goes to the citizen only in a ressourceforløb; the duty itself applies.
    records = run_case(
        betingelser,
        "2027-03-01 09:00",
        [("2027-03-05 10:00", "skift_indsats", {"indsats": "jobafklaring"})],
        "2027-04-20 23:00",
        RESSOURCE,
    )
    duty = [r for r in brief(records) if r[2] == "tilbagemelding"]
    assert duty == [("2027-04-02 08:00", "checkin_missing", "tilbagemelding", "mentor")]


def test_a_condition_that_cannot_be_computed_when_planned_is_a_clear_error():
    # `timer_pr_uge > 10` with no number on the case cannot be judged
    text = (FIXTURES / "betingelser.yaml").read_text(encoding="utf-8")
    unguarded, problems = parse_text(
        text.replace("timer_pr_uge is not none and timer_pr_uge > 10", "timer_pr_uge > 10"),
        "betingelser.yaml",
    )
    assert unguarded is not None and problems == []
    runtime = CaseRuntime(unguarded)
    with pytest.raises(BadEventData) as caught:
        runtime.open_case("sag", local("2027-03-01 09:00"), {"fritaget": "nej"})
    assert "betingelsen 'timer_pr_uge > 10' for 'timer_aftalt' kunne ikke beregnes" in str(
        caught.value
    )


def test_a_deadline_condition_over_a_number(betingelser):
    many = CaseRuntime(betingelser).open_case(
        "sag", local("2027-03-01 09:00"), {**RESSOURCE, "timer_pr_uge": "12"}
    )
    few = CaseRuntime(betingelser).open_case(
        "sag", local("2027-03-01 09:00"), {**RESSOURCE, "timer_pr_uge": "8"}
    )
    assert "timer_aftalt" in many.case.open_rules
    assert "timer_aftalt" not in few.case.open_rules


@pytest.mark.parametrize(
    ("place", "line", "column"),
    [
        ("frist", 13, 15),
        ("pligt", 20, 15),
        ("påmindelse", 22, 46),
        ("eskaleringstrin", 17, 47),
    ],
)
def test_check_names_an_unknown_fact_in_each_kind_of_condition(place, line, column):
    text = """\
drejebog: d
titel: D
version: 1
fakta:
  kendt: {titel: Kendt, type: ja_nej}
start: a
tilstande:
  a:
    titel: A
    frister:
      - navn: f
        frist: 7 dage
        hvis: "@frist@"
        ejer: sagsbehandler
        opfyldes_af: e
        eskalering:
          - {efter: 0 dage, til: leder, hvis: "@eskaleringstrin@"}
    tilbagevendende:
      - navn: p
        hvis: "@pligt@"
        påmindelser:
          - {før: 2 dage, til: borger, hvis: "@påmindelse@"}
        hver: 1 måned
        ejer: borger
        opfyldes_af: e
  b:
    titel: B
    slut: true
hændelser:
  e:
    fra: a
  slut:
    fra: a
    til: b
"""
    conditions = {key: "kendt" for key in ("frist", "pligt", "påmindelse", "eskaleringstrin")}
    conditions[place] = "ukendt == 1"
    for key, condition in conditions.items():
        text = text.replace(f"@{key}@", condition)
    _, problems = parse_text(text, "d.yaml")
    found = [(p.line, p.column, p.message) for p in problems]
    assert found == [
        (
            line,
            column,
            "'hvis' bruger 'ukendt', som ikke er et faktum (mente du 'kendt'?); "
            "erklær det under 'fakta'",
        )
    ]
