"""The REST API (/api/, web/api/) through FastAPI's TestClient, on SQLite and PostgreSQL: the
OpenAPI document is served and every operation in it needs a token and is exercised here;
the same team scoping as the web; every change audited with the integration as actor and
every view in the access log with the caller's address; the engine's refusal as JSON 422, a
stale version 409; hostile input (huge body, deep JSON, bad, revoked or out-of-scope tokens,
failed-auth flooding, CPR in free text) answered with a Danish JSON error, never a 500."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from drejebog.app.api_tokens import SCOPES
from drejebog.app.firing import sweep
from drejebog.app.notices import Channels
from drejebog.app.ports import InboxMessage
from drejebog.bootstrap import App
from drejebog.web.api.auth import MAX_FAILURES, PAUSE
from drejebog.web.api.body import MAX_BODY, MAX_DEPTH
from drejebog.web.app import create_app
from tests.store.conftest import ANNA_CPR, BO_CPR
from tests.store.test_case_service import REHAB
from tests.store.test_web import PASSWORD, SETTINGS, access_rows, open_case, web  # noqa: F401
from tests.store.test_web_case_changes import TASKS

ALL = tuple(SCOPES)


@pytest.fixture
def api(web: App) -> App:  # noqa: F811  (the fixture imported above)
    """test_web's teams (lene: anna_s, karl, vera; ole: per) and an administrator, ida."""
    web.admin.add_worker("ida", "Ida Administrator", "sagsbehandler", "", "it")
    web.accounts.add("ida", "administrator", PASSWORD)
    return web


@pytest.fixture
def client(api: App) -> Iterator[TestClient]:
    with TestClient(create_app(api, SETTINGS), base_url="https://testserver") as test_client:
        yield test_client


def make_token(
    app: App, name: str = "booking", scopes: tuple[str, ...] = ALL, team: str | None = "lene"
) -> dict[str, str]:
    """The Authorization header of a new token for `name`."""
    made = app.api_tokens.create(name, scopes, team, "ida")
    return {"Authorization": f"Bearer {made.token}"}


@pytest.fixture
def auth(api: App) -> dict[str, str]:
    """A token for lene's team with every scope."""
    return make_token(api)


def fejl(response: Response) -> str:
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    assert body["status"] == response.status_code
    message: str = body["fejl"]
    return message


def history(app: App, case_id: str | int) -> list[dict[str, object]]:
    entries: list[dict[str, object]] = app.reports.case_details(str(case_id))["forløb"]
    return entries


# -- the OpenAPI document: served, every operation needs a token and is exercised here ------


@pytest.fixture
def tasks_case(api: App, tmp_path: Path) -> str:
    source = tmp_path / "opgaver.yaml"
    source.write_text(TASKS, encoding="utf-8")
    api.admin.load_drejebog_files([source])
    return api.cases.open_case(
        ANNA_CPR, "opgaver", "lene", assignments={"sagsbehandler": "anna_s"}
    ).case_id


def exercises(case_id: str, task_case: str, message: int) -> dict[tuple[str, str], tuple]:
    """Each operation of the document: a request that succeeds, and its status."""
    return {
        ("get", "/sager"): ("/api/sager?drejebog=mini", None, 200),
        ("post", "/sager/soeg"): ("/api/sager/soeg", {"soeg": ANNA_CPR}, 200),
        ("post", "/sager"): (
            "/api/sager",
            {"drejebog": "mini", "cpr": BO_CPR, "tildel": {"sagsbehandler": "anna_s"}},
            201,
        ),
        ("get", "/sager/{sag}"): (f"/api/sager/{case_id}", None, 200),
        ("post", "/sager/{sag}/haendelser"): (
            f"/api/sager/{case_id}/haendelser",
            {"haendelse": "rehab_holdt", "data": REHAB},
            200,
        ),
        ("post", "/sager/{sag}/opgaver/{opgave}"): (
            f"/api/sager/{task_case}/opgaver/ring_op",
            {"haendelse": "opringet", "data": {"samtale": "2027-03-02"}},
            200,
        ),
        ("post", "/sager/{sag}/tildelinger"): (
            f"/api/sager/{case_id}/tildelinger",
            {"rolle": "mentor", "medarbejder": "vera"},
            200,
        ),
        ("get", "/opgaver"): ("/api/opgaver?medarbejder=anna_s", None, 200),
        ("get", "/medarbejdere"): ("/api/medarbejdere", None, 200),
        ("get", "/drejeboeger"): ("/api/drejeboeger", None, 200),
        ("get", "/drejeboeger/{drejebog}"): ("/api/drejeboeger/mini", None, 200),
        ("get", "/indbakke/{medarbejder}"): ("/api/indbakke/anna_s?alle=true", None, 200),
        ("post", "/indbakke/{medarbejder}/{besked}/laest"): (
            f"/api/indbakke/anna_s/{message}/laest",
            None,
            200,
        ),
    }


def call(client: TestClient, method: str, url: str, body: object, headers: dict[str, str]):
    if method == "get":
        return client.get(url, headers=headers)
    return client.post(url, json=body, headers=headers)


def test_the_openapi_document_is_served_and_every_operation_needs_a_token_and_works(
    api, client, auth, tasks_case
):
    document = client.get("/api/openapi.json")
    assert document.status_code == 200
    spec = document.json()
    assert spec["info"]["title"] == "drejebog API"
    operations = {
        (method, path): operation
        for path, methods in spec["paths"].items()
        for method, operation in methods.items()
    }
    case_id = open_case(api)
    message = inbox_message(api)
    table = exercises(case_id, tasks_case, message)
    assert set(operations) == set(table)  # a new endpoint needs its row here
    for key, operation in operations.items():
        assert operation.get("security") == [{"token": []}], key
    for (method, _), (url, body, _) in table.items():  # no token: nothing
        response = call(client, method, url, body, {})
        assert response.status_code == 401, url
        assert response.headers["www-authenticate"] == "Bearer"
        assert "API-token" in fejl(response)
        api.clock.advance(PAUSE)  # keep clear of the failed-auth limit
    for (method, _), (url, body, status) in table.items():
        response = call(client, method, url, body, auth)
        assert response.status_code == status, (url, response.text)


def inbox_message(app: App) -> int:
    """A message in anna_s's inbox: the overdue task's reminder, fired by the daemon."""
    case_id = open_case(app, cpr=BO_CPR)
    app.cases.apply_event(case_id, "rehab_holdt", REHAB, "anna_s")
    app.clock.advance(timedelta(days=13))
    sweep(app.unit_of_work, app.clock.now(), Channels())
    messages: list[InboxMessage] = app.inbox.messages("anna_s")
    assert messages
    return messages[0].id
