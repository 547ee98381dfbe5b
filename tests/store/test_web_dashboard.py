"""The leader dashboard (/maaltal, web/dashboard.py) on SQLite and PostgreSQL, over the
constructed cases of test_kpi_report.py: it shows the very figures `drejebog report --json`
gives (app.kpi's report through app/kpi_render.as_json, built here for the same data and
filters), the team filter changes them, a bad period is a Danish 400, and only a leder or an
administrator sees it."""

# the fixtures `app` and `kpi_app` are test_kpi_report.py's, imported: each test names them
# ruff: noqa: F811

from __future__ import annotations

import html
import re
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from drejebog.app.kpi import ReportRequest
from drejebog.app.kpi_render import as_json
from drejebog.bootstrap import App
from drejebog.store.tables import ACCESS_LOG
from drejebog.web.app import create_app
from tests.store.test_kpi_report import app, kpi_app  # noqa: F401  (fixtures)
from tests.store.test_web import PASSWORD, SETTINGS, log_in


@pytest.fixture
def dash(kpi_app: App) -> App:
    """The KPI cases with accounts: lene (leder of anna_s and bent), anna_s (sagsbehandler),
    karl as an administrator, and ole, the leder of another team with none of the cases."""
    kpi_app.admin.add_worker("ole", "Ole Leder", "leder", "ole@jobcenter.dk", "team3")
    for handle, role in (
        ("lene", "leder"),
        ("anna_s", "sagsbehandler"),
        ("karl", "administrator"),
        ("ole", "leder"),
    ):
        kpi_app.accounts.add(handle, role, PASSWORD)
    return kpi_app


def client_of(app: App, handle: str) -> TestClient:
    client = TestClient(create_app(app, SETTINGS), base_url="https://testserver")
    assert log_in(client, handle) == 303
    return client


def text_of(cell: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell)).split())


