"""The leader's overview (/leder, app/team_overview.py) on SQLite and PostgreSQL: the team's
overdue deadlines and the escalations fired on them, by worker and by drejebog, the roles that
open deadlines and tasks need and nobody holds; another team's cases left out; a leder only."""

# the fixtures `web` and `client` are test_web.py's, imported: each test names them again
# ruff: noqa: F811

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from drejebog.app.firing import sweep
from drejebog.app.notices import Channels
from drejebog.app.team_overview import NOBODY
from drejebog.web.app import create_app
from tests.store.conftest import BO_CPR
from tests.store.test_web import (  # noqa: F401  (fixtures)
    SETTINGS,
    client,
    log_in,
    open_case,
    web,
)

LATER = datetime(2027, 3, 20, 8, 0, tzinfo=UTC)  # Saturday 20 March, 09:00 in Copenhagen


def section(html: str, heading_id: str) -> str:
    return html.split(f'id="{heading_id}"')[1].split("</section>")[0]


def rows(html: str) -> list[list[str]]:
    """The body rows of the tables in `html`, each as its cells' text."""
    found = []
    for body in re.findall(r"<tbody>(.*?)</tbody>", html, re.S):
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
            found.append(
                [
                    re.sub(r"<[^>]+>", "", c).strip()
                    for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
                ]
            )
    return found


def test_the_leder_sees_the_teams_overdue_deadlines_escalations_and_free_roles(web):
    annas = open_case(web)
    veras = open_case(web, worker="vera", cpr=BO_CPR)
    pers = open_case(web, worker="per")  # team 2
    met = {"indstilling": "ressourceforloeb"}
    web.cases.apply_event(annas, "rehab_holdt", {**met, "rehab_moede": "2027-03-01"}, "anna_s")
    web.cases.apply_event(veras, "rehab_holdt", {**met, "rehab_moede": "2027-03-10"}, "vera")
    web.cases.apply_event(pers, "rehab_holdt", {**met, "rehab_moede": "2027-03-01"}, "per")
    web.clock.advance_to(LATER)
    sweep(web.unit_of_work, LATER, Channels())  # overdragelse's first escalation step fires
    lene = TestClient(create_app(web, SETTINGS), base_url="https://testserver")
    assert log_in(lene, "lene") == 303
    page = lene.get("/leder")
    assert page.status_code == 200
    assert 'href="/leder">Teamets overblik</a>' in page.text
    assert "2 åbne sager i teamet" in page.text
    overdue = section(page.text, "frister")
    assert rows(overdue) == [
        ["anna_s", "1"],  # by worker
        ["mini", "1"],  # by drejebog
        [
            f"Sag {annas}",
            "Anna Andersen",
            "mini",
            "Overdragelse til koordinerende sagsbehandler",
            "sagsbehandler",
            "anna_s",
            "15.03.2027",
            "5",
        ],
    ]
    escalated = section(page.text, "eskaleringer")
    assert rows(escalated) == [
        ["anna_s", "1"],
        ["mini", "1"],
        [f"Sag {annas}", "Anna Andersen", "mini", "overdragelse", "anna_s", "1"],
    ]
    free = section(page.text, "roller")
    assert rows(free) == [
        [f"Sag {annas}", "Anna Andersen", "mini", "virksomhedskonsulent", "Deltag i overdragelsen"],
        [f"Sag {veras}", "Bo Bertelsen", "mini", "virksomhedskonsulent", "Deltag i overdragelsen"],
    ]
    assert f"Sag {pers}" not in page.text  # team 2's case
    # once the role is given, it is no longer free; the deadline's owner is still anna_s
    web.cases.assign(annas, "virksomhedskonsulent", "vera", "lene")
    again = lene.get("/leder").text
    assert [r[0] for r in rows(section(again, "roller"))] == [f"Sag {veras}"]
    # team 2's leder sees only per's case, overdue
    ole = TestClient(create_app(web, SETTINGS), base_url="https://testserver")
    assert log_in(ole, "ole") == 303
    theirs = rows(section(ole.get("/leder").text, "frister"))
    assert theirs[0] == ["per", "1"] and theirs[-1][0] == f"Sag {pers}"


def test_an_unheld_deadline_role_is_counted_under_nobody(web):
    case_id = web.cases.open_case(BO_CPR, "mini", "lene", assignments={"mentor": "vera"}).case_id
    met = {"indstilling": "ressourceforloeb", "rehab_moede": "2027-03-01"}
    web.cases.apply_event(case_id, "rehab_holdt", met, "vera")
    web.clock.advance_to(LATER)
    lene = TestClient(create_app(web, SETTINGS), base_url="https://testserver")
    assert log_in(lene, "lene") == 303
    page = lene.get("/leder").text
    assert rows(section(page, "frister"))[0] == [NOBODY, "1"]
    free = {r[3]: r[4] for r in rows(section(page, "roller"))}
    assert free["sagsbehandler"] == (
        "Overdragelse til koordinerende sagsbehandler, Tilbyd personligt hjemmemøde"
    )


def test_only_a_leder_sees_the_overview(web, client):
    assert log_in(client) == 303
    page = client.get("/leder")
    assert page.status_code == 403 and "kun en leder kan se teamets overblik" in page.text
    assert "Teamets overblik</a>" not in client.get("/").text
    client.cookies.clear()
    assert client.get("/leder", follow_redirects=False).status_code == 303
