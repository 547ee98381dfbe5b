"""The shipped drejebøger and their scenarios do exactly what the drejebøger prescribe.

Each scenario's full output is compared with a reviewed golden file (tests/golden), and the
rules a jobcenter checks first are asserted on their own, with the date arithmetic spelt out.
Regenerate a golden file only after reading the diff:
    .venv/bin/python -m tests.test_shipped  (rewrites tests/golden/*.jsonl)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drejebog.cli.main import record_json
from drejebog.engine.deadlines import COPENHAGEN
from drejebog.engine.loader import check_file, drejebog_files
from drejebog.engine.scenario import load_scenario
from drejebog.engine.simulator import simulate
from drejebog.workflows import SCENARIOS_DIR, SHIPPED_DIR

GOLDEN = Path(__file__).resolve().parent / "golden"
SCENARIOS = sorted(SCENARIOS_DIR.glob("*.yaml"))


def lines_of(scenario: Path) -> list[str]:
    return [
        json.dumps(record_json(r), ensure_ascii=False) for r in simulate(load_scenario(scenario))
    ]


def test_shipped_drejeboeger_are_clean():
    files = drejebog_files([SHIPPED_DIR])
    assert {f.name for f in files} == {"ressourceforloeb.yaml", "jobrettet_samtale.yaml"}
    for path in files:
        drejebog, problems = check_file(path)
        assert problems == [] and drejebog is not None


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_output_matches_the_reviewed_golden_file(scenario):
    golden = (GOLDEN / f"{scenario.stem}.jsonl").read_text(encoding="utf-8").splitlines()
    assert lines_of(scenario) == golden


def events(
    scenario: str, case: str, kinds: tuple[str, ...], rule: str | None = None
) -> list[tuple[str, str, str, str | None]]:
    """The case's records of these kinds (and of this rule, if named), as (local time, kind,
    name, role)."""
    return [
        (f"{r.at.astimezone(COPENHAGEN):%Y-%m-%d %H:%M %z}", r.kind, r.name, r.role)
        for r in simulate(load_scenario(SCENARIOS_DIR / scenario))
        if r.case_id == case and r.kind in kinds and rule in (None, r.name)
    ]


def test_late_overdragelse_escalates_over_easter_to_leder_then_projektleder():
    # Rehab meeting Friday 12 March 2027; 14 dage = Friday 26 March (langfredag), an
    # authority deadline, so it moves back past skærtorsdag to Wednesday 24 March. The
    # reminder 3 dage before (Sunday 21 March) moves back to Friday 19 March. The breach
    # day is the first working day after the 24th: Tuesday 30 March (after Easter and the
    # switch to summer time, so +0200). 5 arbejdsdage later: Tuesday 6 April.
    got = events(
        "ressourceforloeb_flere.yaml", "cecilie", ("reminder", "escalation"), "overdragelse"
    )
    assert got == [
        ("2027-03-19 08:00 +0100", "reminder", "overdragelse", "sagsbehandler"),
        ("2027-03-19 08:00 +0100", "reminder", "overdragelse", "koordinerende_sagsbehandler"),
        ("2027-03-30 08:00 +0200", "escalation", "overdragelse", "leder"),
        ("2027-04-06 08:00 +0200", "escalation", "overdragelse", "projektleder"),
    ]


def test_virksomhedskonsulent_rule_both_ways_in_the_shipped_drejebog():
    bo = events("ressourceforloeb_flere.yaml", "bo", ("task",))
    cecilie = events("ressourceforloeb_flere.yaml", "cecilie", ("task",))
    assert "virksomhedskonsulent_overdragelse" not in {e[2] for e in bo}  # 8 months out
    assert (
        "2027-03-12 10:00 +0100",
        "task",
        "virksomhedskonsulent_overdragelse",
        "virksomhedskonsulent",
    ) in cecilie  # no start date set


def test_anna_missing_report_back_reaches_mentor_then_leder():
    kinds = ("checkin_missing", "escalation", "checkin")
    got = events("ressourceforloeb_anna.yaml", "anna", kinds, "maanedlig_tilbagemelding")
    # Fixed due dates from the anchor, Thursday 11 March (the overdragelse): her report-backs
    # on 9 April and 7 May never move them. June is due Friday 11 June; + 3 dage henstand =
    # Monday 14 June; the notice goes out on the next working day, Tuesday 15 June; the
    # leder 5 arbejdsdage later, Tuesday 22 June. Her report-back on 5 July is late for June
    # and in time for July (window 11 June - 12 July, the 11th being a Sunday).
    assert got == [
        ("2027-04-09 15:00 +0200", "checkin", "maanedlig_tilbagemelding", None),
        ("2027-05-07 16:00 +0200", "checkin", "maanedlig_tilbagemelding", None),
        ("2027-06-15 08:00 +0200", "checkin_missing", "maanedlig_tilbagemelding", "mentor"),
        (
            "2027-06-15 08:00 +0200",
            "checkin_missing",
            "maanedlig_tilbagemelding",
            "koordinerende_sagsbehandler",
        ),
        ("2027-06-22 08:00 +0200", "escalation", "maanedlig_tilbagemelding", "leder"),
        ("2027-07-05 11:00 +0200", "checkin", "maanedlig_tilbagemelding", None),
        ("2027-07-05 11:00 +0200", "checkin", "maanedlig_tilbagemelding", None),
        ("2027-08-04 14:00 +0200", "checkin", "maanedlig_tilbagemelding", None),
        ("2027-09-02 15:00 +0200", "checkin", "maanedlig_tilbagemelding", None),
    ]


def test_emil_fixed_report_back_duty_counts_misses_in_a_row():
    """The whole story of the fixed report-back duty (the scenario file explains the dates)."""
    records = [
        r
        for r in simulate(load_scenario(SCENARIOS_DIR / "ressourceforloeb_tilbagemelding.yaml"))
        if r.name in ("maanedlig_tilbagemelding", "tilbagemelding_paa_sagsgennemgang")
        and r.kind != "reminder"
        and r.role != "mentor"  # one line per notice is enough here
    ]
    got = [
        (
            f"{r.at.astimezone(COPENHAGEN):%d.%m}",
            r.kind,
            f"{r.due_date:%d.%m}" if r.due_date else None,
            r.step if r.kind == "checkin" else r.role,
            r.in_a_row,
        )
        for r in records
    ]
    koordinerende = "koordinerende_sagsbehandler"
    assert got == [
        ("08.04", "checkin", "12.04", "til tiden", 0),
        ("18.05", "checkin_missing", "11.05", koordinerende, 1),
        ("20.05", "checkin", "11.05", "for sent", 0),  # stops May's ladder: no leder on 25/5
        ("20.05", "checkin", "11.06", "til tiden", 0),
        ("16.07", "checkin_missing", "12.07", koordinerende, 1),
        ("23.07", "escalation", "12.07", "leder", 0),
        ("16.08", "checkin_missing", "11.08", koordinerende, 2),
        ("20.08", "miss_resolved", "11.08", None, 0),  # the phone call: no leder on 23/8
        ("17.09", "checkin_missing", "13.09", koordinerende, 3),
        ("17.09", "misses_in_a_row", "13.09", koordinerende, 3),
        ("17.09", "misses_in_a_row", "13.09", "leder", 3),
        ("17.09", "task", None, koordinerende, 0),
        ("24.09", "escalation", "13.09", "leder", 0),
        ("15.10", "checkin_missing", "11.10", koordinerende, 4),  # no second rung
        ("22.10", "escalation", "11.10", "leder", 0),
        ("05.11", "checkin", "11.10", "for sent", 0),
        ("05.11", "checkin", "11.11", "til tiden", 0),
        ("17.12", "checkin_missing", "13.12", koordinerende, 1),  # counted from 1 again
        ("27.12", "escalation", "13.12", "leder", 0),
    ]


def test_dorte_ends_when_indstilling_is_fleksjob():
    states = events("ressourceforloeb_flere.yaml", "dorte", ("state",))
    assert [s[2] for s in states][-1] == "anden_indsats"


def _rewrite_golden() -> None:
    for scenario in SCENARIOS:
        text = "\n".join(lines_of(scenario)) + "\n"
        (GOLDEN / f"{scenario.stem}.jsonl").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    _rewrite_golden()


def test_sara_no_shows_ordblindetest_and_too_few_samtaler():
    # issue 11, points 4 and 6: a no-show creates a follow-up task in the state the case is
    # in; the second (a count) also the task to weigh the consequence; a decision starts a
    # deadline of 10 arbejdsdage over Easter; the whole case's cadence (31 March + 3
    # måneder = 30 June) and its minimum of 4 samtaler in 6 måneder (3 held: the leder is
    # told on Tuesday 11 July, the first working day after 10 July)
    kinds = ("task", "escalation", "deadline_started", "reminder", "checkin_missing", "at_least")
    rules = (
        "opfoelg_udeblivelse",
        "vurder_konsekvens",
        "ordblindetest_taget",
        "jobsamtale_kadence",
        "fire_jobsamtaler",
    )
    got = [
        e for e in events("jobrettet_samtale_udeblivelse.yaml", "sara", kinds) if e[2] in rules
    ]
    assert got == [
        ("2028-02-01 11:00 +0100", "task", "opfoelg_udeblivelse", "sagsbehandler"),
        ("2028-03-07 11:00 +0100", "task", "opfoelg_udeblivelse", "sagsbehandler"),
        ("2028-03-07 11:00 +0100", "task", "vurder_konsekvens", "sagsbehandler"),
        ("2028-03-10 08:00 +0100", "escalation", "opfoelg_udeblivelse", "leder"),
        ("2028-04-05 10:00 +0200", "deadline_started", "ordblindetest_taget", "sagsbehandler"),
        ("2028-04-20 08:00 +0200", "reminder", "ordblindetest_taget", "sagsbehandler"),
        ("2028-04-25 08:00 +0200", "escalation", "ordblindetest_taget", "leder"),
        ("2028-07-03 08:00 +0200", "checkin_missing", "jobsamtale_kadence", "sagsbehandler"),
        ("2028-07-11 08:00 +0200", "at_least", "fire_jobsamtaler", "leder"),
    ]
    states = events("jobrettet_samtale_udeblivelse.yaml", "sara", ("state",))
    # the no-shows and the ordblindetest changed no state
    assert [e[0][:10] for e in states] == [
        "2028-01-10",
        "2028-01-11",
        "2028-01-20",
        "2028-02-08",
        "2028-03-31",
        "2028-07-05",
        "2028-08-02",
    ]
