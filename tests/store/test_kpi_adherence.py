"""Report-back adherence and misses in a row in the KPI report, on SQLite and PostgreSQL:
a monthly report-back duty with fixed due dates (tests/fixtures/tilbagemelding.yaml: due on
the 12th, missing notice 3 days later, a rung after 2 misses in a row) run by the daemon's
own sweep, every day from 12 January to 20 April 2027, over eight cases whose answers are
worked out by hand:

    case  team   12 Feb (w1)   12 Mar (w2)                    12 Apr (w3)
    c1    team1  til tiden     til tiden                      til tiden
    c2    team1  til tiden     til tiden                      til tiden
    c3    team1  til tiden     for sent (received 20 Mar)     til tiden (the same 20 Mar)
    c4    team1  til tiden     mangler (1 in a row)           mangler (2: the rung fires)
    c5    team1  mangler (1)   mangler (2: the rung fires)    mangler (3)
    c6    team1  til tiden     for sent (kontaktet 16 Mar,    til tiden (the same 1 Apr)
                               received 1 Apr)
    c7    team2  til tiden     til tiden                      til tiden
    c8    team2  til tiden     til tiden                      til tiden

A report-back counts for its window (previous due date, this due date]; one that comes after
a due date without one is late for that due date and in time for the next. The phone call
(`kontaktet`) stops c6's ladder but is not a report-back: its report-back of 1 April is
still the one for 12 March, late.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from drejebog.app.firing import Channels, sweep
from drejebog.app.kpi import NOT_MEASURED, TOO_FEW, KpiReports, ReportRequest
from drejebog.app.kpi_ports import GROUP_TEAM, GROUP_WORKER, DutyCount
from drejebog.app.kpi_render import as_csv, as_json, as_text
from drejebog.app.settings import Settings
from drejebog.bootstrap import App, bootstrap
from drejebog.engine.clock import SimulatedClock
from drejebog.store.kpi_queries import SqlKpiStore
from drejebog.store.tables import ACCESS_LOG
from tests.conftest import FIXTURES
from tests.store.conftest import _database
from tests.store.test_web import PASSWORD
from tests.store.test_web_dashboard import client_of, text_of

OPENED = datetime(2027, 1, 12, 8, 0, tzinfo=UTC)  # Tuesday; due dates 12 Feb, 12 Mar, 12 Apr
REPORTED = datetime(2027, 4, 20, 12, 0, tzinfo=UTC)
WORKERS = {f"c{i}": "anna" for i in range(1, 7)} | {"c7": "per", "c8": "per"}
IN_TIME_ALL = ("02-01", "03-01", "04-01")
EVENTS = {  # case: [(MM-DD, event)]
    "c1": [(d, "meldt_tilbage") for d in IN_TIME_ALL],
    "c2": [(d, "meldt_tilbage") for d in IN_TIME_ALL],
    "c3": [("02-01", "meldt_tilbage"), ("03-20", "meldt_tilbage")],
    "c4": [("02-01", "meldt_tilbage")],
    "c5": [],
    "c6": [("02-01", "meldt_tilbage"), ("03-16", "kontaktet"), ("04-01", "meldt_tilbage")],
    "c7": [(d, "meldt_tilbage") for d in IN_TIME_ALL],
    "c8": [(d, "meldt_tilbage") for d in IN_TIME_ALL],
}
DUTY = "tilbagemelding"
WHOLE = ReportRequest(date(2027, 1, 1), date(2027, 4, 30), drejebog_id="tilbagemelding")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def duty_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, postgres_ok: bool
) -> Iterator[tuple[App, SimulatedClock, dict[str, str]]]:
    """The cases of the module docstring, made once per database (the tests only read)."""
    with _database(request.param, tmp_path_factory.mktemp("pligt"), postgres_ok) as url:
        yield from _grown(url)


def _grown(database_url: str) -> Iterator[tuple[App, SimulatedClock, dict[str, str]]]:
    clock = SimulatedClock(OPENED)
    app = bootstrap(Settings(database_url), clock)
    app.upgrade_schema()
    admin = app.admin
    admin.add_worker("lene", "Lene Leder", "leder", "lene@jobcenter.dk", "team1")
    admin.add_worker("anna", "Anna Sagsbehandler", "sagsbehandler", "", "team1", "lene")
    admin.add_worker("ole", "Ole Leder", "leder", "ole@jobcenter.dk", "team2")
    admin.add_worker("per", "Per Sagsbehandler", "sagsbehandler", "", "team2", "ole")
    admin.load_drejebog_files([FIXTURES / "tilbagemelding.yaml"])
    ids = {}
    for number, (name, worker) in enumerate(WORKERS.items()):
        cpr = f"{61 + number:02d}0190-{7000 + number:04d}"
        admin.add_citizen(cpr, f"Borger {name}")
        opened = app.cases.open_case(
            cpr, "tilbagemelding", worker, assignments={"sagsbehandler": worker}
        )
        ids[name] = opened.case_id
    day = OPENED.date()
    while day <= REPORTED.date():
        clock.advance_to(datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC))
        for name, events in EVENTS.items():
            for when, kind in events:
                if when == f"{day:%m-%d}":
                    app.cases.apply_event(ids[name], kind, {}, WORKERS[name])
        clock.advance_to(datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC))
        sweep(app.unit_of_work, clock.now(), Channels())
        day += timedelta(days=1)
    try:
        yield app, clock, ids
    finally:
        app.close()


def duty_figures(app: App, clock: SimulatedClock, request: ReportRequest = WHOLE):
    report = KpiReports(SqlKpiStore(app.engine), clock).report(request)
    (drejebog,) = report.drejeboeger
    return drejebog


def counts(figure) -> tuple[int, ...]:
    c: DutyCount = figure.count
    return (c.in_time, c.late, c.missed, c.cases, c.in_a_row, c.rung)


def test_each_occurrence_counts_once_by_its_best_outcome(duty_app):
    app, clock, _ = duty_app
    drejebog = duty_figures(app, clock)
    (duty,) = drejebog.duties
    assert (duty.rule, duty.title, duty.fixed) == (DUTY, "Månedlig tilbagemelding", True)
    # in time 3+3+2+1+0+2+3+3, late c3's and c6's March, missing c4 2 + c5 3; in a row c4
    # and c5; the rung once each for c4 and c5
    assert counts(duty) == (17, 2, 5, 8, 2, 2)
    assert duty.n == 24 and duty.in_time_share == "71 %"
    assert drejebog.deadlines == []  # a duty is not a deadline: its ladder is counted here
    assert drejebog.duty_groups == [] and drejebog.deadline_groups == []


def test_the_period_holds_the_due_dates_from_its_first_to_its_last_day(duty_app):
    app, clock, _ = duty_app
    # 12 March is the last day: in; c3's and c6's late report-backs (20 March, 1 April)
    # count for it, and c5's rung (its second miss, due 12 March) is in; c4's second miss
    # (12 April) is not
    until_12 = ReportRequest(date(2027, 1, 1), date(2027, 3, 12), drejebog_id="tilbagemelding")
    (duty,) = duty_figures(app, clock, until_12).duties
    assert counts(duty) == (11, 2, 3, 8, 1, 1)
    assert duty.in_time_share == "69 %"
    until_11 = ReportRequest(date(2027, 1, 1), date(2027, 3, 11), drejebog_id="tilbagemelding")
    (duty,) = duty_figures(app, clock, until_11).duties
    assert counts(duty) == (7, 0, 1, 8, 0, 0)
    from_13 = ReportRequest(date(2027, 3, 13), date(2027, 4, 30), drejebog_id="tilbagemelding")
    (duty,) = duty_figures(app, clock, from_13).duties
    # 12 April: c4's second miss (the rung) and c5's third (in a row, no second rung)
    assert counts(duty) == (6, 0, 2, 8, 2, 1)


def test_an_occurrence_not_yet_due_counts_nothing(duty_app):
    app, clock, _ = duty_app
    # 12 May has neither a report-back nor a missing notice yet on 20 April
    may = ReportRequest(date(2027, 4, 13), date(2027, 5, 31), drejebog_id="tilbagemelding")
    assert duty_figures(app, clock, may).duties == []


def test_by_team_a_group_of_fewer_than_five_cases_shows_nothing(duty_app):
    app, clock, _ = duty_app
    grouped = ReportRequest(
        WHOLE.start, WHOLE.end, drejebog_id="tilbagemelding", grouping=GROUP_TEAM
    )
    drejebog = duty_figures(app, clock, grouped)
    (overall,) = drejebog.duties
    assert counts(overall) == (17, 2, 5, 8, 2, 2)  # the groups add up to the whole
    groups = {d.group: d for d in drejebog.duty_groups}
    assert counts(groups["team1"]) == (11, 2, 5, 6, 2, 2)
    assert groups["team1"].in_time_share == "61 %"  # 11 of 18
    assert counts(groups["team2"]) == (6, 0, 0, 2, 0, 0)
    assert groups["team2"].in_time_share == TOO_FEW
    by_worker = ReportRequest(
        WHOLE.start, WHOLE.end, drejebog_id="tilbagemelding", grouping=GROUP_WORKER
    )
    workers = {d.group: d for d in duty_figures(app, clock, by_worker).duty_groups}
    assert set(workers) == {"anna", "per"} and counts(workers["anna"])[:3] == (11, 2, 5)
    team2 = ReportRequest(WHOLE.start, WHOLE.end, drejebog_id="tilbagemelding", team="team2")
    (duty,) = duty_figures(app, clock, team2).duties
    assert counts(duty) == (6, 0, 0, 2, 0, 0) and duty.in_time_share == TOO_FEW


def test_the_report_shows_them_in_text_json_and_csv(duty_app):
    app, clock, _ = duty_app
    grouped = ReportRequest(
        WHOLE.start, WHOLE.end, drejebog_id="tilbagemelding", grouping=GROUP_TEAM
    )
    report = KpiReports(SqlKpiStore(app.engine), clock).report(grouped)
    text = as_text(report)
    assert "  Tilbagevendende pligter med fristdag i perioden\n" in text
    row = next(line for line in text.splitlines() if line.startswith("    Månedlig"))
    # til tiden, for sent, mangler, andel, sager; 2 in a row and 2 rungs are under 5: "–"
    assert row.split()[2:] == ["17", "2", "5", "71", "%", "8", "–", "–"]
    team2 = next(line for line in text.splitlines() if line.startswith("    team2"))
    assert team2.split()[3:] == ["–", "–", "–", "for", "få", "sager", "–", "–", "–"]
    (drejebog,) = as_json(report)["drejebøger"]
    (duty,) = drejebog["pligter"]
    assert duty == {
        "regel": DUTY,
        "titel": "Månedlig tilbagemelding",
        "faste_fristdage": True,
        "sager": 8,
        "n": 24,
        "rettidigt": 17,
        "for_sent": 2,
        "mangler": 5,
        "sager_to_i_træk": None,
        "trin_i_træk": None,
        "andel_rettidigt": "71 %",
    }
    assert [(g["gruppe"], g["rettidigt"]) for g in drejebog["pligter_pr_gruppe"]] == [
        ("team1", 11),
        ("team2", None),
    ]
    rows = [line.split(";") for line in as_csv(report).splitlines()]
    header = rows[0]
    duty_rows = [dict(zip(header, r, strict=True)) for r in rows if r[10] == "pligt"]
    assert [(r["gruppe"], r["rettidigt"], r["mangler"], r["værdi"]) for r in duty_rows] == [
        ("", "17", "5", "71 %"),
        ("team1", "11", "5", "61 %"),
        ("team2", "", "", TOO_FEW),
    ]


def test_a_duty_that_restarts_counts_only_its_misses():
    from drejebog.app.kpi import DutyFigure

    restart = DutyFigure(DUTY, "T", False, DutyCount("", DUTY, 0, 0, 7, 6, 5, 0))
    assert restart.in_time_share == NOT_MEASURED and restart.n == 7
    few = DutyFigure(DUTY, "T", True, DutyCount("", DUTY, 9, 1, 2, 4, 0, 0))
    assert few.in_time_share == TOO_FEW  # twelve occurrences, but of four citizens only


def test_no_statement_of_the_report_scans_a_table_on_sqlite(duty_app):
    """Every figure reads the drejebog's cases through `ix_case_open` and their history and
    timers through the case key: no statement scans the case, history or timer table (a
    second drejebog's report must not read the first one's rows)."""
    app, clock, _ = duty_app
    if app.engine.dialect.name != "sqlite":
        pytest.skip("the plans are SQLite's (PostgreSQL plans by its own statistics)")
    plans: list[tuple[str, list[str]]] = []

    def explain(conn, _cursor, statement, parameters, _context, executemany) -> None:
        if executemany or not statement.lstrip().upper().startswith(("WITH", "SELECT")):
            return
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
        plans.append((statement, [r[3] for r in rows]))

    grouped = ReportRequest(WHOLE.start, WHOLE.end, grouping=GROUP_TEAM)
    event.listen(app.engine, "after_cursor_execute", explain)
    try:
        KpiReports(SqlKpiStore(app.engine), clock).report(grouped)
    finally:
        event.remove(app.engine, "after_cursor_execute", explain)
    assert len(plans) >= 5  # the duty's, the deadlines', the escalations', the rungs'
    scans = [
        (statement[:60], line)
        for statement, lines in plans
        for line in lines
        if re.match(r"SCAN (case|case_history|timer)\b", line)
    ]
    assert scans == []


def test_the_dashboard_shows_the_duties_as_the_report_and_links_to_their_cases(duty_app):
    app, _clock, ids = duty_app
    for handle in ("lene", "ole"):
        if app.accounts.authenticate(handle, PASSWORD) is None:
            app.accounts.add(handle, "leder", PASSWORD)
    lene = client_of(app, "lene")
    page = lene.get("/maaltal?fra=2027-01-01&til=2027-04-30").text
    table = page.split('id="pligter-tilbagemelding"')[1].split("</table>")[0]
    rows = [
        [text_of(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S)
    ]
    request = ReportRequest(date(2027, 1, 1), date(2027, 4, 30))
    (report,) = [
        d for d in as_json(app.kpi.report(request))["drejebøger"] if d["drejebog"] == DUTY
    ]
    (duty,) = report["pligter"]
    shown = ["–" if duty[k] is None else str(duty[k]) for k in ("rettidigt", "for_sent")]
    assert rows == [
        [
            duty["titel"],
            *shown,
            str(duty["mangler"]),
            duty["andel_rettidigt"],
            str(duty["sager"]),
            "–",
            "–",
        ]
    ]
    link = html.unescape(re.search(r'href="(/maaltal/sager\?[^"]*slags=pligt[^"]*)"', page)[1])
    before = access_count(app)
    listed = lene.get(link).text
    team1 = sorted(int(ids[f"c{i}"]) for i in range(1, 7))
    assert sorted(int(i) for i in re.findall(r'href="/sag/(\d+)"', listed)) == team1
    assert access_count(app) == before + 6
    other = client_of(app, "ole").get(link).text  # ole leads per: c7 and c8
    assert sorted(re.findall(r'href="/sag/(\d+)"', other)) == sorted([ids["c7"], ids["c8"]])


def access_count(app: App) -> int:
    with app.engine.connect() as connection:
        query = select(func.count()).select_from(ACCESS_LOG).where(ACCESS_LOG.c.action == "måltal")
        return int(connection.execute(query).scalar_one())
