"""The REST API (/api/, web/api/) through FastAPI's TestClient, on SQLite and PostgreSQL: the
OpenAPI document is served and every operation in it needs a token and is exercised here;
the same team scoping as the web; every change audited with the integration as actor and
every view in the access log with the caller's address; the engine's refusal as JSON 422, a
stale version 409; hostile input (huge body, deep JSON, bad, revoked or out-of-scope tokens,
failed-auth flooding, CPR in free text) answered with a Danish JSON error, never a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator
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
from drejebog.web.api.errors import MaskedJSONResponse
from drejebog.web.app import create_app
from tests.conftest import shows_cpr_serial
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


# -- the use cases, as the integration ------------------------------------------------------


def test_an_event_is_audited_as_the_integration_and_logged_with_the_callers_address(
    api, client, auth
):
    case_id = open_case(api)
    response = client.post(
        f"/api/sager/{case_id}/haendelser",
        json={"haendelse": "rehab_holdt", "data": REHAB, "id": "booking-17", "begrundelse": "Møde"},
        headers=auth,
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["fra"], answer["til"], answer["id"], answer["anvendt"]) == (
        "visiteret",
        "rehab",
        "booking-17",
        True,
    )
    entry = history(api, case_id)[-1]
    assert (entry["hændelse"], entry["af"], entry["begrundelse"]) == (
        "rehab_holdt",
        "api:booking",
        "Møde",
    )
    assert access_rows(api, case_id)[-1] == ("api:booking", int(case_id), "ændr", "testclient")
    # the same id again: nothing changes, nothing more is logged
    again = client.post(
        f"/api/sager/{case_id}/haendelser",
        json={"haendelse": "rehab_holdt", "data": REHAB, "id": "booking-17"},
        headers=auth,
    )
    assert again.status_code == 200 and again.json()["anvendt"] is False
    assert len(history(api, case_id)) == 2
    assert [row[2] for row in access_rows(api, case_id)] == ["ændr"]


def test_a_view_is_in_the_access_log_and_shows_the_events_allowed_now(api, client, auth):
    case_id = open_case(api)
    response = client.get(f"/api/sager/{case_id}", headers=auth)
    assert response.status_code == 200
    view = response.json()
    assert view["borger"]["cpr"] == "610190-xxxx"
    assert view["version"] >= 1
    events = {form["hændelse"]: form for form in view["mulige_hændelser"]}
    assert "rehab_holdt" in events
    fields = {f["navn"]: f for f in events["rehab_holdt"]["felter"]}
    assert fields["indstilling"]["valg"] == ["ressourceforloeb", "fleksjob"]
    assert fields["rehab_moede"]["påkrævet"] is True
    assert access_rows(api, case_id) == [("api:booking", int(case_id), "vis", "testclient")]


def test_the_engines_refusal_is_a_json_422_in_its_own_danish_words(api, client, auth):
    case_id = open_case(api)
    response = client.post(
        f"/api/sager/{case_id}/haendelser", json={"haendelse": "overdrag"}, headers=auth
    )
    assert response.status_code == 422
    assert "overdrag" in fejl(response) and "visiteret" in fejl(response)
    bad_data = client.post(
        f"/api/sager/{case_id}/haendelser",
        json={"haendelse": "rehab_holdt", "data": {**REHAB, "rehab_moede": "i morgen"}},
        headers=auth,
    )
    assert bad_data.status_code == 422 and "rehab_moede" in fejl(bad_data)
    assert len(history(api, case_id)) == 1  # nothing written
    assert access_rows(api, case_id) == []


def test_a_change_sent_with_a_stale_version_is_a_409_and_writes_nothing(api, client, auth):
    case_id = open_case(api)
    seen = client.get(f"/api/sager/{case_id}", headers=auth).json()["version"]
    api.cases.assign(case_id, "mentor", "vera", "lene")  # someone else changes the case
    response = client.post(
        f"/api/sager/{case_id}/haendelser",
        json={"haendelse": "rehab_holdt", "data": REHAB, "version": seen},
        headers=auth,
    )
    assert response.status_code == 409
    assert "en anden har ændret sagen" in fejl(response)
    assert api.reports.case_details(case_id)["tilstand"] == "visiteret"
    fresh = client.get(f"/api/sager/{case_id}", headers=auth).json()["version"]
    ok = client.post(
        f"/api/sager/{case_id}/haendelser",
        json={"haendelse": "rehab_holdt", "data": REHAB, "version": fresh},
        headers=auth,
    )
    assert ok.status_code == 200


def test_a_task_is_completed_and_a_wrong_event_for_it_refused(api, client, auth, tasks_case):
    wrong = client.post(
        f"/api/sager/{tasks_case}/opgaver/send_brev",
        json={"haendelse": "opringet", "data": {"samtale": "2027-03-02"}},
        headers=auth,
    )
    assert wrong.status_code == 422 and "udfører ikke opgaven 'send_brev'" in fejl(wrong)
    done = client.post(
        f"/api/sager/{tasks_case}/opgaver/ring_op",
        json={"haendelse": "opringet", "data": {"samtale": "2027-03-02"}, "begrundelse": "ok"},
        headers=auth,
    )
    assert done.status_code == 200
    statuses = {o["opgave"]: o["status"] for o in api.reports.case_details(tasks_case)["opgaver"]}
    assert statuses == {"ring_op": "udført", "send_brev": "åben"}
    assert history(api, tasks_case)[-1]["af"] == "api:booking"


def test_a_role_is_given_to_a_team_worker_only(api, client, auth):
    case_id = open_case(api)
    given = client.post(
        f"/api/sager/{case_id}/tildelinger",
        json={"rolle": "mentor", "medarbejder": "vera", "begrundelse": "ny mentor"},
        headers=auth,
    )
    assert given.status_code == 200
    assert given.json() == {
        "sag": int(case_id),
        "rolle": "mentor",
        "medarbejder": "vera",
        "før": None,
        "ændret": True,
    }
    assert history(api, case_id)[-1]["af"] == "api:booking"
    outside = client.post(
        f"/api/sager/{case_id}/tildelinger",
        json={"rolle": "mentor", "medarbejder": "per"},
        headers=auth,
    )
    assert outside.status_code == 403 and "'per'" in fejl(outside)


def test_a_case_is_opened_for_a_team_worker_and_logged(api, client, auth):
    response = client.post(
        "/api/sager",
        json={"drejebog": "mini", "cpr": BO_CPR, "tildel": {"sagsbehandler": "anna_s"}},
        headers=auth,
    )
    assert response.status_code == 201
    case_id = response.json()["sag"]
    assert history(api, case_id)[0]["af"] == "api:booking"
    assert access_rows(api, str(case_id)) == [("api:booking", case_id, "ændr", "testclient")]
    for body, status in (
        ({"drejebog": "mini", "cpr": BO_CPR}, 403),  # nobody of the team on it
        ({"drejebog": "mini", "cpr": BO_CPR, "tildel": {"sagsbehandler": "per"}}, 403),
        ({"drejebog": "mini", "cpr": "691299-9999", "tildel": {"sagsbehandler": "anna_s"}}, 404),
        ({"drejebog": "ukendt", "cpr": BO_CPR, "tildel": {"sagsbehandler": "anna_s"}}, 404),
    ):
        refused = client.post("/api/sager", json=body, headers=auth)
        assert refused.status_code == status, (body, refused.text)


def test_a_team_token_reaches_its_team_only_and_an_all_teams_token_every_case(api, client, auth):
    ours = open_case(api)
    theirs = open_case(api, worker="per", cpr=BO_CPR)
    listed = client.get("/api/sager", headers=auth).json()["sager"]
    assert [c["sag"] for c in listed] == [int(ours)]
    assert listed[0]["cpr"] == "610190-xxxx"
    denied = client.get(f"/api/sager/{theirs}", headers=auth)
    assert denied.status_code == 403 and "tokenets team" in fejl(denied)
    event = client.post(
        f"/api/sager/{theirs}/haendelser",
        json={"haendelse": "rehab_holdt", "data": REHAB},
        headers=auth,
    )
    assert event.status_code == 403
    assert access_rows(api, theirs) == []  # refused before anything is read or logged
    workers = {
        w["medarbejder"]
        for w in client.get("/api/medarbejdere", headers=auth).json()["medarbejdere"]
    }
    assert workers == {"lene", "anna_s", "karl", "vera"}
    assert client.get("/api/indbakke/per", headers=auth).status_code == 403
    assert client.get("/api/opgaver?medarbejder=per", headers=auth).status_code == 403
    every = make_token(api, "statistik", ("laes",), None)
    both = client.get("/api/sager", headers=every).json()["sager"]
    assert {c["sag"] for c in both} == {int(ours), int(theirs)}
    assert client.get(f"/api/sager/{theirs}", headers=every).status_code == 200
    assert access_rows(api, theirs)[-1][:3] == ("api:statistik", int(theirs), "vis")


def test_the_case_list_filters_as_the_web_and_a_cpr_search_is_posted_and_logged(api, client, auth):
    first = open_case(api)
    second = open_case(api, cpr=BO_CPR)
    api.cases.apply_event(second, "rehab_holdt", REHAB, "anna_s")
    in_rehab = client.get("/api/sager?tilstand=rehab", headers=auth).json()["sager"]
    assert [c["sag"] for c in in_rehab] == [int(second)]
    by_name = client.get("/api/sager?soeg=Bertelsen", headers=auth).json()["sager"]
    assert [c["sag"] for c in by_name] == [int(second)]
    in_url = client.get(f"/api/sager?soeg={ANNA_CPR}", headers=auth)
    assert in_url.status_code == 400 and "POST /api/sager/soeg" in fejl(in_url)
    found = client.post("/api/sager/soeg", json={"soeg": ANNA_CPR}, headers=auth).json()
    assert [c["sag"] for c in found["sager"]] == [int(first)]
    assert access_rows(api, first) == [("api:booking", int(first), "søg", "testclient")]
    partial = client.post("/api/sager/soeg", json={"soeg": "610190"}, headers=auth)
    assert partial.status_code == 400
    assert client.get("/api/sager?side=0", headers=auth).status_code == 400


def test_tasks_drejeboeger_and_the_inbox(api, client, auth, tasks_case):
    tasks = client.get("/api/opgaver?medarbejder=anna_s", headers=auth).json()["opgaver"]
    assert [(t["sag"], t["opgave"], t["frist"]) for t in tasks] == [
        (int(tasks_case), "ring_op", "2027-03-05"),
        (int(tasks_case), "send_brev", None),
    ]
    books = client.get("/api/drejeboeger", headers=auth).json()["drejebøger"]
    assert {(b["id"], b["version"], b["kørende_sager"]) for b in books} == {
        ("mini", "1", 0),
        ("opgaver", "1", 1),
    }
    one = client.get("/api/drejeboeger/opgaver", headers=auth).json()
    assert one["versioner"][0]["tilstande"] == ["modtaget", "slut"]
    assert client.get("/api/drejeboeger/ukendt", headers=auth).status_code == 404
    message = inbox_message(api)
    unread = client.get("/api/indbakke/anna_s", headers=auth).json()["beskeder"]
    assert message in [m["id"] for m in unread]
    assert client.post(f"/api/indbakke/anna_s/{message}/laest", headers=auth).status_code == 200
    after = client.get("/api/indbakke/anna_s", headers=auth).json()["beskeder"]
    assert message not in [m["id"] for m in after]
    assert client.post(f"/api/indbakke/lene/{message}/laest", headers=auth).status_code == 404


# -- hostile input -------------------------------------------------------------------------


def test_a_revoked_a_made_up_and_a_malformed_token_get_nothing(api, client):
    case_id = open_case(api)
    made = api.api_tokens.create("booking", ("laes",), "lene", "ida")
    header = {"Authorization": f"Bearer {made.token}"}
    assert client.get(f"/api/sager/{case_id}", headers=header).status_code == 200
    api.api_tokens.revoke("booking", "ida")
    for headers in (
        header,  # revoked
        {"Authorization": "Bearer drb_" + "A" * 43},  # never made
        {"Authorization": f"Bearer {made.token[:-1]}"},
        {"Authorization": "Bearer " + "x" * 5000},
        {"Authorization": f"Basic {made.token}"},
        {"Authorization": "Bearer drb_\u00e6\u00f8\u00e5".encode("latin-1")},  # type: ignore[dict-item]
    ):
        response = client.get(f"/api/sager/{case_id}", headers=headers)
        assert response.status_code == 401
        assert fejl(response) == "et gyldigt API-token mangler (Authorization: Bearer ...)"
    assert len(access_rows(api, case_id)) == 1  # only the view made with the valid token


def test_a_token_without_the_scope_is_refused_with_the_scope_named(api, client):
    case_id = open_case(api)
    reader = make_token(api, "laeser", ("laes",))
    response = client.post(
        f"/api/sager/{case_id}/haendelser",
        json={"haendelse": "rehab_holdt", "data": REHAB},
        headers=reader,
    )
    assert response.status_code == 403 and "'haendelser'" in fejl(response)
    assert client.get("/api/indbakke/anna_s", headers=reader).status_code == 403
    writer = make_token(api, "skriver", ("haendelser",))
    assert client.get(f"/api/sager/{case_id}", headers=writer).status_code == 403
    assert api.reports.case_details(case_id)["tilstand"] == "visiteret"


def test_failed_authentication_from_one_address_is_rate_limited(api, client, auth):
    bad = {"Authorization": "Bearer drb_forkert"}
    for _ in range(MAX_FAILURES):
        assert client.get("/api/sager", headers=bad).status_code == 401
    limited = client.get("/api/sager", headers=auth)  # even a good token waits now
    assert limited.status_code == 429
    assert "for mange forsøg" in fejl(limited) and int(limited.headers["retry-after"]) > 0
    api.clock.advance(PAUSE + timedelta(seconds=1))
    assert client.get("/api/sager", headers=auth).status_code == 200


def post_raw(client: TestClient, url: str, body: bytes, headers: dict[str, str]) -> Response:
    return client.post(url, content=body, headers={"Content-Type": "application/json", **headers})


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b"{" + b'"a":"' + b"x" * (MAX_BODY + 1) + b'"}', 413, "højst 64 kB"),
        (
            b'{"haendelse":"rehab_holdt","data":' + b'{"a":' * 50 + b"1" + b"}" * 51,
            400,
            f"højst {MAX_DEPTH} niveauer",
        ),
        (b"[" * 100_000 + b"]" * 100_000, 413, "højst 64 kB"),
        (b"[" * 30_000 + b"]" * 30_000, 400, "for dybt"),
        (b'{"haendelse": "rehab_holdt", "data": {"x": NaN}}', 400, "NaN"),
        (b'{"haendelse": "rehab_holdt",', 400, "ikke gyldig JSON"),
        (b"\xff\xfe", 400, "UTF-8"),
        (b'["rehab_holdt"]', 400, "JSON-objekt"),
        (b'{"haendelse": "rehab_holdt", "data": {"x": "\\ud800"}}', 400, "U+D800"),
        (b'{"haendelse": "rehab_holdt", "ukendt": 1}', 400, "'ukendt'"),
        (b'{"haendelse": 7}', 400, "'haendelse'"),
        (b'{"haendelse": "rehab_holdt", "data": {"a": [1, 2]}}', 400, "'data.a"),
    ],
    ids=[
        "huge-body",
        "deep-json",
        "bracket-bomb",
        "deep-within-limit-size",
        "nan",
        "truncated",
        "not-utf8",
        "not-an-object",
        "lone-surrogate",
        "unknown-field",
        "wrong-type",
        "nested-data",
    ],
)
def test_hostile_bodies_are_refused_in_danish_and_change_nothing(
    api, client, auth, body, status, words
):
    case_id = open_case(api)
    response = post_raw(client, f"/api/sager/{case_id}/haendelser", body, auth)
    assert response.status_code == status, response.text
    assert words in fejl(response)
    assert len(history(api, case_id)) == 1
    assert access_rows(api, case_id) == []


def test_a_body_that_is_not_json_or_lies_about_its_length_is_refused(api, client, auth):
    case_id = open_case(api)
    form = client.post(
        f"/api/sager/{case_id}/haendelser", data={"haendelse": "rehab_holdt"}, headers=auth
    )
    assert form.status_code == 415 and "Content-Type: application/json" in fejl(form)
    lying = client.post(
        f"/api/sager/{case_id}/haendelser",
        content=b"{}",
        headers={**auth, "Content-Type": "application/json", "Content-Length": "999999999"},
    )
    assert lying.status_code in (400, 413)


def test_a_cpr_number_in_free_text_is_masked_in_every_answer(api, client, auth):
    case_id = open_case(api)
    response = client.post(
        f"/api/sager/{case_id}/haendelser",
        json={
            "haendelse": "rehab_holdt",
            "data": REHAB,
            "begrundelse": f"ringede om {ANNA_CPR} og 0101901234",
        },
        headers=auth,
    )
    assert response.status_code == 200
    shown = client.get(f"/api/sager/{case_id}", headers=auth)
    assert not shows_cpr_serial(shown.text)
    assert shown.json()["forløb"][-1]["begrundelse"] == "ringede om 610190-xxxx og 010190-xxxx"
    refused = client.post(
        f"/api/sager/{case_id}/haendelser",
        json={"haendelse": f"ukendt_{ANNA_CPR.replace('-', '')}"},
        headers=auth,
    )
    assert refused.status_code == 422 and not shows_cpr_serial(refused.text)


def test_unknown_addresses_and_bad_parameters_are_json_errors(api, client, auth):
    missing = client.get("/api/findes_ikke", headers=auth)
    assert missing.status_code == 404 and "findes ikke" in fejl(missing)
    assert client.get("/api/sager/99999", headers=auth).status_code == 404
    assert client.get("/api/sager/abc", headers=auth).status_code == 404
    long_filter = client.get("/api/sager?drejebog=" + "x" * 500, headers=auth)
    assert long_filter.status_code == 400 and "'drejebog'" in fejl(long_filter)
    huge_id = client.post("/api/indbakke/anna_s/" + "9" * 30 + "/laest", headers=auth)
    assert huge_id.status_code == 400


def test_every_text_of_an_answer_is_masked_on_the_way_out():
    """The last guard: whatever a use case returns, no CPR-shaped number leaves whole."""
    response = MaskedJSONResponse(
        {"tekst": "cpr 0101901234", "liste": [{"010190-1234": "nøgle"}], "tal": 1234567890}
    )
    assert json.loads(response.body) == {
        "tekst": "cpr 010190-xxxx",
        "liste": [{"010190-xxxx": "nøgle"}],
        "tal": 1234567890,
    }
