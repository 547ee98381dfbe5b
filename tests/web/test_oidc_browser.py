"""Login through the identity provider in a real browser: the test provider
(tests/oidc_provider.py) and the web app each on a port of 127.0.0.1; the worker presses
»Log ind med ...«, the browser goes to the provider and back, and lands on *Mit arbejde* as
the worker with the provider's e-mail. A person no worker has gets the Danish refusal on the
login page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from drejebog.web.app import create_app
from drejebog.web.oidc_settings import CALLBACK_PATH, OidcSettings
from drejebog.web.settings import WebSettings
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider
from tests.web.conftest import _free_port, running, seeded_app


def test_a_worker_logs_in_through_the_identity_provider(browser: Any, tmp_path: Path) -> None:
    app = seeded_app(tmp_path)
    provider_port, app_port = _free_port(), _free_port()
    issuer = f"http://127.0.0.1:{provider_port}"
    provider = Provider(issuer, app.clock.now, {"sub": "a1", "email": "anna@jobcenter.dk"})
    oidc = OidcSettings(
        issuer=issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_uri=f"http://127.0.0.1:{app_port}{CALLBACK_PATH}",
        name="Kommunens login",
    )
    web = create_app(app, WebSettings(secret_key="o" * 40, secure_cookie=False, oidc=oidc))
    try:
        with running(provider.app(), provider_port), running(web, app_port) as url:
            page = browser.new_page(locale="da-DK")
            page.goto(f"{url}/login")
            page.get_by_role("button", name="Log ind med Kommunens login").click()
            page.wait_for_url(f"{url}/")
            assert page.get_by_role("heading", level=1).inner_text() == "Mit arbejde"
            assert "Logget ind som anna_s" in page.get_by_role("navigation").inner_text()
            assert len(provider.requests) == 1  # the browser was at the provider

            stranger = browser.new_page(locale="da-DK")
            provider.person = {"sub": "z9", "email": "fremmed@kommune.example"}
            stranger.goto(f"{url}/login")
            stranger.get_by_role("button", name="Log ind med Kommunens login").click()
            stranger.wait_for_load_state()
            alert = stranger.get_by_role("alert").inner_text()
            assert "ingen medarbejder i drejebog har den e-mail" in alert
            assert stranger.get_by_role("heading", level=1).inner_text() == "Log ind"
    finally:
        app.close()