def shown_targets(page: str) -> dict[str, dict[str, Any]]:
    """Each måltal on the page by title: its overall figure and its table's rows."""
    found = {}
    for block in re.findall(r'<article class="maaltal".*?</article>', page, re.S):
        title = text_of(re.search(r"<h3[^>]*>(.*?)</h3>", block, re.S).group(1))
        summary = re.search(r'<p class="samlet">(.*?)</p>', block, re.S).group(1)
        rows = [
            [text_of(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", block.split("<tbody>")[1], re.S)
        ]
        found[title] = {"samlet": text_of(summary), "rækker": rows}
    return found


def shown_deadlines(page: str) -> list[list[str]]:
    """The deadline table's rows; none when the page says there are no deadlines."""
    table = page.split('id="frister-kpi"')[1].split("</table>")[0]
    if "<tbody>" not in table:
        assert "Ingen frister opfyldt, bortfaldet eller eskaleret i perioden." in table
        return []
    body = table.split("<tbody>")[1]
    return [
        [text_of(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def verdict(fields: dict[str, Any]) -> str:
    words = {True: " (målet er nået)", False: " (målet er ikke nået)", None: ""}
    return fields["værdi"] + words[fields["mål_nået"]]


def expected_rows(target: dict[str, Any]) -> list[list[str]]:
    def row(name: str, f: dict[str, Any]) -> list[str]:
        reached = "–" if f["nået"] is None else str(f["nået"])
        return [name, verdict(f), str(f["n"]), reached, str(f["endnu_ikke_afgjort"])]

    return [row("Hele perioden", target["samlet"])] + [
        row(m["kohorte"], m) for m in target["måneder"]
    ]


def report_json(app: App, request: ReportRequest) -> dict[str, Any]:
    """The KPI drejebog's part of `drejebog report --json` (the mini drejebog has none)."""
    (drejebog,) = [
        d for d in as_json(app.kpi.report(request))["drejebøger"] if d["drejebog"] == "kpi"
    ]
    return drejebog


def kpi_section(page: str) -> str:
    return page.split('id="drejebog-kpi"')[1].split("</section>")[0]


def assert_same_as_report(page: str, report: dict[str, Any]) -> None:
    shown = shown_targets(kpi_section(page))
    assert list(shown) == [t["titel"] for t in report["måltal"]]
    for target in report["måltal"]:
        on_page = shown[target["titel"]]
        assert (
            f"resultat {verdict(target['samlet'])} · n={target['samlet']['n']},"
            in (on_page["samlet"])
        )
        assert on_page["rækker"] == expected_rows(target)
    deadlines = [
        [
            d["titel"],
            *("–" if d[k] is None else str(d[k]) for k in ("rettidigt", "for_sent")),
            *("–" if d[k] is None else str(d[k]) for k in ("bortfaldet", "eskaleret")),
            d["andel_rettidigt"],
        ]
        for d in report["frister"]
    ]
    assert shown_deadlines(page) == deadlines


def test_the_dashboard_shows_the_reports_figures_for_the_period(dash):
    lene = client_of(dash, "lene")
    assert 'href="/maaltal">Måltal</a>' in lene.get("/").text
    page = lene.get("/maaltal?fra=2027-01-01&til=2027-02-28")
    assert page.status_code == 200
    report = report_json(dash, ReportRequest(date(2027, 1, 1), date(2027, 2, 28)))
    assert_same_as_report(page.text, report)
    # the known answers of test_kpi_report.py, seen on the page
    targets = shown_targets(kpi_section(page.text))
    praktik = targets["30 % i praktik inden 1 måned"]
    assert praktik["rækker"][0] == ["Hele perioden", "22 % (målet er ikke nået)", "9", "2", "1"]
    assert praktik["rækker"][1][:3] == ["2027-01", "for få sager", "3"]
    assert "4,7 uger" in targets["Første aktivitet inden 4 uger"]["samlet"]
    # the deadlines were met and escalated in March
    assert shown_deadlines(page.text) == []
    march = lene.get("/maaltal?fra=2027-01-01&til=2027-03-31")
    assert_same_as_report(
        march.text, report_json(dash, ReportRequest(date(2027, 1, 1), date(2027, 3, 31)))
    )
    assert shown_deadlines(march.text)[0][0] == "Praktik inden en uge"
    assert kpi_section(page.text).count("<svg ") == len(report["måltal"])  # a chart per måltal
    assert 'href="/sager?drejebog=kpi"' in page.text  # the cases behind the figures


def test_the_team_filter_changes_the_figures_as_the_reports_team_option(dash):
    lene = client_of(dash, "lene")
    everyone = shown_targets(kpi_section(lene.get("/maaltal?fra=2027-01-01&til=2027-02-28").text))
    page = lene.get("/maaltal?fra=2027-01-01&til=2027-02-28&team=team2")
    assert page.status_code == 200
    report = report_json(dash, ReportRequest(date(2027, 1, 1), date(2027, 2, 28), team="team2"))
    assert_same_as_report(page.text, report)
    team2 = shown_targets(kpi_section(page.text))["30 % i praktik inden 1 måned"]
    assert team2["rækker"][0][:3] == ["Hele perioden", "for få sager", "3"]
    assert team2 != everyone["30 % i praktik inden 1 måned"]


def test_an_administrator_sees_the_dashboard_without_links_to_cases(dash):
    karl = client_of(dash, "karl")
    page = karl.get("/maaltal?fra=2027-01-01&til=2027-02-28")
    assert page.status_code == 200
    assert_same_as_report(
        page.text, report_json(dash, ReportRequest(date(2027, 1, 1), date(2027, 2, 28)))
    )
    assert "/sager?drejebog" not in page.text  # the case list is not an administrator's
    # without a period: as `drejebog report`, from the first of the month 11 months back
    default = karl.get("/maaltal").text
    assert 'value="2026-04-01"' in default and 'value="2027-03-20"' in default
    assert_same_as_report(
        default, report_json(dash, ReportRequest(date(2026, 4, 1), date(2027, 3, 20)))
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("fra=2027-13-01", "feltet 'Fra': '2027-13-01' er ikke en dato; skriv den som ÅÅÅÅ-MM-DD"),
        ("til=i+går", "feltet 'Til': 'i går' er ikke en dato"),
        ("fra=2027-03-01&til=2027-01-01", "perioden er bagvendt"),
        ("team=" + "x" * 65, "feltet 'Team' er 65 tegn langt; højst 64 er tilladt"),
    ],
    ids=["no_such_month", "not_a_date", "backwards", "team_too_long"],
)
def test_a_bad_period_is_a_danish_400(dash, query, message):
    page = client_of(dash, "lene").get(f"/maaltal?{query}")
    assert page.status_code == 400
    assert message in html.unescape(page.text)


def test_only_a_leder_or_administrator_sees_it_and_nobody_unauthenticated(dash):
    anna = client_of(dash, "anna_s")
    page = anna.get("/maaltal")
    assert page.status_code == 403
    assert "kun en leder eller en administrator kan se måltallene" in page.text
    assert "Måltal</a>" not in anna.get("/").text
    anna.cookies.clear()
    response = anna.get("/maaltal", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/login")


def figure_links(page: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="(/maaltal/sager\?[^"]*)"', page)]


def access_rows(app: App) -> list[tuple[str, int, str]]:
    query = select(ACCESS_LOG.c.handle, ACCESS_LOG.c.case_id, ACCESS_LOG.c.action)
    with app.engine.connect() as connection:
        return [tuple(r) for r in connection.execute(query.order_by(ACCESS_LOG.c.id))]


def listed_citizens(page: str) -> list[str]:
    body = page.split('id="resultat"')[1]
    return sorted(re.findall(r"<td>Borger (\w+)</td>", body))


def test_each_figure_links_to_the_cases_behind_it_and_the_list_is_logged(dash):
    lene = client_of(dash, "lene")
    page = lene.get("/maaltal?fra=2027-01-01&til=2027-03-31").text
    links = figure_links(kpi_section(page))
    report = report_json(dash, ReportRequest(date(2027, 1, 1), date(2027, 3, 31)))
    for target in report["måltal"]:  # the overall figure (twice: summary and table) and months
        mine = [link for link in links if f"navn={target['navn']}&" in link]
        assert len(mine) == 2 + len(target["måneder"]), target["navn"]
    for deadline in report["frister"]:
        assert any(f"slags=frist&navn={deadline['regel']}&" in link for link in links)
    january = next(link for link in links if link.endswith("kohorte=2027-01"))
    assert "navn=praktik_1_maaned&" in january and "fra=2027-01-01&til=2027-03-31" in january
    before = len(access_rows(dash))
    shown = lene.get(january)
    assert shown.status_code == 200
    assert "30 % i praktik inden 1 måned" in shown.text and "kohorte 2027-01" in shown.text
    assert listed_citizens(shown.text) == ["j1", "j2", "j3"]
    logged = access_rows(dash)[before:]
    assert sorted(logged) == [("lene", case_id, "måltal") for case_id in (8, 9, 10)]
    assert "Tallet bygger på 3 sager" in shown.text
    # a deadline's cases: met, late or escalated in the period (x1's meeting is in March)
    deadline = next(link for link in links if "slags=frist&navn=praktik_frist&" in link)
    assert len(listed_citizens(lene.get(deadline).text)) == 11


def test_a_leder_sees_only_the_own_teams_cases_behind_a_figure(dash):
    lene = client_of(dash, "lene")
    links = figure_links(lene.get("/maaltal?fra=2027-01-01&til=2027-02-28").text)
    january = next(link for link in links if link.endswith("kohorte=2027-01"))
    before = len(access_rows(dash))
    ole = client_of(dash, "ole")
    page = ole.get(january)
    assert page.status_code == 200
    assert listed_citizens(page.text) == []
    assert "Ingen af sagerne bag tallet er dit teams." in page.text
    assert access_rows(dash)[before:] == []  # nothing shown, nothing logged
    karl = client_of(dash, "karl")
    refused = karl.get(january)
    assert refused.status_code == 403
    assert "kun en leder kan se sagerne bag måltallene" in refused.text
    assert client_of(dash, "anna_s").get(january).status_code == 403
    assert access_rows(dash)[before:] == []


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("drejebog=kpi&slags=maal", 400, "feltet 'Navn' mangler"),
        ("drejebog=kpi&slags=tal&navn=x", 400, "feltet 'Slags': 'tal' er ukendt"),
        ("drejebog=kpi&slags=maal&navn=praktik_1_maaned&kohorte=2027-13", 400, "ÅÅÅÅ-MM"),
        ("drejebog=kpi&slags=frist&navn=x&kohorte=2027-01", 400, "for et måltal"),
        ("drejebog=kpi&slags=maal&navn=" + "x" * 101, 400, "højst 100 er tilladt"),
        ("drejebog=kpi&slags=maal&navn=findes_ikke", 404, "ukendt måltal 'findes_ikke'"),
        ("drejebog=kpi&slags=maal&navn=praktik_1_maaned&side=0", 400, "siden skal være et tal"),
        ("drejebog=kpi&slags=maal&navn=praktik_1_maaned&side=x", 400, "siden skal være et tal"),
    ],
    ids=[
        "no_name",
        "unknown_kind",
        "no_such_month",
        "cohort_of_a_deadline",
        "name_too_long",
        "unknown_target",
        "page_zero",
        "page_not_a_number",
    ],
)
def test_a_bad_figure_link_is_refused_in_danish(dash, query, status, message):
    page = client_of(dash, "lene").get(f"/maaltal/sager?fra=2027-01-01&til=2027-02-28&{query}")
    assert page.status_code == status
    assert message in html.unescape(page.text)
