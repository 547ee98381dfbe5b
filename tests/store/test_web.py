"""The web app (web/) through FastAPI's TestClient, on SQLite and PostgreSQL: login, CSRF,
*Mit arbejde*, the case page, an event through its form, team scoping, the access log, and
hostile input answered by a Danish 4xx page, never a 500."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from drejebog.app.access import CaseAccess
from drejebog.app.cases import CaseService
from drejebog.bootstrap import App
from drejebog.engine.errors import ConcurrencyConflict
from drejebog.store.tables import ACCOUNT
from drejebog.web.app import create_app
from drejebog.web.forms import MAX_BODY
from drejebog.web.settings import WebSettings
from tests.conftest import shows_cpr_serial
from tests.store.backends import SqlBackend
from tests.store.conftest import ANNA_CPR, BO_CPR
from tests.store.test_case_service import REHAB

PASSWORD = "en lang adgangskode"
SETTINGS = WebSettings(secret_key="k" * 40, secure_cookie=True)


@pytest.fixture
def web(staffed: App) -> App:
    """Team 1 (lene leads anna_s, karl, vera) and team 2 (ole leads per), with accounts."""
    staffed.admin.add_worker("ole", "Ole Leder", "leder", "", "team2")
    staffed.admin.add_worker("per", "Per Sagsbehandler", "sagsbehandler", "", "team2", "ole")
    accounts = staffed.accounts
    for handle, role in (("anna_s", "sagsbehandler"), ("lene", "leder"), ("ole", "leder")):
        accounts.add(handle, role, PASSWORD)
    return staffed


@pytest.fixture
def client(web: App) -> Iterator[TestClient]:
    # https: the session cookie is Secure, and the client sends it back over https only
    with TestClient(create_app(web, SETTINGS), base_url="https://testserver") as test_client:
        yield test_client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def log_in(client: TestClient, handle: str = "anna_s", password: str = PASSWORD) -> int:
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={"csrf": token, "brugernavn": handle, "adgangskode": password},
        follow_redirects=False,
    )
    return response.status_code


def open_case(app: App, worker: str = "anna_s", cpr: str = ANNA_CPR) -> str:
    return app.cases.open_case(cpr, "mini", "lene", assignments={"sagsbehandler": worker}).case_id


def access_rows(app: App, case_id: str) -> list[tuple[str, int, str, str]]:
    return [(e.handle, e.case_id, e.action, e.source) for e in app.case_access.log_of(int(case_id))]


def token(client: TestClient, path: str = "/") -> str:
    return csrf_of(client.get(path).text)


def test_login_sets_a_secure_httponly_lax_cookie_and_logout_ends_the_session(client):
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    token_before = csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={"csrf": token_before, "brugernavn": "anna_s", "adgangskode": PASSWORD},
        follow_redirects=False,
    )
    assert (response.status_code, response.headers["location"]) == (303, "/")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" in cookie
    page = client.get("/")
    assert page.status_code == 200 and "Logget ind som <strong>anna_s</strong>" in page.text
    assert csrf_of(page.text) != token_before  # a new session's token after logging in
    client.post("/logout", data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    assert client.get("/", follow_redirects=False).status_code == 303


def test_a_wrong_password_is_refused_and_repeated_failures_are_rate_limited(web, client):
    response = client.post(
        "/login",
        data={"csrf": token(client, "/login"), "brugernavn": "anna_s", "adgangskode": "forkert"},
    )
    assert response.status_code == 401
    assert "forkert brugernavn eller adgangskode" in response.text
    assert client.get("/", follow_redirects=False).status_code == 303  # not logged in
    for _ in range(SETTINGS.login_attempts - 1):
        assert log_in(client, password="forkert") == 401
    # the limit is reached: even the right password waits now
    assert log_in(client) == 429
    assert (
        "for mange forkerte forsøg"
        in client.post(
            "/login",
            data={"csrf": token(client, "/login"), "brugernavn": "anna_s", "adgangskode": PASSWORD},
        ).text
    )
    assert log_in(client, "lene") == 303  # another worker is not held up
    web.clock.advance(SETTINGS.login_pause + timedelta(seconds=1))
    assert log_in(client) == 303


def test_an_unknown_worker_and_a_disabled_account_cannot_log_in(web, client):
    assert log_in(client, "karl") == 401  # a worker without an account
    with web.engine.begin() as connection:  # no use case disables an account yet
        connection.execute(
            ACCOUNT.update().where(ACCOUNT.c.handle == "anna_s").values(disabled=True)
        )
    assert log_in(client) == 401


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(web, client):
    case_id = open_case(web)
    login = client.post("/login", data={"brugernavn": "anna_s", "adgangskode": PASSWORD})
    assert login.status_code == 403 and "sikkerhedstegn (CSRF)" in login.text
    assert log_in(client) == 303
    for csrf in ({}, {"csrf": "forfalsket"}):
        response = client.post(
            f"/sag/{case_id}/haendelse",
            data={**csrf, "haendelse": "afslut"},
        )
        assert response.status_code == 403
        assert "sikkerhedstegn (CSRF)" in response.text
    assert web.reports.case_details(case_id)["tilstand"] == "visiteret"
    assert [row[2] for row in access_rows(web, case_id)] == []


def test_mit_arbejde_shows_an_overdue_task(web, client):
    case_id = open_case(web)
    web.cases.apply_event(case_id, "rehab_holdt", REHAB, "anna_s")
    # mini's tasks have no deadlines: give anna_s's one a date in the past (today: 1 March)
    SqlBackend(web).update("task", {"due_date": date(2027, 2, 26)}, rule="hjemmemoede")
    assert log_in(client) == 303
    page = client.get("/").text
    overdue = page.split("Overskredne frister (1)")[1].split("Frist i dag")[0]
    assert "Tilbyd personligt hjemmemøde" in overdue and "3 dage over" in overdue
    assert f'href="/sag/{case_id}"' in overdue
    mine = page.split("Mine sager (1)")[1]
    assert "Anna Andersen" in mine and "rehab" in mine


def test_the_case_page_masks_the_cpr_and_writes_one_access_log_row(web, client):
    case_id = open_case(web)
    assert log_in(client) == 303
    page = client.get(f"/sag/{case_id}")
    assert page.status_code == 200
    assert "610190-xxxx" in page.text and not shows_cpr_serial(page.text)
    assert "Rehabiliteringsteamet har holdt møde" in page.text  # an event allowed now
    assert access_rows(web, case_id) == [("anna_s", int(case_id), "vis", "testclient")]
    (entry,) = web.case_access.log_of(int(case_id))
    assert entry.at == web.clock.now()
    assert entry.citizen_id == web.access_store.case_parties(case_id).citizen_id


def test_the_case_page_says_why_the_calendar_moved_a_deadline(web, client):
    # mini's overdragelse: rehab 15 March + 14 dage = 29 March, 2. påskedag, moved back to
    # Wednesday 24 March (issue 11, point 10)
    case_id = open_case(web)
    easter = {**REHAB, "rehab_moede": "2027-03-15"}
    web.cases.apply_event(case_id, "rehab_holdt", easter, "anna_s")
    assert log_in(client) == 303
    page = client.get(f"/sag/{case_id}").text
    assert "2027-03-24<br><small>flyttet: 2. påskedag → 24.03.2027</small>" in page


def test_an_event_through_its_form_changes_the_case_as_the_worker_with_the_reason(web, client):
    case_id = open_case(web)
    assert log_in(client) == 303
    form = client.get(f"/sag/{case_id}").text
    assert 'name="data.rehab_moede" type="date" required' in form
    response = client.post(
        f"/sag/{case_id}/haendelse",
        data={
            "csrf": csrf_of(form),
            "haendelse": "rehab_holdt",
            "data.rehab_moede": "2027-03-01",
            "data.indstilling": "ressourceforloeb",
            "data.virksomhedsrettet_fra": "",  # an optional field left empty
            "begrundelse": "Mødet blev holdt som planlagt",
        },
        follow_redirects=False,
    )
    assert (response.status_code, response.headers["location"]) == (303, f"/sag/{case_id}")
    details = web.reports.case_details(case_id)
    last = details["forløb"][-1]
    assert details["tilstand"] == "rehab"
    assert (last["hændelse"], last["af"], last["begrundelse"]) == (
        "rehab_holdt",
        "anna_s",
        "Mødet blev holdt som planlagt",
    )
    assert [row[2] for row in access_rows(web, case_id)] == ["vis", "ændr"]
    page = client.get(f"/sag/{case_id}").text
    assert "rehab_holdt registreret" in page and "Begrundelse: Mødet blev holdt" in page


def test_a_refused_event_shows_the_engines_danish_message(web, client):
    case_id = open_case(web)
    assert log_in(client) == 303
    response = client.post(
        f"/sag/{case_id}/haendelse",
        data={"csrf": token(client), "haendelse": "overdrag", "data.jobmaal_afklaret": "ja"},
    )
    assert response.status_code == 400
    assert "hændelsen blev afvist" in response.text and "visiteret" in response.text
    assert f'href="/sag/{case_id}"' in response.text
    assert web.reports.case_details(case_id)["tilstand"] == "visiteret"
    assert access_rows(web, case_id) == []  # nothing changed, nothing viewed


def test_a_conflict_says_to_reload(web, client, monkeypatch):
    case_id = open_case(web)
    assert log_in(client) == 303

    def lost_race(self: CaseService, case: str, *args: object, **kwargs: object) -> None:
        raise ConcurrencyConflict(case)

    monkeypatch.setattr(CaseService, "apply_event", lost_race)
    response = client.post(
        f"/sag/{case_id}/haendelse", data={"csrf": token(client), "haendelse": "afslut"}
    )
    assert response.status_code == 409
    assert "en anden har ændret sagen" in response.text and "Genindlæs" in response.text


def test_another_teams_case_is_forbidden_and_leaves_no_log_row(web, client):
    theirs = open_case(web, worker="per", cpr=BO_CPR)
    assert log_in(client) == 303
    page = client.get(f"/sag/{theirs}")
    assert page.status_code == 403 and "du har ikke adgang til sag" in page.text
    assert "Bo Bertelsen" not in page.text
    refused = client.post(
        f"/sag/{theirs}/haendelse", data={"csrf": token(client), "haendelse": "afslut"}
    )
    assert refused.status_code == 403
    assert web.reports.case_details(theirs)["tilstand"] == "visiteret"
    assert access_rows(web, theirs) == []
    # team 2's leder sees it
    ole = TestClient(create_app(web, SETTINGS), base_url="https://testserver")
    assert log_in(ole, "ole") == 303
    assert ole.get(f"/sag/{theirs}").status_code == 200
    assert access_rows(web, theirs) == [("ole", int(theirs), "vis", "testclient")]


def test_a_worker_sees_a_case_of_their_leaders_team_and_the_leder_sees_it_too(web, client):
    veras = open_case(web, worker="vera")  # anna_s holds no role on it; vera is in her team
    assert log_in(client) == 303
    assert client.get(f"/sag/{veras}").status_code == 200
    lene = TestClient(create_app(web, SETTINGS), base_url="https://testserver")
    assert log_in(lene, "lene") == 303
    assert lene.get(f"/sag/{veras}").status_code == 200
    assert [row[0] for row in access_rows(web, veras)] == ["anna_s", "lene"]


HUGE = "x" * (MAX_BODY + 1)


@pytest.mark.parametrize(
    ("path", "body", "content_type", "status", "message"),
    [
        ("/sag/{case}/haendelse", "haendelse=afslut&begrundelse=" + HUGE, None, 413, "for stor"),
        (
            "/sag/{case}/haendelse",
            "haendelse=afslut&begrundelse=" + "y" * 5000,
            None,
            413,
            "højst 4000",
        ),
        ("/sag/{case}/haendelse", b"haendelse=afslut&begrundelse=\xff\xfe", None, 400, "UTF-8"),
        ("/sag/{case}/haendelse", "haendelse=afslut&begrundelse=%FF", None, 400, "UTF-8"),
        ("/sag/{case}/haendelse", "haendelse=afslut&begrundelse=a%00b", None, 400, "ugyldigt tegn"),
        ("/sag/{case}/haendelse", "haendelse=afslut&" + "a=1&" * 200, None, 400, "for mange"),
        ("/sag/{case}/haendelse", "haendelse=nix", None, 400, "ukendt hændelse"),
        ("/sag/{case}/haendelse", "haendelse=afslut", "text/plain", 415, "webformular"),
        ("/sag/{case}/haendelse", "haendelse=afslut&haendelse=afslut", None, 400, "to gange"),
        ("/sag/abc/haendelse", "haendelse=afslut", None, 404, "ukendt sag"),
        ("/sag/99999999999999999999/haendelse", "haendelse=afslut", None, 404, "ukendt sag"),
        ("/findes/ikke", "", None, 404, "siden findes ikke"),
    ],
    ids=[
        "huge-body",
        "huge-field",
        "raw-non-utf8",
        "escaped-non-utf8",
        "nul-character",
        "too-many-fields",
        "unknown-event",
        "not-a-form",
        "field-twice",
        "case-not-a-number",
        "case-too-big",
        "unknown-page",
    ],
)
def test_hostile_input_gets_a_danish_4xx_page_never_a_500(
    web, client, path, body, content_type, status, message
):
    case_id = open_case(web)
    assert log_in(client) == 303
    csrf = token(client)
    raw = body.encode() if isinstance(body, str) else body
    response = client.post(
        path.format(case=case_id),
        content=f"csrf={csrf}&".encode() + raw if raw else b"",
        headers={"content-type": content_type or "application/x-www-form-urlencoded"},
    )
    assert response.status_code == status, response.text
    assert '<html lang="da">' in response.text and message in response.text
    assert web.reports.case_details(case_id)["tilstand"] == "visiteret"


def test_the_case_page_of_an_unknown_case_is_a_danish_404(web, client):
    assert log_in(client) == 303
    for path in ("/sag/999", "/sag/%00", "/sag/" + "9" * 300):
        response = client.get(path)
        assert response.status_code == 404 and "ukendt sag" in response.text


def test_case_access_has_no_way_to_change_or_delete_a_log_row() -> None:
    public = {name for name in dir(CaseAccess) if not name.startswith("_")}
    assert public == {"view", "apply_event", "complete_task", "assign", "team", "log_of"}
