"""The changes made from the case page (web/case_changes.py) on SQLite and PostgreSQL: giving
a worker of the team a role, completing a task by the event that completes it, each with an
optional reason, the logged-in worker as the history's actor and an 'ændr' access log row;
and a form sent from a page the case has changed since: a plain Danish conflict with a reload
link, nothing written."""

# the fixtures `web` and `client` are test_web.py's, imported: each test names them again
# ruff: noqa: F811

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from drejebog.bootstrap import App
from drejebog.web.app import create_app
from tests.store.conftest import ANNA_CPR
from tests.store.test_web import (  # noqa: F401  (fixtures)
    SETTINGS,
    access_rows,
    client,
    csrf_of,
    log_in,
    open_case,
    web,
)

TASKS = """\
drejebog: opgaver
titel: Opgaver til test
version: 1
fakta:
  samtale: {titel: Samtaledato, type: dato}
start: modtaget
tilstande:
  modtaget:
    titel: Modtaget
    opgaver:
      - navn: ring_op
        titel: Ring borgeren op
        rolle: sagsbehandler
        frist: 5 dage
        opfyldes_af: opringet
      - navn: send_brev
        titel: Send brev
        rolle: sagsbehandler
  slut:
    titel: Slut
    slut: true
hændelser:
  opringet:
    titel: Borgeren er ringet op
    fra: modtaget
    data: [samtale]
  afslut:
    fra: modtaget
    til: slut
"""


def version_of(html: str) -> str:
    match = re.search(r'name="version" value="(\d+)"', html)
    assert match, html
    return match.group(1)


def page_form(client: TestClient, case_id: str) -> dict[str, str]:
    """The CSRF token and the lock version of the case page as it is now."""
    html = client.get(f"/sag/{case_id}").text
    return {"csrf": csrf_of(html), "version": version_of(html)}


def shown(response: object) -> str:
    """A page's text as the reader sees it (the quotes unescaped)."""
    return html.unescape(response.text)  # type: ignore[attr-defined]


def last_history(app: App, case_id: str) -> dict[str, object]:
    entry: dict[str, object] = app.reports.case_details(case_id)["forløb"][-1]
    return entry


@pytest.fixture
def tasks_case(web: App, tmp_path: Path) -> str:
    source = tmp_path / "opgaver.yaml"
    source.write_text(TASKS, encoding="utf-8")
    web.admin.load_drejebog_files([source])
    return web.cases.open_case(
        ANNA_CPR, "opgaver", "lene", assignments={"sagsbehandler": "anna_s"}
    ).case_id


def test_a_leder_gives_a_worker_of_the_team_a_role_with_a_reason(web):
    case_id = open_case(web)
    lene = TestClient(create_app(web, SETTINGS), base_url="https://testserver")
    assert log_in(lene, "lene") == 303
    page = lene.get(f"/sag/{case_id}").text
    assert '<option value="karl">karl</option>' in page and "per" not in page  # team 1 only
    response = lene.post(
        f"/sag/{case_id}/tildel",
        data={
            **page_form(lene, case_id),
            "rolle": "koordinerende_sagsbehandler",
            "medarbejder": "karl",
            "begrundelse": "Karl overtager koordineringen",
        },
        follow_redirects=False,
    )
    assert (response.status_code, response.headers["location"]) == (303, f"/sag/{case_id}")
    entry = last_history(web, case_id)
    assert (entry["type"], entry["af"], entry["begrundelse"]) == (
        "tildeling",
        "lene",
        "Karl overtager koordineringen",
    )
    assert entry["tildeling"] == {
        "rolle": "koordinerende_sagsbehandler",
        "fra": None,
        "til": "karl",
    }
    assert [row[2] for row in access_rows(web, case_id)] == ["vis", "vis", "ændr"]
    after = lene.get(f"/sag/{case_id}").text
    assert "karl har nu rollen koordinerende_sagsbehandler" in after
    assert "koordinerende_sagsbehandler: Karl Koordinator (karl)" in after


def test_a_role_for_a_worker_outside_the_team_or_an_unknown_role_is_refused(web, client):
    case_id = open_case(web)
    assert log_in(client) == 303
    outsider = client.post(
        f"/sag/{case_id}/tildel",
        data={**page_form(client, case_id), "rolle": "mentor", "medarbejder": "per"},
    )
    assert outsider.status_code == 403 and "'per' er ikke i dit team" in shown(outsider)
    unknown = client.post(
        f"/sag/{case_id}/tildel",
        data={**page_form(client, case_id), "rolle": "mentr", "medarbejder": "vera"},
    )
    assert unknown.status_code == 400
    assert "ukendt rolle 'mentr'" in shown(unknown) and "mente du 'mentor'" in shown(unknown)
    assert f'href="/sag/{case_id}"' in unknown.text
    nobody = client.post(
        f"/sag/{case_id}/tildel",
        data={**page_form(client, case_id), "rolle": "mentor", "medarbejder": ""},
    )
    assert nobody.status_code == 400 and "vælg den medarbejder" in nobody.text
    assert [e["type"] for e in web.reports.case_details(case_id)["forløb"]] == ["åbnet"]
    assert "ændr" not in [row[2] for row in access_rows(web, case_id)]


