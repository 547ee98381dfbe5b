"""The KPI report on SQLite and PostgreSQL: every `måltal` kind computed over a constructed
set of cases whose answers are worked out by hand below, including cases not yet settled,
censored cases, a group too small to show, both sides of a period's last instant, a case
just outside the report's period and one outside the target's population.

The cases (drejebog KPI below; anchor = the date fact `moede`; report period January and
February 2027; the report is made on 20 March 2027 09:00 Copenhagen = 08:00Z):

    case   moede       team   praktik_startet      aktivitet_startet  svar
    f1     2027-02-10  team1  05 Mar 08:00Z                           ja
    f2     2027-02-10  team1  10 Mar 22:59Z (*)                       ja
    f3     2027-02-10  team1  10 Mar 23:00Z (*)                       ja
    f4     2027-02-10  team1                       15 Mar 08:00Z      ja
    f5     2027-02-10  team1                                          nej
    f6     2027-02-10  team1
    f7     2027-02-25  team1  05 Mar 08:00Z
    j1-j3  2027-01-15  team2
    x1     2027-03-01  team1  05 Mar 08:00Z       (outside the period)
    a1     2027-02-10  team1  (indstilling andet: outside the population)

(*) "inden 1 måned" from 10 February ends with 10 March, i.e. before 11 March 00:00 in
Copenhagen = 10 March 23:00Z: f2 is in time by a minute, f3 is not.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from drejebog.app.firing import Channels, sweep
from drejebog.app.kpi import NO_MEDIAN, TOO_FEW, FigureRef, KpiReports, ReportRequest
from drejebog.app.kpi_ports import GROUP_TEAM, GROUP_WORKER
from drejebog.app.settings import Settings
from drejebog.bootstrap import App, bootstrap
from drejebog.engine.clock import SimulatedClock
from drejebog.engine.errors import NotFound
from drejebog.store.kpi_queries import SqlKpiStore
from tests.store.backends import SqlBackend
from tests.store.conftest import staff

KPI_DREJEBOG = """\
drejebog: kpi
titel: Måltal til test
fakta:
  moede: {titel: Møde, type: dato}
  indstilling: {titel: Indstilling, type: valg, værdier: [ressourceforloeb, andet]}
  svar: {titel: Samtalen var inddragende, type: ja_nej}
start: visiteret
tilstande:
  visiteret: {titel: Visiteret}
  forloeb:
    titel: Forløb
    frister:
      - navn: praktik_frist
        titel: Praktik inden en uge
        frist: 1 uge
        ejer: sagsbehandler
        opfyldes_af: praktik_startet
        eskalering:
          - {efter: 0 dage, til: leder}
  anden: {titel: Anden indsats, slut: true}
  afsluttet: {titel: Afsluttet, slut: true}
hændelser:
  moede_holdt:
    fra: visiteret
    data: [moede, indstilling]
    til:
      - {tilstand: forloeb, hvis: "indstilling == 'ressourceforloeb'"}
      - {tilstand: anden}
  praktik_startet: {fra: forloeb, milepæl: true}
  aktivitet_startet: {fra: forloeb, milepæl: true}
  svar_givet: {fra: forloeb, data: [svar]}
  afslut: {fra: forloeb, til: afsluttet}
måltal:
  - navn: praktik_1_maaned
    titel: 30 % i praktik inden 1 måned
    milepæl: praktik_startet
    regnes_fra: moede
    inden: 1 måned
    mål: 30 %
    blandt: {indstilling: ressourceforloeb}
  - navn: aktivitet_4_uger
    titel: Første aktivitet inden 4 uger
    milepæl: [praktik_startet, aktivitet_startet]
    regnes_fra: moede
    mål: 4 uger
    blandt: {indstilling: ressourceforloeb}
  - navn: inddragende
    titel: 90 % finder samtalen inddragende
    faktum: svar
    regnes_fra: moede
    mål: 90 %
    blandt: {indstilling: ressourceforloeb}
  - navn: praktik_fra_forloeb
    titel: Halvdelen i praktik inden en uge i forløbet
    milepæl: praktik_startet
    regnes_fra: forloeb
    inden: 1 uge
    mål: 50 %
  - navn: svar_fra_oprettelse
    titel: 90 % finder samtalen inddragende (regnet fra sagens oprettelse)
    faktum: svar
    mål: 90 %
