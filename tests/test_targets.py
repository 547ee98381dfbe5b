"""`måltal` in a drejebog (engine/targets.py): what is read, what `check` refuses (in Danish,
at file:line:column), and the pure pieces of the report (app/kpi.py, app/kpi_survival.py):
the Kaplan-Meier median against a hand-computed example, the calendar of periods, and
small groups."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from drejebog.app.kpi import TOO_FEW, period_calendar, share_figure, time_figure
from drejebog.app.kpi_ports import TimeCount
from drejebog.app.kpi_survival import kaplan_meier_median
from drejebog.engine.calendar import WorkingCalendar
from drejebog.engine.durations import Duration, Unit
from drejebog.engine.loader import parse_text
from drejebog.engine.targets import AnchorKind, Goal, Measure, parse_percent

BASE = """\
drejebog: t
titel: T
fakta:
  moede: {titel: Møde, type: dato}
  indstilling: {titel: Indstilling, type: valg, værdier: [ressourceforloeb, andet]}
  svar: {titel: Svar, type: ja_nej}
  timer: {titel: Timer, type: tal}
start: a
tilstande:
  a: {titel: A}
  b: {titel: B}
  slut: {titel: Slut, slut: true}
hændelser:
  videre: {fra: a, til: b, data: [moede, indstilling]}
  praktik: {fra: b, milepæl: true}
  svar_givet: {fra: b, data: [svar]}
  afslut: {fra: b, til: slut}
måltal:
"""
GOOD = """\
  - navn: praktik_3
    titel: 30 % i praktik inden 3 måneder
    milepæl: praktik
    regnes_fra: moede
    inden: 3 måneder
    mål: 30 %
    blandt:
      indstilling: ressourceforloeb
      tilstand: b
  - navn: tid
    titel: Praktik inden 10 uger
    milepæl: [praktik]
    regnes_fra: b
    mål: 10 uger
  - navn: svar
    titel: 35-40 % svarer ja
    faktum: svar
    mål: 35–40 %