def test_a_task_is_completed_by_its_event_as_the_worker_with_the_reason(web, client, tasks_case):
    assert log_in(client) == 303
    page = client.get(f"/sag/{tasks_case}").text
    assert "Udfør: Ring borgeren op" in page
    assert "den lukkes, når sagen skifter tilstand" in page  # send_brev: no event completes it
    response = client.post(
        f"/sag/{tasks_case}/opgave",
        data={
            **page_form(client, tasks_case),
            "opgave": "ring_op",
            "haendelse": "opringet",
            "data.samtale": "2027-03-02",
            "begrundelse": "Talt med borgeren",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    details = web.reports.case_details(tasks_case)
    statuses = {o["opgave"]: o["status"] for o in details["opgaver"]}
    assert statuses == {"ring_op": "udført", "send_brev": "åben"}
    entry = details["forløb"][-1]
    assert (entry["hændelse"], entry["af"], entry["begrundelse"]) == (
        "opringet",
        "anna_s",
        "Talt med borgeren",
    )
    assert access_rows(web, tasks_case)[-1][2] == "ændr"
    after = client.get(f"/sag/{tasks_case}").text
    assert "opgaven ring_op er udført" in after and "Udfør: Ring borgeren op" not in after


@pytest.mark.parametrize(
    ("task", "event", "message"),
    [
        ("send_brev", "opringet", "udfører ikke opgaven 'send_brev'"),
        ("ring_op", "afslut", "udfører ikke opgaven 'ring_op'"),
        ("findes_ikke", "opringet", "opgaven 'findes_ikke' er ikke åben"),
    ],
    ids=["task-without-event", "wrong-event", "unknown-task"],
)
def test_a_task_cannot_be_completed_by_another_event(web, client, tasks_case, task, event, message):
    assert log_in(client) == 303
    response = client.post(
        f"/sag/{tasks_case}/opgave",
        data={**page_form(client, tasks_case), "opgave": task, "haendelse": event},
    )
    assert response.status_code == 400 and message in shown(response)
    assert web.reports.case_details(tasks_case)["tilstand"] == "modtaget"
    assert len(web.reports.case_details(tasks_case)["forløb"]) == 1


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("haendelse", {"haendelse": "afslut"}),
        ("tildel", {"rolle": "mentor", "medarbejder": "vera"}),
        ("opgave", {"opgave": "ring_op", "haendelse": "opringet", "data.samtale": "2027-03-02"}),
    ],
    ids=["event", "assign", "task"],
)
def test_a_form_from_a_page_the_case_changed_since_is_a_conflict_with_a_reload_link(
    web, client, tasks_case, path, fields
):
    assert log_in(client) == 303
    seen = page_form(client, tasks_case)
    # someone else changes the case after the page was shown (still allowing the change)
    web.cases.assign(tasks_case, "mentor", "karl", "lene")
    before = web.reports.case_details(tasks_case)
    response = client.post(f"/sag/{tasks_case}/{path}", data={**seen, **fields})
    assert response.status_code == 409
    assert "en anden har ændret sagen, mens du så på den; intet er gemt" in response.text
    assert f'href="/sag/{tasks_case}"' in response.text and "Genindlæs" in response.text
    assert web.reports.case_details(tasks_case) == before
    assert "ændr" not in [row[2] for row in access_rows(web, tasks_case)]
    # reloaded, the same change goes through
    again = client.post(
        f"/sag/{tasks_case}/{path}",
        data={**page_form(client, tasks_case), **fields},
        follow_redirects=False,
    )
    assert again.status_code == 303


def test_a_lock_version_that_is_not_a_number_is_refused(web, client):
    case_id = open_case(web)
    assert log_in(client) == 303
    form = page_form(client, case_id)
    response = client.post(
        f"/sag/{case_id}/haendelse", data={**form, "version": "1x", "haendelse": "afslut"}
    )
    assert response.status_code == 400 and "'version' skal være et tal" in shown(response)
    assert web.reports.case_details(case_id)["tilstand"] == "visiteret"
