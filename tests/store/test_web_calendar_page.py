"""The worker's calendar page (/min-kalender, web/calendar_page.py) on SQLite and PostgreSQL:
linked from the menu, a new URL shown once and working, a second one replacing it, revoking
it, each button CSRF-checked and each action logged with the worker and the address."""

from __future__ import annotations

import logging
import re

from drejebog.app.calendar_feed import FEED_PATH
from tests.store.test_web import client, csrf_of, log_in, web  # noqa: F401  (fixtures)


def shown_url(html: str) -> str:
    match = re.search(r'id="kalender-url" class="url" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def actions(caplog) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    return [
        (r.action, r.handle, r.source)
        for r in caplog.records
        if getattr(r, "action", "").startswith("calendar_url")
    ]


def test_a_worker_makes_renews_and_revokes_their_calendar_url(client, web, caplog):  # noqa: F811
    caplog.set_level(logging.INFO)
    assert client.get("/min-kalender", follow_redirects=False).headers["location"] == "/login"
    log_in(client)
    home = client.get("/").text
    assert '<a href="/min-kalender">Min kalender</a>' in home
    page = client.get("/min-kalender")
    assert "Du har ingen kalender-URL." in page.text
    assert "Tilbagekald" not in page.text

    made = client.post("/min-kalender/ny", data={"csrf": csrf_of(page.text)})
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    first = shown_url(made.text)
    assert first.startswith(f"https://testserver{FEED_PATH}") and first.endswith(".ics")
    assert "Du har en kalender-URL, lavet 01.03.2027 09:00." in made.text
    assert client.get(first.removeprefix("https://testserver")).status_code == 200
    assert first not in client.get("/min-kalender").text  # shown once only

    renewed = client.post("/min-kalender/ny", data={"csrf": csrf_of(made.text)})
    second = shown_url(renewed.text)
    assert second != first
    assert client.get(first.removeprefix("https://testserver")).status_code == 404
    assert client.get(second.removeprefix("https://testserver")).status_code == 200

    revoked = client.post("/min-kalender/tilbagekald", data={"csrf": csrf_of(renewed.text)})
    assert "Din kalender-URL er tilbagekaldt; den virker ikke længere." in revoked.text
    assert "Du har ingen kalender-URL." in revoked.text
    assert client.get(second.removeprefix("https://testserver")).status_code == 404
    assert actions(caplog) == [
        ("calendar_url_made", "anna_s", "web:testclient"),
        ("calendar_url_made", "anna_s", "web:testclient"),
        ("calendar_url_revoked", "anna_s", "web:testclient"),
    ]


def test_the_calendar_buttons_without_their_csrf_token_do_nothing(client, web, caplog):  # noqa: F811
    log_in(client)
    for path in ("/min-kalender/ny", "/min-kalender/tilbagekald"):
        refused = client.post(path, data={"csrf": "forkert"})
        assert refused.status_code == 403 and "CSRF" in refused.text
    assert web.calendar_feeds.made("anna_s") is None
    assert actions(caplog) == []


def test_revoking_without_a_url_says_so(client, web):  # noqa: F811
    log_in(client)
    token = csrf_of(client.get("/min-kalender").text)
    answer = client.post("/min-kalender/tilbagekald", data={"csrf": token})
    assert "Du havde ingen kalender-URL; der er intet at tilbagekalde." in answer.text
