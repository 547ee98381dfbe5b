"""Work not tied to one state, and counting (issue 11, points 4 and 6), in the pure engine.

The fixture (tests/fixtures/hele_sagen.yaml) opens Monday 1 March 2027 09:00. The whole
case has a plan task, a cadence of samtaler every 6 uger and at least 4 samtaler within
6 måneder (checked Thursday 2 September 08:00, the first working day after 1 September).
A no-show (`udeblevet`) creates a follow-up task without changing state, and from the second
no-show (a count) a task that ends with its state; a decision to screen starts a deadline of
10 arbejdsdage.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from drejebog.engine.codec import (
    facts_from_json,
    facts_to_json,
    runtime_to_json,
    snapshot_from_json,
)
from drejebog.engine.deadlines import local_date
from drejebog.engine.diagram import render
from drejebog.engine.errors import BadEventData, GuardRejected
from drejebog.engine.loader import load_file, parse_text
from drejebog.engine.model import Drejebog, TimerKind
from drejebog.engine.runtime import CaseRuntime, CaseSnapshot, Step
from tests.conftest import FIXTURES, brief, local, run_case

OPENED = "2027-03-01 09:00"
TEST = "ordblindetest"
TEXT = (FIXTURES / "hele_sagen.yaml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def casewide() -> Drejebog:
    return load_file(FIXTURES / "hele_sagen.yaml")


def _run(drejebog: Drejebog, events: list[tuple[str, str]], end: str = "2027-09-30 23:00"):
    return run_case(drejebog, OPENED, [(at, name, {}) for at, name in events], end)


def _steps(drejebog: Drejebog, events: list[tuple[str, str]]) -> tuple[CaseRuntime, list[Step]]:
    """Open the case and apply `events` (no timers fired), each Step kept."""
    runtime = CaseRuntime(drejebog)
    steps = [runtime.open_case("sag", local(OPENED))]
    for at, name in events:
        steps.append(runtime.apply(steps[-1].case, name, {}, local(at)))
    return runtime, steps


def test_a_no_show_creates_a_follow_up_task_and_the_case_stays_in_its_state(casewide):
    _, (opened, no_show) = _steps(casewide, [("2027-03-10 10:00", "udeblevet")])
    assert no_show.case.state == "samtaler" and no_show.previous_state == "samtaler"
    assert [(r.kind, r.name, r.role, r.due_date) for r in no_show.records] == [
        ("task", "opfoelg_udeblivelse", "sagsbehandler", date(2027, 3, 12))  # 2 arbejdsdage
    ]
    assert no_show.case.facts["udeblivelser"] == 1
    # the whole case's and the state's rules run on as they were: nothing cancelled
    assert no_show.cancel_rules == []
    assert no_show.case.cycles == opened.case.cycles


def test_the_count_decides_the_second_task_and_an_open_task_is_not_created_twice(casewide):
    _, steps = _steps(
        casewide, [("2027-03-10 10:00", "udeblevet"), ("2027-03-12 10:00", "udeblevet")]
    )
    second = steps[-1]
    assert second.case.facts["udeblivelser"] == 2
    # opfoelg_udeblivelse is still open: not again; vurder_sanktion: `hvis udeblivelser >= 2`
    assert [(r.kind, r.name) for r in second.records] == [("task", "vurder_sanktion")]
    assert set(second.case.open_tasks) == {"lav_plan", "opfoelg_udeblivelse", "vurder_sanktion"}


def test_the_follow_up_escalates_and_is_met_by_the_next_samtale(casewide):
    records = _run(
        casewide, [("2027-03-10 10:00", "udeblevet"), ("2027-03-15 10:00", "samtale_holdt")]
    )
    got = [r for r in brief(records) if r[2] == "opfoelg_udeblivelse"]
    assert got == [
        ("2027-03-10 10:00", "task", "opfoelg_udeblivelse", "sagsbehandler"),
        # due Friday 12 March; the ladder counts from the next working day, Monday 15 March
        ("2027-03-15 08:00", "escalation", "opfoelg_udeblivelse", "leder"),
    ]


def test_what_an_event_started_outlives_a_state_change_unless_it_ends_with_its_state(casewide):
    _, steps = _steps(
        casewide,
        [
            ("2027-03-10 10:00", "udeblevet"),
            ("2027-03-12 10:00", "udeblevet"),
            ("2027-04-01 10:00", "start_kursus"),
        ],
    )
    moved = steps[-1]
    assert moved.case.state == "kursus"
    assert set(moved.case.open_tasks) == {"lav_plan", "opfoelg_udeblivelse"}
    assert [(r.rule, r.outcome) for r in moved.results] == [("vurder_sanktion", "bortfaldet")]
    assert moved.cancel_rules == ["vurder_sanktion"]
    # the follow-up keeps its deadline and its plan (its timers are not planned again)
    before = steps[-2].case.open_rules["opfoelg_udeblivelse"]
    assert moved.case.open_rules["opfoelg_udeblivelse"] == before
    assert not [t for t in moved.schedule if t.rule == "opfoelg_udeblivelse"]


def test_the_screening_deadline_counts_10_arbejdsdage_over_easter(casewide):
    # decided Monday 22 March 2027: 23, 24 March, then skærtorsdag, langfredag and
    # 2. påskedag are closed; 30, 31 March, 1, 2, 5, 6, 7, 8 April: due Thursday 8 April
    records = _run(casewide, [("2027-03-22 10:00", "screening_besluttet")])
    got = [(r.kind, r.due_date, f"{local_date(r.at)}") for r in records if r.name == TEST]
    assert got == [
        ("deadline_started", date(2027, 4, 8), "2027-03-22"),
        ("escalation", date(2027, 4, 8), "2027-04-09"),
    ]
    met = _run(
        casewide,
        [("2027-03-22 10:00", "screening_besluttet"), ("2027-04-08 15:00", "screening_holdt")],
    )
    assert [r.kind for r in met if r.name == TEST] == ["deadline_started"]


def test_the_whole_case_runs_across_states_and_ends_with_the_case(casewide):
    runtime, steps = _steps(
        casewide,
        [
            ("2027-03-15 10:00", "samtale_holdt"),
            ("2027-04-01 10:00", "start_kursus"),
            ("2027-05-10 10:00", "slut_kursus"),
        ],
    )
    opened = steps[0]
    assert {t.rule for t in opened.schedule} == {"kadence", "fire_samtaler"}
    assert [(r.kind, r.name) for r in opened.records] == [
        ("state", "samtaler"),
        ("task", "lav_plan"),
    ]
    cycle = steps[1].case.cycles["kadence"]  # restarted by the samtale on 15 March
    for step in steps[2:]:
        assert step.case.cycles["kadence"] == cycle
        assert "lav_plan" in step.case.open_tasks and "fire_samtaler" in step.case.open_rules
        assert not {"kadence", "lav_plan", "fire_samtaler"} & set(step.cancel_rules)
    done = runtime.apply(steps[-1].case, "i_job", {}, local("2027-05-20 10:00"))
    assert done.case.state == "job"
    assert {"kadence", "lav_plan", "fire_samtaler"} <= set(done.cancel_rules)
    assert not done.case.open_rules and not done.case.open_tasks and not done.case.cycles
    ended = _run(casewide, [("2027-03-15 10:00", "samtale_holdt"), ("2027-05-20 10:00", "i_job")])
    assert [r.kind for r in ended if r.at > local("2027-05-20 10:00")] == []


def test_too_few_samtaler_in_6_maaneder_tell_the_leder_once(casewide):
    samtaler = [(f"2027-0{m}-15 10:00", "samtale_holdt") for m in (3, 4, 5)]
    records = _run(casewide, samtaler)
    checks = [r for r in records if r.name == "fire_samtaler"]
    assert [(brief([r])[0], r.step) for r in checks] == [
        (("2027-09-02 08:00", "at_least", "fire_samtaler", "leder"), "3 af 4")
    ]


def test_enough_samtaler_send_nothing(casewide):
    samtaler = [(f"2027-0{m}-15 10:00", "samtale_holdt") for m in (3, 4, 5, 8)]
    records = _run(casewide, samtaler)
    checks = [(r.kind, r.role, r.step) for r in records if r.name == "fire_samtaler"]
    assert checks == [("at_least_met", None, "4 af 4")]


def test_a_samtale_after_the_period_does_not_count(casewide):
    # the 4th samtale on Thursday 2 September is after the period (it ended 1 September)
    samtaler = [(f"2027-0{m}-15 10:00", "samtale_holdt") for m in (3, 4, 5)]
    records = _run(casewide, [*samtaler, ("2027-09-02 10:00", "samtale_holdt")])
    assert [r.step for r in records if r.kind == "at_least"] == ["3 af 4"]


def test_a_guard_uses_the_count(casewide):
    runtime, (opened,) = _steps(casewide, [])
    with pytest.raises(GuardRejected):
        runtime.apply(opened.case, "i_job", {}, local("2027-03-02 10:00"))
    held = runtime.apply(opened.case, "samtale_holdt", {}, local("2027-03-02 10:00"))
    assert runtime.apply(held.case, "i_job", {}, local("2027-03-03 10:00")).case.state == "job"


def test_a_counting_fact_cannot_be_set_when_the_case_opens(casewide):
    with pytest.raises(BadEventData, match="'jobsamtaler' tæller hændelser"):
        CaseRuntime(casewide).open_case("sag", local(OPENED), {"jobsamtaler": 7})


def test_a_mindst_rule_in_a_state_counts_from_its_entry():
    text = TEXT.replace(
        "  kursus:\n    titel: På kursus\n",
        "  kursus:\n    titel: På kursus\n    mindst:\n      - navn: to_paa_kursus\n"
        "        faktum: jobsamtaler\n        antal: 2\n        inden: 4 uger\n"
        "        til: sagsbehandler\n",
    )
    drejebog, problems = parse_text(text, "kursus.yaml")
    assert problems == [] and drejebog is not None
    records = _run(
        drejebog,
        [
            ("2027-03-15 10:00", "samtale_holdt"),
            ("2027-03-16 10:00", "samtale_holdt"),
            ("2027-04-01 10:00", "start_kursus"),  # 4 uger: to 29 April, checked 30 April
            ("2027-04-20 10:00", "samtale_holdt"),
        ],
    )
    got = [(brief([r])[0], r.step) for r in records if r.name == "to_paa_kursus"]
    assert got == [(("2027-04-30 08:00", "at_least", "to_paa_kursus", "sagsbehandler"), "1 af 2")]


def _reloaded(drejebog: Drejebog, case: CaseSnapshot) -> CaseSnapshot:
    facts = facts_to_json(dict(case.facts))
    return snapshot_from_json(
        drejebog, case.id, case.state, facts, runtime_to_json(case), case.entered_at
    )


def test_the_count_and_where_a_rule_counts_from_survive_the_case_json(casewide):
    runtime, steps = _steps(
        casewide, [("2027-03-15 10:00", "samtale_holdt"), ("2027-04-01 10:00", "start_kursus")]
    )
    case = steps[-1].case
    reloaded = _reloaded(casewide, case)
    assert reloaded == case
    # a case stored before the counting fact existed reads it as 0
    assert facts_from_json(casewide, {})["jobsamtaler"] == 0
    (check,) = [t for t in steps[0].schedule if t.kind is TimerKind.AT_LEAST]
    fired = runtime.fire(reloaded, check, check.due_at)
    assert [(r.kind, r.step) for r in fired.records] == [("at_least", "1 af 4")]
    assert "fire_samtaler" not in fired.case.open_rules
    # fired once: the same timer again is no longer current and produces nothing
    assert runtime.fire(fired.case, check, check.due_at).records == []


def test_a_migration_keeps_the_whole_case_and_what_events_started(casewide):
    newer, problems = parse_text(TEXT.replace("version: 1", "version: 2"), "v2.yaml")
    assert problems == [] and newer is not None
    _, steps = _steps(
        casewide,
        [
            ("2027-03-10 10:00", "udeblevet"),
            ("2027-03-15 10:00", "samtale_holdt"),
            ("2027-03-22 10:00", "screening_besluttet"),
        ],
    )
    case = steps[-1].case
    moved = CaseRuntime(newer).migrate(case, casewide, "samtaler", local("2027-03-25 10:00"))
    assert set(moved.case.open_tasks) == set(case.open_tasks) == {"lav_plan"}
    assert moved.case.open_rules["ordblindetest"].due_date == date(2027, 4, 8)
    assert moved.case.open_rules["fire_samtaler"].anchor == date(2027, 3, 1)
    assert moved.case.cycles["kadence"].anchor == case.cycles["kadence"].anchor
    assert moved.records == []  # no task created again
    assert {t.rule for t in moved.schedule} == {"ordblindetest", "kadence", "fire_samtaler"}


def test_a_check_due_before_a_migration_tells_only_when_too_few(casewide):
    runtime, (opened,) = _steps(casewide, [])
    (check,) = [t for t in opened.schedule if t.kind is TimerKind.AT_LEAST]
    fired = runtime.fire_superseded(opened.case, check, check.due_at)
    assert [(r.kind, r.role, r.step) for r in fired.records] == [("at_least", "leder", "0 af 4")]
    assert fired.case is opened.case
    enough = replace(opened.case, facts={**opened.case.facts, "jobsamtaler": 4})
    assert runtime.fire_superseded(enough, check, check.due_at).records == []


def test_the_diagram_shows_the_whole_case_and_what_events_start(casewide):
    mermaid = render(casewide, "mermaid")
    title = mermaid.split("\n")[1]
    assert title.endswith(
        " · hele sagen – opgave lav_plan (sagsbehandler); kadence hver 6 uger (sagsbehandler); "
        "mindst 4 jobsamtaler inden 6 måneder (leder)"
    )
    assert ":" not in title  # Mermaid's front matter
    assert "screening_besluttet starter frist ordblindetest: 10 arbejdsdage" in mermaid
    assert "udeblevet starter opgave opfoelg_udeblivelse (sagsbehandler)" in mermaid
    assert "udeblevet starter" in render(casewide, "dot")


def test_a_deadline_whose_hvis_reads_the_count_stops_when_the_count_is_reached():
    text = TEXT.replace(
        "  samtaler:\n    titel: Samtaleforløb\n",
        "  samtaler:\n    titel: Samtaleforløb\n    frister:\n      - navn: to_samtaler\n"
        "        frist: 3 uger\n        ejer: sagsbehandler\n        hvis: jobsamtaler < 2\n"
        "        opfyldes_af: plan_lavet\n        eskalering:\n"
        "          - {efter: 0 dage, til: leder}\n",
    )
    drejebog, problems = parse_text(text, "to.yaml")
    assert problems == [] and drejebog is not None
    _, steps = _steps(
        drejebog, [("2027-03-02 10:00", "samtale_holdt"), ("2027-03-03 10:00", "samtale_holdt")]
    )
    first, second = steps[1], steps[2]
    assert "to_samtaler" in first.case.open_rules  # 1 < 2: still applies
    assert "to_samtaler" not in second.case.open_rules and "to_samtaler" in second.cancel_rules
    assert [(r.rule, r.outcome) for r in second.results] == [("to_samtaler", "bortfaldet")]


@pytest.mark.parametrize("due_dates", ["fra_opfyldelse", "faste"])
def test_a_whole_case_duty_met_by_an_event_that_moves_the_case_goes_on(due_dates):
    text = TEXT.replace(
        "      opfyldes_af: samtale_holdt\n      mangler:",
        f"      opfyldes_af: [samtale_holdt, start_kursus, i_job]\n"
        f"      fristdage: {due_dates}\n      mangler:",
    )
    drejebog, problems = parse_text(text, "flyt.yaml")
    assert problems == [] and drejebog is not None
    runtime, (opened, moved) = _steps(drejebog, [("2027-03-05 10:00", "start_kursus")])
    assert moved.case.state == "kursus"
    planned = {t.step for t in moved.schedule if t.rule == "kadence"}
    assert "mangler" in planned  # the duty's next occurrence is planned: it goes on
    assert moved.case.cycles["kadence"].occurrence != opened.case.cycles["kadence"].occurrence
    held = runtime.apply(moved.case, "samtale_holdt", {}, local("2027-03-06 10:00")).case
    done = runtime.apply(held, "i_job", {}, local("2027-03-08 10:00"))
    assert done.case.state == "job"  # the case ends: nothing of the duty is planned again
    assert [t for t in done.schedule if t.rule == "kadence"] == []
    assert "kadence" in done.cancel_rules and not done.case.cycles


def test_an_event_that_moves_the_case_judges_the_hvis_of_what_keeps_running():
    text = TEXT.replace(
        "    tæller: [samtale_holdt]\n", "    tæller: [samtale_holdt, start_kursus]\n"
    )
    text = text.replace(
        "        frist: 10 arbejdsdage\n",
        "        frist: 10 arbejdsdage\n        hvis: jobsamtaler < 2\n",
    )
    drejebog, problems = parse_text(text, "hvis.yaml")
    assert problems == [] and drejebog is not None
    _, steps = _steps(
        drejebog,
        [
            ("2027-03-22 10:00", "screening_besluttet"),
            ("2027-03-23 10:00", "samtale_holdt"),  # 1 < 2: it still applies
            ("2027-03-24 10:00", "start_kursus"),  # counted: 2, and the case moves
        ],
    )
    assert "ordblindetest" in steps[2].case.open_rules
    moved = steps[3]
    assert moved.case.state == "kursus" and "ordblindetest" not in moved.case.open_rules
    assert ("ordblindetest", "bortfaldet") in [(r.rule, r.outcome) for r in moved.results]