"""

CASES = {  # name: (moede, indstilling, sagsbehandler)
    **{f"f{i}": ("2027-02-10", "ressourceforloeb", "anna_s") for i in range(1, 7)},
    "f7": ("2027-02-25", "ressourceforloeb", "anna_s"),
    **{f"j{i}": ("2027-01-15", "ressourceforloeb", "bent") for i in range(1, 4)},
    "x1": ("2027-03-01", "ressourceforloeb", "anna_s"),
    "a1": ("2027-02-10", "andet", "anna_s"),
}
AT = {
    "03-05": datetime(2027, 3, 5, 8, 0, tzinfo=UTC),
    "03-09": datetime(2027, 3, 9, 8, 0, tzinfo=UTC),
    "last minute": datetime(2027, 3, 10, 22, 59, tzinfo=UTC),
    "too late": datetime(2027, 3, 10, 23, 0, tzinfo=UTC),
    "03-15": datetime(2027, 3, 15, 8, 0, tzinfo=UTC),
    "report": datetime(2027, 3, 20, 8, 0, tzinfo=UTC),
}
PERIOD = ReportRequest(date(2027, 1, 1), date(2027, 2, 28), drejebog_id="kpi")


@pytest.fixture
def app(database_url: str, clock: SimulatedClock) -> Iterator[App]:
    """The schema as `drejebog db upgrade` makes it (the report command requires it)."""
    application = bootstrap(Settings(database_url), clock)
    application.upgrade_schema()
    try:
        yield application
    finally:
        application.engine.dispose()


@pytest.fixture
def kpi_app(app, clock, tmp_path: Path):
    """The staff, citizen and KPI drejebog, and the cases of the module docstring."""
    backend = staff(SqlBackend(app))
    backend.admin.add_worker(
        "bent", "Bent Sagsbehandler", "sagsbehandler", "bent@jobcenter.dk", "team2", "lene"
    )
    path = tmp_path / "kpi.yaml"
    path.write_text(KPI_DREJEBOG, encoding="utf-8")
    backend.admin.load_drejebog_files([path])
    ids = {}
    for number, (name, (moede, indstilling, worker)) in enumerate(CASES.items()):
        cpr = f"{61 + number:02d}0190-{5000 + number:04d}"
        backend.admin.add_citizen(cpr, f"Borger {name}")
        case_id = app.cases.open_case(
            cpr, "kpi", "anna_s", assignments={"sagsbehandler": worker}
        ).case_id
        app.cases.apply_event(
            case_id, "moede_holdt", {"moede": moede, "indstilling": indstilling}, "anna_s"
        )
        ids[name] = case_id

    def event(at: str, name: str, kind: str, data: dict[str, object] | None = None) -> None:
        clock.advance_to(AT[at])
        app.cases.apply_event(ids[name], kind, data or {}, "anna_s")

    for name in ("f1", "f7", "x1"):
        event("03-05", name, "praktik_startet")
    for name, answer in (("f1", True), ("f2", True), ("f3", True), ("f4", True), ("f5", False)):
        event("03-05", name, "svar_givet", {"svar": answer})
    clock.advance_to(AT["03-09"])
    sweep(app.unit_of_work, clock.now(), Channels())  # the deadline's escalation fires
    event("last minute", "f2", "praktik_startet")
    event("too late", "f3", "praktik_startet")
    event("03-15", "f4", "aktivitet_startet")
    clock.advance_to(AT["report"])
    return app


def reports(app, clock) -> KpiReports:
    return KpiReports(SqlKpiStore(app.engine), clock)


def figures(app, clock, request: ReportRequest = PERIOD):
    (drejebog,) = reports(app, clock).report(request).drejeboeger
    return drejebog, {t.target.name: t for t in drejebog.targets}


def test_a_share_within_a_period_counts_only_settled_cases(kpi_app, clock):
    _, targets = figures(kpi_app, clock)
    praktik = targets["praktik_1_maaned"]
    # f1..f6 and j1..j3 settled (their month has passed), f7 not yet; reached: f1 and f2
    overall = praktik.overall
    assert (overall.n, overall.reached, overall.pending) == (9, 2, 1)
    assert overall.shown(False) == "22 %" and overall.meets is False
    months = dict(praktik.by_month)
    assert months["2027-01"].value is None and months["2027-01"].note == TOO_FEW
    assert months["2027-01"].n == 3
    assert (months["2027-02"].n, months["2027-02"].reached, months["2027-02"].pending) == (6, 2, 1)
    assert months["2027-02"].shown(False) == "33 %"


def test_the_period_boundary_is_the_last_instant_of_the_day_in_copenhagen(kpi_app, clock):
    # f2 at 23:59 on 10 March (Copenhagen) is within "1 måned" of 10 February; f3 a minute
    # later is not. Seen from one month: 2 of 6 reached; had f3 counted it would be 3.
    _, targets = figures(kpi_app, clock)
    assert dict(targets["praktik_1_maaned"].by_month)["2027-02"].reached == 2


def test_the_report_period_is_of_anchor_days_both_ends_included(kpi_app, clock):
    # x1's meeting (1 March) is outside January-February; with March included it counts
    # (its month has not passed on 20 March, so it is pending)
    request = ReportRequest(date(2027, 1, 1), date(2027, 3, 1), drejebog_id="kpi")
    _, targets = figures(kpi_app, clock, request)
    praktik = targets["praktik_1_maaned"]
    assert (praktik.overall.n, praktik.overall.pending) == (9, 2)
    assert dict(praktik.by_month)["2027-03"].pending == 1
    request = ReportRequest(date(2027, 1, 16), date(2027, 2, 10), drejebog_id="kpi")
    _, targets = figures(kpi_app, clock, request)
    # only the six cases of 10 February: the January cases and f7 (25 February) are outside
    assert targets["praktik_1_maaned"].overall.n == 6


def test_time_to_milestone_is_a_kaplan_meier_median_with_censored_cases(kpi_app, clock):
    # days from the meeting (local midnight) to the first milestone: f7 8, f1 23, f2 28,
    # f3 29, f4 33; censored: f5, f6 at 38, j1-j3 at 64 (still open on 20 March). At risk
    # 10, 9, 8, 7, 6: survival .9 .8 .7 .6 .5 -> the median is 33 days (4,7 uger). Leaving
    # the censored cases out would give 28 days and a target met that is not.
    _, targets = figures(kpi_app, clock)
    activity = targets["aktivitet_4_uger"]
    assert (activity.overall.n, activity.overall.reached) == (10, 5)
    assert activity.overall.shown(True) == "4,7 uger" and activity.overall.meets is False
    months = dict(activity.by_month)
    assert months["2027-01"].note == TOO_FEW
    # February alone: at risk 7, 6, 5, 4 -> .857 .714 .571 .429: 29 days
    assert months["2027-02"].shown(True) == "4,1 uger"


def test_the_median_is_not_shown_before_half_have_reached_the_milestone(kpi_app, clock):
    earlier = SimulatedClock(datetime(2027, 3, 12, 8, 0, tzinfo=UTC))  # before f4's activity
    _, targets = figures(kpi_app, earlier)
    # f4's activity (15 March) is after "now": f4 is censored, not an event; .9 .8 .7 .6
    overall = targets["aktivitet_4_uger"].overall
    assert overall.value is None and overall.note == NO_MEDIAN and overall.n == 10


def test_a_fact_share_counts_the_cases_where_the_fact_is_registered(kpi_app, clock):
    _, targets = figures(kpi_app, clock)
    answered = targets["inddragende"].overall
    assert (answered.n, answered.reached, answered.pending) == (5, 4, 5)
    assert answered.shown(False) == "80 %" and answered.meets is False


def test_by_team_a_group_of_fewer_than_five_shows_no_figure(kpi_app, clock):
    request = ReportRequest(date(2027, 1, 1), date(2027, 2, 28), drejebog_id="kpi")
    grouped = ReportRequest(**{**request.__dict__, "grouping": GROUP_TEAM})
    _, targets = figures(kpi_app, clock, grouped)
    groups = dict(targets["praktik_1_maaned"].by_group)
    assert groups["team1"].shown(False) == "33 %" and groups["team1"].n == 6
    assert groups["team2"].value is None and groups["team2"].shown(False) == TOO_FEW
    team2 = ReportRequest(**{**request.__dict__, "team": "team2"})
    _, targets = figures(kpi_app, clock, team2)
    assert targets["praktik_1_maaned"].overall.n == 3


def test_deadline_adherence_per_rule_from_history_and_timers(kpi_app, clock):
    request = ReportRequest(date(2027, 3, 1), date(2027, 3, 31), drejebog_id="kpi")
    drejebog, _ = figures(kpi_app, clock, request)
    (deadline,) = drejebog.deadlines
    # due 8 March (a week after entering the state on 1 March): f1, f7, x1 met it on the
    # 5th; f2 and f3 late; the escalation fired on 9 March for the eight still open then
    assert deadline.rule == "praktik_frist" and deadline.title == "Praktik inden en uge"
    count = deadline.count
    assert (count.in_time, count.late, count.lapsed, count.escalated) == (3, 2, 0, 8)
    assert deadline.in_time_share == "60 %"
    before = ReportRequest(date(2027, 1, 1), date(2027, 2, 28), drejebog_id="kpi")
    drejebog, _ = figures(kpi_app, clock, before)
    assert drejebog.deadlines == []


def test_report_command_text_json_csv_and_html(kpi_app, clock, run, tmp_path, monkeypatch):
    from drejebog.cli import report_commands

    monkeypatch.setattr(report_commands, "report_clock", lambda app: clock)
    args = ("report", "--fra", "2027-01-01", "--til", "2027-02-28", "--drejebog", "kpi")
    text = run(*args)
    assert "30 % i praktik inden 1 måned" in text and "22 %" in text and "n=9" in text
    assert TOO_FEW in text and "endnu ikke afgjort: 1" in text
    data = json.loads(run(*args, "--json"))
    (drejebog,) = data["drejebøger"]
    praktik = drejebog["måltal"][0]
    assert (praktik["navn"], praktik["samlet"]["n"], praktik["samlet"]["værdi"]) == (
        "praktik_1_maaned",
        9,
        "22 %",
    )
    csv_text = run(*args, "--csv")
    header, *rows = csv_text.strip().splitlines()
    assert header.startswith("drejebog;måltal;")
    assert any(r.startswith("kpi;praktik_1_maaned;;2027-02;6;2;1;33 %") for r in rows)
    html_file = tmp_path / "rapport.html"
    run(*args, "--html", str(html_file))
    page = html_file.read_text(encoding="utf-8")
    assert "<svg" in page and "30 % i praktik inden 1 måned" in page
    assert "http://" not in page and "https://" not in page and "<script" not in page


def test_report_command_refuses_a_bad_period_in_danish(kpi_app, run):
    output = run("report", "--fra", "2027-03-01", "--til", "2027-01-01", code=1)
    assert "perioden er bagvendt" in output
    output = run("report", "--fra", "2027-02-30", code=2)
    assert "2027-02-30" in output
    output = run("report", "--drejebog", "findes_ikke", code=1)
    assert "findes_ikke" in output
    output = run("report", "--opgjort", "i går", code=2)
    assert "'i går' er ikke en dato" in output


def test_report_as_it_stood_at_the_end_of_a_day(kpi_app, run):
    # --opgjort 2027-03-19: the figures at midnight after it, the day before the fixture's
    # report (20 March) and after everything happened: the same figures, made without a
    # simulated clock; --opgjort 2027-03-09 is before f2-f4 reached a milestone
    args = ("report", "--fra", "2027-01-01", "--til", "2027-02-28", "--drejebog", "kpi", "--json")
    late = json.loads(run(*args, "--opgjort", "2027-03-19"))
    (drejebog,) = late["drejebøger"]
    assert late["opgjort"] == "2027-03-19T23:00:00+00:00"
    praktik = drejebog["måltal"][0]["samlet"]
    assert (praktik["n"], praktik["nået"], praktik["værdi"]) == (9, 2, "22 %")
    early = json.loads(run(*args, "--opgjort", "2027-03-09"))
    # on 9 March no month from 10 February has passed: only the January cases are settled
    praktik = early["drejebøger"][0]["måltal"][0]["samlet"]
    assert (praktik["n"], praktik["endnu_ikke_afgjort"], praktik["værdi"]) == (3, 7, TOO_FEW)


def test_anchors_entering_a_state_and_opening_the_case_use_the_day_in_copenhagen(kpi_app, clock):
    # every case but a1 entered `forloeb` on 1 March 2027 (09:00 in Copenhagen), and every
    # case was opened then: with the period 1 March only, those are the cohort
    request = ReportRequest(date(2027, 3, 1), date(2027, 3, 1), drejebog_id="kpi")
    _, targets = figures(kpi_app, clock, request)
    state = targets["praktik_fra_forloeb"]
    # 11 cases (f1-f7, j1-j3, x1), all settled by 8 March; in praktik by then: f1, f7, x1
    assert (state.overall.n, state.overall.reached, state.overall.shown(False)) == (11, 3, "27 %")
    assert [month for month, _ in state.by_month] == ["2027-03"]
    opened = targets["svar_fra_oprettelse"].overall
    assert (opened.n, opened.reached, opened.pending) == (5, 4, 7)  # a1 too: no population
    _, targets = figures(kpi_app, clock, ReportRequest(date(2027, 3, 2), date(2027, 3, 31), "kpi"))
    assert targets["praktik_fra_forloeb"].overall.n == 0


def test_deadline_adherence_by_team_and_by_worker(kpi_app, clock):
    # March: f1, f7, x1 in time and f2, f3 late (all anna_s, team1); the escalation of 9 March
    # went up for f2-f6 (team1) and j1-j3 (bent, team2), who settled nothing: too few to show
    for grouping, groups in ((GROUP_TEAM, ("team1", "team2")), (GROUP_WORKER, ("anna_s", "bent"))):
        request = ReportRequest(
            date(2027, 3, 1), date(2027, 3, 31), drejebog_id="kpi", grouping=grouping
        )
        drejebog, _ = figures(kpi_app, clock, request)
        (overall,) = drejebog.deadlines
        assert (overall.count.in_time, overall.count.late, overall.count.escalated) == (3, 2, 8)
        shown = {d.group: d for d in drejebog.deadline_groups}
        first, second = (shown[g] for g in groups)
        count = first.count
        assert (count.in_time, count.late, count.lapsed, count.escalated) == (3, 2, 0, 5)
        assert first.in_time_share == "60 %" and first.rule == "praktik_frist"
        assert (second.n, second.count.escalated, second.in_time_share) == (0, 3, TOO_FEW)
    march = ReportRequest(date(2027, 3, 1), date(2027, 3, 31), drejebog_id="kpi")
    ungrouped, _ = figures(kpi_app, clock, march)
    assert ungrouped.deadline_groups == []


def test_the_cases_behind_each_figure(kpi_app, clock):
    kpi = reports(kpi_app, clock)
    ids = {name: case_id for name, case_id in zip(CASES, range(1, len(CASES) + 1), strict=True)}

    def names(found) -> list[str]:
        by_id = {i: name for name, i in ids.items()}
        return sorted(by_id[i] for i in found.case_ids)

    everyone = sorted(n for n in CASES if n not in ("x1", "a1"))  # in the population and period
    found = kpi.figure_cases(PERIOD, FigureRef("maal", "kpi", "praktik_1_maaned"), 100)
    assert (found.title, names(found), found.capped) == (
        "30 % i praktik inden 1 måned",
        everyone,
        False,
    )
    assert list(found.case_ids) == sorted(found.case_ids, reverse=True)  # newest first
    january = FigureRef("maal", "kpi", "praktik_1_maaned", "2027-01")
    assert names(kpi.figure_cases(PERIOD, january, 100)) == ["j1", "j2", "j3"]
    capped = kpi.figure_cases(PERIOD, FigureRef("maal", "kpi", "praktik_1_maaned"), 4)
    assert len(capped.case_ids) == 4 and capped.capped
    march = ReportRequest(date(2027, 3, 1), date(2027, 3, 31), drejebog_id="kpi")
    deadline = kpi.figure_cases(march, FigureRef("frist", "kpi", "praktik_frist"), 100)
    assert deadline.title == "Praktik inden en uge"
    assert names(deadline) == sorted([*everyone, "x1"])  # met, late or escalated in March
    team2 = ReportRequest(date(2027, 3, 1), date(2027, 3, 31), team="team2")
    assert names(kpi.figure_cases(team2, FigureRef("frist", "kpi", "praktik_frist"), 100)) == [
        "j1",
        "j2",
        "j3",
    ]
    for ref, message in (
        (FigureRef("maal", "kpi", "findes_ikke"), "ukendt måltal 'findes_ikke'"),
        (FigureRef("frist", "kpi", "moede_holdt"), "ukendt frist 'moede_holdt'"),
        (FigureRef("pligt", "kpi", "praktik_frist"), "ukendt tilbagevendende pligt 'praktik_f"),
        (FigureRef("maal", "nej", "x"), "ukendt drejebog 'nej'"),
    ):
        with pytest.raises(NotFound, match=message):
            kpi.figure_cases(PERIOD, ref, 100)
