"""The case list (/sager, app/case_list.py) through the web app on SQLite and PostgreSQL:
team scoping, each filter, the search by name and by full CPR number (which is logged), the
masked CPR, the bounded pages, and the plan of its query."""

# the fixtures `web` and `client` are test_web.py's, imported: each test names them again
# ruff: noqa: F811

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.dialects import sqlite

from drejebog.app.case_list import PAGE_SIZE
from drejebog.app.ports import CaseListQuery, Scope
from drejebog.bootstrap import App
from drejebog.store.case_list import case_list_query
from drejebog.web.app import create_app
from tests.store.backends import SqlBackend
from tests.store.conftest import ANNA_CPR, BO_CPR
from tests.store.test_case_service import REHAB
from tests.store.test_web import (  # noqa: F401  (fixtures)
    SETTINGS,
    access_rows,
    client,
    log_in,
    open_case,
    token,
    web,
)


def listed(html: str) -> list[str]:
    """The case ids in the result table, in order."""
    return re.findall(r'<td><a href="/sag/(\d+)">', html)


def other_client(app: App, handle: str) -> TestClient:
    other = TestClient(create_app(app, SETTINGS), base_url="https://testserver")
    assert log_in(other, handle) == 303
    return other


def test_a_worker_lists_their_teams_cases_and_a_leder_only_their_own_team(web, client):
    annas = open_case(web)
    veras = open_case(web, worker="vera", cpr=BO_CPR)
    pers = open_case(web, worker="per", cpr=BO_CPR)
    assert log_in(client) == 303
    page = client.get("/sager")
    assert page.status_code == 200
    assert listed(page.text) == [veras, annas]  # newest first; per's team 2 case is not there
    assert "610190-xxxx" in page.text and "1234" not in page.text and "2345" not in page.text
    ole = other_client(web, "ole")
    assert listed(ole.get("/sager").text) == [pers]
    lene = other_client(web, "lene")
    assert listed(lene.get("/sager").text) == [veras, annas]
    # listing is not viewing: no case was opened, so nothing is logged
    assert access_rows(web, annas) == [] and access_rows(web, pers) == []


def test_the_filters_by_drejebog_state_worker_and_overdue(web, client):
    first = open_case(web)
    second = open_case(web, cpr=BO_CPR)
    thirds = open_case(web, worker="vera")
    web.cases.apply_event(first, "rehab_holdt", REHAB, "anna_s")
    assert log_in(client) == 303
    assert listed(client.get("/sager?tilstand=rehab").text) == [first]
    assert listed(client.get("/sager?tilstand=visiteret").text) == [thirds, second]
    assert listed(client.get("/sager?medarbejder=vera").text) == [thirds]
    assert listed(client.get("/sager?drejebog=mini").text) == [thirds, second, first]
    assert listed(client.get("/sager?drejebog=andet").text) == []
    assert listed(client.get("/sager?overskredet=ja").text) == []
    # anna_s's task on the first case is due before today (1 March)
    SqlBackend(web).update("task", {"due_date": date(2027, 2, 26)}, rule="hjemmemoede")
    page = client.get("/sager?overskredet=ja")
    assert listed(page.text) == [first]
    assert re.search(r"<td>rehab</td>\s*<td>[^<]*</td>\s*<td>1</td>", page.text), page.text
    web.cases.apply_event(first, "afslut", {}, "anna_s")
    assert listed(client.get("/sager").text) == [thirds, second]  # closed cases are left out
    assert first in listed(client.get("/sager?afsluttede=ja").text)


def test_a_search_by_full_cpr_finds_the_citizens_cases_and_is_logged(web, client):
    annas = open_case(web)
    bos = open_case(web, cpr=BO_CPR)
    hidden = open_case(web, worker="per")  # Anna's case in team 2: not anna_s's to see
    assert log_in(client) == 303
    response = client.post("/sager", data={"csrf": token(client), "soeg": "6101901234"})
    assert response.status_code == 200
    assert listed(response.text) == [annas]
    assert "1234" not in response.text and "Søgt på CPR-nummer 610190-xxxx" in response.text
    assert access_rows(web, annas) == [("anna_s", int(annas), "søg", "testclient")]
    assert access_rows(web, bos) == [] and access_rows(web, hidden) == []
    by_name = client.post("/sager", data={"csrf": token(client), "soeg": "bertel"})
    assert listed(by_name.text) == [bos]
    assert access_rows(web, bos) == []  # a name search is not logged as a CPR search


@pytest.mark.parametrize(
    ("search", "message"),
    [
        ("610190", "skal have 10 cifre"),
        ("Anna 6101", "ikke på dele"),
        ("320190-1234", "søgning på CPR-nummer"),
        ("x" * 101, "højst 100 er tilladt"),
    ],
    ids=["partial-cpr", "name-and-digits", "impossible-date", "too-long"],
)
def test_a_bad_search_is_a_danish_400_that_names_the_problem(web, client, search, message):
    open_case(web)
    assert log_in(client) == 303
    response = client.post("/sager", data={"csrf": token(client), "soeg": search})
    assert response.status_code == 400 and message in response.text
    assert listed(response.text) == []


def test_the_search_form_needs_its_csrf_token_and_a_page_must_be_a_number(web, client):
    assert log_in(client) == 303
    assert client.post("/sager", data={"soeg": ANNA_CPR}).status_code == 403
    assert client.get("/sager?side=abc").status_code == 400
    assert client.get("/sager?side=0").status_code == 400
    assert client.get("/sager", follow_redirects=False).status_code == 200
    client.cookies.clear()
    assert client.get("/sager", follow_redirects=False).status_code == 303  # logged out


def test_the_list_is_paged(web, client):
    cases = [open_case(web) for _ in range(PAGE_SIZE + 1)]
    assert log_in(client) == 303
    first = client.get("/sager").text
    assert listed(first) == cases[::-1][:PAGE_SIZE]
    assert "Næste side" in first and "Forrige side" not in first
    second = client.get("/sager?side=2").text
    assert listed(second) == [cases[0]]
    assert "Forrige side" in second and "Næste side" not in second


def test_the_case_list_query_goes_through_the_assignments_worker_index(web):
    if web.engine.dialect.name != "sqlite":
        pytest.skip("the plan is SQLite's; PostgreSQL chooses by its own statistics")
    query = CaseListQuery(
        scope=Scope((1, 2)),
        drejebog="mini",
        state=None,
        worker=None,
        today=date(2027, 3, 1),
        overdue=True,
        name=None,
        cpr=None,
        closed=False,
        limit=PAGE_SIZE + 1,
        offset=0,
    )
    compiled = case_list_query(query).compile(
        dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}
    )
    with web.engine.connect() as connection:
        plan = [row[3] for row in connection.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))]
    assert any("USING INDEX ix_assignment_worker_id (worker_id=?)" in line for line in plan), plan
    assert any("task USING INDEX sqlite_autoindex_task_1 (case_id=?)" in line for line in plan), (
        plan
    )
