"""`drejebog token add/list/revoke` (an administrator only; the token shown once, its SHA-256
digest stored, never the token) and `drejebog calendar url/revoke`, on SQLite and PostgreSQL
through the migrations (`db upgrade`)."""

from __future__ import annotations

import hashlib
import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from drejebog.app.settings import Settings
from drejebog.bootstrap import App, bootstrap
from drejebog.store.tables import API_TOKEN, CALENDAR_FEED
from drejebog.web.app import create_app
from tests.store.test_account_cli import invoke
from tests.store.test_web import SETTINGS

TOKEN = re.compile(r"^drb_[A-Za-z0-9_-]{43}$", re.MULTILINE)
FEED_URL = re.compile(r"^http://127\.0\.0\.1:8000(/kalender/[A-Za-z0-9_-]{43}\.ics)$", re.MULTILINE)


def staff(database_url: str, run) -> None:
    run("db", "upgrade")
    run("worker", "add", "lene", "--navn", "Lene", "--rolle", "leder")
    run("worker", "add", "ida", "--navn", "Ida", "--rolle", "sagsbehandler")
    invoke(
        database_url,
        "account",
        "add",
        "ida",
        "--rolle",
        "administrator",
        "--password-stdin",
        stdin="en lang adgangskode\n",
    )


def opened(database_url: str) -> App:
    return bootstrap(Settings(database_url))


def test_an_administrator_makes_lists_and_revokes_a_token_stored_as_a_digest(database_url, run):
    staff(database_url, run)
    out = run(
        "token",
        "add",
        "booking",
        "--adgang",
        "laes",
        "--adgang",
        "haendelser",
        "--team",
        "lene",
        "--as",
        "ida",
    )
    assert "token til booking (laes, haendelser; lenes team):" in out
    assert "vises ikke igen" in out
    token = TOKEN.search(out)
    assert token, out
    app = opened(database_url)
    try:
        with app.engine.connect() as connection:
            rows = connection.execute(select(API_TOKEN)).all()
        assert len(rows) == 1
        assert rows[0].token_hash == hashlib.sha256(token.group(0).encode()).hexdigest()
        assert token.group(0) not in str(tuple(rows[0]))  # never the token itself
        integration = app.api_tokens.authenticate(token.group(0))
        assert integration is not None and integration.actor == "api:booking"
        assert integration.scopes == {"laes", "haendelser"} and integration.team_lead == "lene"
        listed = run("token", "list", "--as", "ida")
        assert re.search(r"booking\s+laes,haendelser\s+lene\s+2\d{3}-\d\d-\d\d\s+gyldigt", listed)
        assert token.group(0) not in listed
        twice = run(
            "token", "add", "booking", "--adgang", "laes", "--alle-teams", "--as", "ida", code=1
        )
        assert "har allerede et gyldigt token" in twice
        assert "er tilbagekaldt" in run("token", "revoke", "booking", "--as", "ida")
        assert app.api_tokens.authenticate(token.group(0)) is None
        assert "tilbagekaldt" in run("token", "list", "--as", "ida")
        again = run("token", "add", "booking", "--adgang", "laes", "--alle-teams", "--as", "ida")
        assert TOKEN.search(again) and "alle teams" in again
    finally:
        app.close()


def test_only_an_administrator_may_handle_tokens_and_bad_input_is_refused(database_url, run):
    staff(database_url, run)
    for args, words in (
        (
            ("token", "add", "x", "--adgang", "laes", "--alle-teams", "--as", "lene"),
            "må ikke administrere API-tokens",
        ),
        (("token", "add", "x", "--adgang", "laes", "--alle-teams"), "må ikke administrere"),
        (("token", "list", "--as", "lene"), "må ikke administrere"),
        (("token", "revoke", "x", "--as", "lene"), "må ikke administrere"),
        (
            ("token", "add", "Ugyldigt Navn", "--adgang", "laes", "--alle-teams", "--as", "ida"),
            "ugyldigt navn",
        ),
        (
            ("token", "add", "x" * 41, "--adgang", "laes", "--alle-teams", "--as", "ida"),
            "højst 40 tegn",
        ),
        (("token", "add", "x", "--adgang", "laes", "--team", "nobody", "--as", "ida"), "nobody"),
        (("token", "revoke", "findes_ikke", "--as", "ida"), "har intet gyldigt token"),
    ):
        assert words in run(*args, code=1), args
    assert "vælg enten --team LEDER eller --alle-teams" in run(
        "token", "add", "x", "--adgang", "laes", "--as", "ida", code=2
    )
    assert "laes" in run(
        "token", "add", "x", "--adgang", "alt", "--alle-teams", "--as", "ida", code=2
    )
    app = opened(database_url)
    try:
        with app.engine.connect() as connection:
            assert connection.execute(select(API_TOKEN)).all() == []
    finally:
        app.close()


def test_a_workers_calendar_url_works_until_replaced_or_revoked(database_url, run):
    staff(database_url, run)
    first = FEED_URL.search(run("calendar", "url", "--as", "lene"))
    assert first, "no URL"
    app = opened(database_url)
    try:
        with TestClient(create_app(app, SETTINGS), base_url="https://testserver") as client:
            assert client.get(first.group(1)).status_code == 200
            second = FEED_URL.search(run("calendar", "url", "--as", "lene"))
            assert second and second.group(1) != first.group(1)
            assert client.get(first.group(1)).status_code == 404  # replaced
            assert client.get(second.group(1)).status_code == 200
            with app.engine.connect() as connection:
                stored = connection.execute(select(CALENDAR_FEED)).all()
            assert len(stored) == 1 and second.group(1) not in str(tuple(stored[0]))
            assert "er tilbagekaldt" in run("calendar", "revoke", "--as", "lene")
            assert client.get(second.group(1)).status_code == 404
            assert "har ingen kalender-URL" in run("calendar", "revoke", "--as", "lene", code=1)
    finally:
        app.close()
    assert "angiv medarbejderen med --as" in run("calendar", "url", code=2)
    assert "nobody" in run("calendar", "url", "--as", "nobody", code=1)