"""


def parse(targets: str):
    return parse_text(BASE + targets, "t.yaml")


def test_a_well_formed_maaltal_is_read():
    drejebog, problems = parse(GOOD)
    assert problems == [] and drejebog is not None
    share, time_target, fact = drejebog.targets
    assert (share.measure, share.names, share.within) == (
        Measure.MILESTONE,
        ("praktik",),
        Duration(3, Unit.MONTHS),
    )
    assert (share.anchor.kind, share.anchor.name) == (AnchorKind.FACT, "moede")
    assert share.population_facts == (("indstilling", "ressourceforloeb"),)
    assert share.population_states == ("b",)
    assert share.goal == Goal(30, 30) and not share.is_time
    assert (time_target.anchor.kind, time_target.anchor.name) == (AnchorKind.STATE, "b")
    assert time_target.is_time and str(time_target.goal) == "højst 10 uger"
    assert (fact.measure, fact.value, fact.anchor.kind) == (Measure.FACT, True, AnchorKind.OPENED)
    assert str(fact.goal) == "35–40 %"


MALFORMED = [
    (
        "unknown-event",
        "  - {navn: x, titel: X, milepæl: praktk, regnes_fra: moede, mål: 30 %}\n",
        "1:praktk",
        "ukendt hændelse 'praktk' (mente du 'praktik'?)",
    ),
    (
        "unknown-state",
        "  - {navn: x, titel: X, tilstand: c, regnes_fra: moede, mål: 30 %}\n",
        "1:c,",
        "ukendt tilstand 'c'",
    ),
    (
        "unknown-anchor",
        "  - {navn: x, titel: X, milepæl: praktik, regnes_fra: mode, mål: 30 %}\n",
        "1:mode",
        "ukendt dato-faktum eller tilstand 'mode' i 'regnes_fra' (mente du 'moede'?)",
    ),
    (
        "anchor-not-a-date",
        "  - {navn: x, titel: X, milepæl: praktik, regnes_fra: svar, mål: 30 %}\n",
        "1:svar",
        "'regnes_fra' skal være et dato-faktum eller en tilstand; 'svar' er af typen 'ja_nej'",
    ),
    (
        "percent-over-100",
        "  - {navn: x, titel: X, milepæl: praktik, mål: 130 %}\n",
        "1:130",
        "'mål': '130 %': en procentsats skal ligge mellem 0 og 100 %",
    ),
    (
        "range-backwards",
        "  - {navn: x, titel: X, milepæl: praktik, mål: 40-35 %}\n",
        "1:40-35",
        "'mål': '40-35 %': det mindste tal skal stå først",
    ),
    (
        "not-a-percent",
        "  - {navn: x, titel: X, milepæl: praktik, mål: tredive %}\n",
        "1:tredive",
        "'mål': 'tredive %' er ikke en procentsats; skriv fx '30 %' eller '35-40 %'",
    ),
    (
        "bad-goal",
        "  - {navn: x, titel: X, milepæl: praktik, mål: mange}\n",
        "1:mange",
        "'mål' skal være en procentsats (fx '30 %' eller '35-40 %') eller en tid",
    ),
    (
        "bad-period",
        "  - {navn: x, titel: X, milepæl: praktik, inden: 3 maaneder, mål: 30 %}\n",
        "1:3 maaneder",
        "'inden': ugyldig varighed '3 maaneder': ukendt enhed 'maaneder'",
    ),
    (
        "two-measures",
        "  - {navn: x, titel: X, milepæl: praktik, tilstand: b, mål: 30 %}\n",
        "1:{",
        "måltallet skal måle præcis én ting, men har mere end én af",
    ),
    (
        "no-measure",
        "  - {navn: x, titel: X, mål: 30 %}\n",
        "1:{",
        "måltallet skal måle præcis én ting, men har ingen af",
    ),
    (
        "time-goal-with-period",
        "  - {navn: x, titel: X, milepæl: praktik, inden: 3 måneder, mål: 10 uger}\n",
        "1:{",
        "kan ikke også have 'inden'",
    ),
    (
        "fact-with-period",
        "  - {navn: x, titel: X, faktum: svar, inden: 3 måneder, mål: 90 %}\n",
        "1:{",
        "det kan ikke have 'inden' eller en tid som 'mål'",
    ),
    (
        "fact-of-wrong-type",
        "  - {navn: x, titel: X, faktum: timer, mål: 90 %}\n",
        "1:timer",
        "faktummet 'timer' er af typen 'tal'",
    ),
    (
        "population-unknown-fact",
        "  - {navn: x, titel: X, milepæl: praktik, mål: 30 %, blandt: {indstiling: andet}}\n",
        "1:indstiling",
        "ukendt faktum 'indstiling' (mente du 'indstilling'?)",
    ),
    (
        "population-bad-value",
        "  - {navn: x, titel: X, milepæl: praktik, mål: 30 %, blandt: {indstilling: fleks}}\n",
        "1:fleks",
        "'fleks' er ikke en af værdierne for 'indstilling'",
    ),
    (
        "unknown-key",
        "  - {navn: x, titel: X, milepæl: praktik, maal: 30 %}\n",
        "1:maal",
        "ukendt nøgle 'maal' i måltallet",
    ),
    (
        "missing-goal",
        "  - {navn: x, titel: X, milepæl: praktik}\n",
        "1:{",
        "måltallet mangler 'mål'",
    ),
    (
        "duplicate-name",
        "  - {navn: x, titel: X, milepæl: praktik, mål: 30 %}\n"
        "  - {navn: x, titel: Y, milepæl: praktik, mål: 40 %}\n",
        "2:{",
        "måltallet 'x' står to gange",
    ),
    (
        "not-a-list",
        "  navn: x\n",
        "1:navn",
        "'måltal' skal være en liste",
    ),
]


@pytest.mark.parametrize(
    ("targets", "where", "message"),
    [m[1:] for m in MALFORMED],
    ids=[m[0] for m in MALFORMED],
)
def test_check_refuses_a_malformed_maaltal_in_danish_at_its_position(targets, where, message):
    """`where` is "<line of the måltal list>:<text the problem points at>"."""
    _, problems = parse(targets)
    number, pointer = where.split(":", 1)
    written = targets.splitlines()[int(number) - 1]
    line = BASE.count("\n") + int(number)
    column = written.index(pointer) + 1
    found = [p for p in problems if message in p.message]
    assert found, [str(p) for p in problems]
    assert (found[0].file, found[0].line, found[0].column) == ("t.yaml", line, column)


def test_the_check_command_refuses_a_malformed_maaltal(tmp_path, capsys):
    from drejebog.cli.main import run_check

    path = tmp_path / "t.yaml"
    path.write_text(BASE + "  - {navn: x, titel: X, milepæl: praktik, mål: 130 %}\n", "utf-8")
    assert run_check([str(path)]) == 1
    assert (
        f"{path}:19:48: 'mål': '130 %': en procentsats skal ligge mellem 0 og 100 %"
        in capsys.readouterr().out
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30 %", (30, 30)),
        ("30%", (30, 30)),
        ("35-40 %", (35, 40)),
        ("35–40 %", (35, 40)),
        ("12,5 %", (12.5, 12.5)),
        ("0 %", (0, 0)),
        ("100 %", (100, 100)),
    ],
)
def test_percent_forms(text, expected):
    assert parse_percent(text) == expected


def test_kaplan_meier_median_against_a_hand_computed_example():
    # six cases: events at 1 and 6 weeks, censored at 2, 3, 4 and 5 (still open).
    # At 1: 6 at risk, S = 5/6. Censored 2..5 leave one at risk at 6: S = 5/6 * 0 = 0.
    # The median is 6. Leaving the censored out (events 1 and 6) or counting them as
    # events (1..6) would both say 3.5: far too short.
    rows = [(1, True, 1), (2, False, 1), (3, False, 1), (4, False, 1), (5, False, 1), (6, True, 1)]
    assert kaplan_meier_median(rows) == 6


def test_kaplan_meier_ties_and_counts():
    # 10 cases: 3 events at 2, 1 censored at 2 (still at risk at 2), 2 events at 4, 4 censored
    # at 9. At 2: S = 1 - 3/10 = .7; at risk after: 6. At 4: S = .7 * (1 - 2/6) = .4667 -> 4.
    assert kaplan_meier_median([(2, True, 3), (2, False, 1), (4, True, 2), (9, False, 4)]) == 4
    # with only the first 3 events, never at or below one half: no median yet
    assert kaplan_meier_median([(2, True, 3), (2, False, 1), (9, False, 6)]) is None
    assert kaplan_meier_median([]) is None


def test_exactly_half_is_the_median():
    assert kaplan_meier_median([(3, True, 1), (8, False, 1)]) == 3


def test_a_group_of_fewer_than_five_shows_no_share_and_five_does():
    goal = Goal(30, 30)
    four = share_figure(goal, total=6, decided=4, reached=4)
    assert four.value is None and four.shown(False) == TOO_FEW and four.n == 4
    assert four.pending == 2
    five = share_figure(goal, total=5, decided=5, reached=2)
    assert five.shown(False) == "40 %" and five.meets is True
    small = time_figure(Goal(time=Duration(10, Unit.WEEKS)), [TimeCount("", "2027-01", 3, True, 4)])
    assert small.shown(True) == TOO_FEW


def test_a_range_goal_is_met_at_its_low_end():
    goal = Goal(35, 40)
    assert goal.reached(35) and goal.reached(45) and not goal.reached(34.9)


def test_the_period_calendar_counts_months_and_days_in_copenhagen():
    days = period_calendar(
        date(2027, 1, 31), date(2027, 3, 28), Duration(1, Unit.MONTHS), WorkingCalendar()
    )
    first = days[0]
    # 31 January + 1 måned = 28 February; the period ends as 1 March begins (23:00Z)
    assert first.day == date(2027, 1, 31)
    assert first.start == datetime(2027, 1, 30, 23, 0, tzinfo=UTC)
    assert first.limit == datetime(2027, 2, 28, 23, 0, tzinfo=UTC)
    last = days[-1]  # 28 March 2027 is the day summer time begins: it starts at 23:00Z
    assert last.day == date(2027, 3, 28) and last.start == datetime(2027, 3, 27, 23, 0, tzinfo=UTC)
    # 28 April ends as 29 April begins in summer time: 22:00Z
    assert last.limit == datetime(2027, 4, 28, 22, 0, tzinfo=UTC)
    assert len(days) == 57
    assert (
        period_calendar(date(2027, 1, 1), date(2027, 1, 1), None, WorkingCalendar())[0].limit
        is None
    )
