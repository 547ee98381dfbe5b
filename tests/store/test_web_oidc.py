"""Login through the identity provider (web/oidc.py) against the small provider of
tests/oidc_provider.py, in-process: a login that works (PKCE, state and nonce sent, the session
then a local login's), and each refusal with its Danish message, its log line and no session:
a wrong state, a replayed answer, a wrong nonce, an expired or foreign-signed ID token, a wrong
audience or issuer, an unknown person, a worker without an account (unless configured)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from fastapi.testclient import TestClient

from drejebog.app.settings import SettingsError
from drejebog.bootstrap import App
from drejebog.web.app import create_app
from drejebog.web.oidc_client import OidcClient
from drejebog.web.oidc_settings import CALLBACK_PATH, OidcSettings
from drejebog.web.settings import WebSettings
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, Tamper
from tests.store.test_web import csrf_of, log_in, web  # noqa: F401  (fixture)

ISSUER = "https://login.kommune.example"
REDIRECT = f"https://testserver{CALLBACK_PATH}"


def oidc_settings(**changes: str) -> OidcSettings:
    values = {
        "issuer": ISSUER,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uri": REDIRECT,
        "name": "Hedensted Login",
        **changes,
    }
    return OidcSettings(**values)  # type: ignore[arg-type]


@dataclass
class Setup:
    client: TestClient
    provider: Provider
    app: App


def make(app: App, **changes: str) -> Iterator[Setup]:
    provider = Provider(ISSUER, app.clock.now, {"sub": "a1b2", "email": "Anna@Jobcenter.dk"})
    settings = oidc_settings(**changes)
    oidc = OidcClient(settings, httpx2.ASGITransport(app=provider.app()))
    web_settings = WebSettings(secret_key="k" * 40, secure_cookie=True, oidc=settings)
    with TestClient(create_app(app, web_settings, oidc), base_url="https://testserver") as client:
        yield Setup(client, provider, app)


@pytest.fixture
def setup(web: App) -> Iterator[Setup]:  # noqa: F811
    yield from make(web)


def start(setup: Setup) -> str:
    """Press the login page's button: the address the browser is sent to at the provider."""
    token = csrf_of(setup.client.get("/login").text)
    sent = setup.client.post("/login/oidc", data={"csrf": token}, follow_redirects=False)
    assert sent.status_code == 303, sent.text
    return sent.headers["location"]


def at_provider(setup: Setup, url: str) -> str:
    """The browser at the provider: the address it is sent back to (our callback)."""
    path = urlsplit(url)
    with TestClient(setup.provider.app(), base_url=ISSUER) as provider:
        answer = provider.get(f"{path.path}?{path.query}", follow_redirects=False)
    assert answer.status_code == 302, answer.text
    back = answer.headers["location"]
    assert back.startswith(REDIRECT)
    return back


def come_back(setup: Setup, url: str):  # type: ignore[no-untyped-def]
    return setup.client.get(url.removeprefix("https://testserver"), follow_redirects=False)


def logged_in_as(setup: Setup) -> str | None:
    page = setup.client.get("/", follow_redirects=False)
    if page.status_code != 200:
        return None
    return page.text.split("Logget ind som <strong>")[1].split("<")[0]


def denials(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.reason for r in caplog.records if getattr(r, "action", "") == "oidc_access_denied"]


def test_the_login_page_shows_the_providers_button_only_when_configured(setup, web):  # noqa: F811
    assert "Log ind med Hedensted Login" in setup.client.get("/login").text
    plain = WebSettings(secret_key="k" * 40)
    with TestClient(create_app(web, plain), base_url="https://testserver") as client:
        assert "Log ind med" not in client.get("/login").text
        token = csrf_of(client.get("/login").text)
        assert client.post("/login/oidc", data={"csrf": token}).status_code in (404, 405)


def test_a_person_the_provider_vouches_for_logs_in_as_the_worker_with_that_email(setup, caplog):
    caplog.set_level(logging.INFO)
    url = start(setup)
    asked = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith(f"{ISSUER}/authorize?")
    assert asked["code_challenge_method"] == "S256" and len(asked["code_challenge"]) == 43
    assert asked["redirect_uri"] == REDIRECT and asked["client_id"] == CLIENT_ID
    assert "openid" in asked["scope"].split()
    assert len(asked["state"]) >= 32 and len(asked["nonce"]) >= 32
    back = come_back(setup, at_provider(setup, url))
    assert (back.status_code, back.headers["location"]) == (303, "/")
    assert logged_in_as(setup) == "anna_s"  # Anna@Jobcenter.dk is anna_s's, letter case aside
    page = setup.client.get("/")
    assert "<h1>Mit arbejde</h1>" in page.text
    logins = [r for r in caplog.records if getattr(r, "action", "") == "oidc_login"]
    assert [(r.handle, r.subject) for r in logins] == [("anna_s", "a1b2")]
    # the session is a local login's: a form with its new CSRF token works, the old is refused
    assert setup.client.post("/logout", data={"csrf": "forældet"}).status_code == 403
    token = csrf_of(page.text)
    setup.client.post("/logout", data={"csrf": token}, follow_redirects=False)
    assert logged_in_as(setup) is None


def test_an_answer_with_another_state_is_refused_and_the_attempt_is_spent(setup, caplog):
    url = start(setup)
    back = at_provider(setup, url)
    state = parse_qs(urlsplit(back).query)["state"][0]
    forged = come_back(setup, back.replace(state, "en-anden-state"))
    assert forged.status_code == 400
    assert "hører ikke til dette login-forsøg (state)" in forged.text
    again = come_back(setup, back)  # the right answer after a forged one: the attempt is gone
    assert again.status_code == 400 and "ukendt, udløbet eller allerede brugt" in again.text
    assert logged_in_as(setup) is None
    assert denials(caplog) == ["state_mismatch", "no_pending"]


def test_an_answer_used_twice_is_refused_the_second_time(setup, caplog):
    back = at_provider(setup, start(setup))
    assert come_back(setup, back).status_code == 303
    setup.client.cookies.clear()
    replay = come_back(setup, back)
    assert replay.status_code == 400 and "allerede brugt" in replay.text
    assert logged_in_as(setup) is None


def test_an_answer_after_ten_minutes_is_refused(setup, caplog):
    back = at_provider(setup, start(setup))
    setup.app.clock.advance(timedelta(minutes=10, seconds=1))
    late = come_back(setup, back)
    assert late.status_code == 400 and "login-forsøget er udløbet" in late.text
    assert denials(caplog) == ["attempt_expired"]


@pytest.mark.parametrize(
    ("tamper", "message", "reason"),
    [
        (
            Tamper(nonce="en-anden-nonce"),
            "ID-tokenets engangsværdien (nonce) er forkert",
            "claim:nonce",
        ),
        (Tamper(expires_in=timedelta(minutes=-5)), "ID-tokenet er udløbet", "expired"),
        (
            Tamper(foreign_key=True),
            "ID-tokenets signatur er ikke identitetsudbyderens",
            "bad_signature",
        ),
        (Tamper(audience="en-anden-app"), "ID-tokenets modtageren (aud) er forkert", "claim:aud"),
        (
            Tamper(issuer="https://falsk.example"),
            "ID-tokenets udstederen (iss) er forkert",
            "claim:iss",
        ),
    ],
    ids=["wrong_nonce", "expired", "foreign_signature", "wrong_audience", "wrong_issuer"],
)
def test_a_bad_id_token_is_refused_with_a_danish_message(setup, caplog, tamper, message, reason):
    setup.provider.tamper = tamper
    back = come_back(setup, at_provider(setup, start(setup)))
    assert back.status_code == 400
    assert message in back.text and "Log ind" in back.text  # the login page, with the reason
    assert logged_in_as(setup) is None
    assert denials(caplog) == [reason]


def test_a_token_expired_within_the_leeway_is_still_taken(setup):
    setup.provider.tamper = Tamper(expires_in=timedelta(seconds=-30))  # clocks differ a little
    assert come_back(setup, at_provider(setup, start(setup))).status_code == 303
    assert logged_in_as(setup) == "anna_s"


def test_a_person_no_worker_has_is_refused_and_logged(setup, caplog):
    setup.provider.person = {"sub": "x9", "email": "ukendt@kommune.example"}
    back = come_back(setup, at_provider(setup, start(setup)))
    assert back.status_code == 403
    assert "ingen medarbejder i drejebog har den e-mail" in back.text
    assert logged_in_as(setup) is None
    [record] = [r for r in caplog.records if getattr(r, "action", "") == "oidc_access_denied"]
    assert (record.reason, record.subject) == ("unknown_subject", "x9")


def test_an_unverified_email_is_refused(setup, caplog):
    setup.provider.person = {"sub": "a1b2", "email": "anna@jobcenter.dk", "email_verified": False}
    back = come_back(setup, at_provider(setup, start(setup)))
    assert back.status_code == 403 and "har ikke bekræftet e-mailen" in back.text
    assert denials(caplog) == ["email_unverified"]


def test_a_worker_without_an_account_is_refused_unless_accounts_are_made_at_login(web, caplog):  # noqa: F811
    for made in make(web):  # karl is a worker, but has no account
        made.provider.person = {"sub": "k1", "email": "karl@jobcenter.dk"}
        back = come_back(made, at_provider(made, start(made)))
        assert back.status_code == 403 and "karl&#39; har ingen konto til drejebog" in back.text
        assert denials(caplog) == ["no_account"]
    assert web.access_store.account("karl") is None
    for made in make(web, create_role="sagsbehandler"):
        made.provider.person = {"sub": "k1", "email": "karl@jobcenter.dk"}
        assert come_back(made, at_provider(made, start(made))).status_code == 303
        assert logged_in_as(made) == "karl"
    account = web.access_store.account("karl")
    assert account is not None and account.role == "sagsbehandler"


def test_the_subject_can_be_the_handle(web):  # noqa: F811
    for made in make(web, claim="sub"):
        made.provider.person = {"sub": "lene"}
        assert come_back(made, at_provider(made, start(made))).status_code == 303
        assert logged_in_as(made) == "lene"
        made.client.cookies.clear()
        made.provider.person = {"sub": "ukendt_person"}
        back = come_back(made, at_provider(made, start(made)))
        assert (
            back.status_code == 403
            and "ingen medarbejder i drejebog har det brugernavn" in back.text
        )


def test_the_providers_refusal_and_a_hostile_answer_are_danish_pages(setup, caplog):
    url = start(setup)
    state = parse_qs(urlsplit(url).query)["state"][0]
    refused = come_back(setup, f"{CALLBACK_PATH}?error=access_denied&state={state}")
    assert refused.status_code == 403
    assert "identitetsudbyderen afviste login (access_denied)" in refused.text
    start(setup)
    huge = come_back(setup, f"{CALLBACK_PATH}?code={'x' * 20_000}&state=s")
    assert huge.status_code == 400 and "for langt" in huge.text
    assert denials(caplog) == ["provider_error:access_denied", "param_too_long"]


def test_the_button_without_its_csrf_token_is_refused(setup):
    assert setup.client.post("/login/oidc", data={"x": "1"}).status_code == 403
    assert setup.provider.requests == []


def test_a_local_password_login_still_works_beside_the_provider(setup):
    assert log_in(setup.client) == 303
    assert logged_in_as(setup) == "anna_s"


def test_settings_are_off_by_default_and_a_bad_one_names_its_key():
    assert WebSettings.from_environment({}).oidc is None
    good = {
        "DREJEBOG_OIDC_ISSUER": ISSUER,
        "DREJEBOG_OIDC_CLIENT_ID": CLIENT_ID,
        "DREJEBOG_OIDC_REDIRECT_URI": REDIRECT,
    }
    read = WebSettings.from_environment(good).oidc
    assert read is not None and (read.claim, read.create_role, read.client_secret) == (
        "email",
        "",
        "",
    )
    assert read.discovery_url == f"{ISSUER}/.well-known/openid-configuration"
    for change, message in (
        ({"DREJEBOG_OIDC_CLIENT_ID": ""}, "DREJEBOG_OIDC_CLIENT_ID skal sættes"),
        (
            {"DREJEBOG_OIDC_ISSUER": "http://login.example"},
            "DREJEBOG_OIDC_ISSUER skal være en https://",
        ),
        (
            {"DREJEBOG_OIDC_REDIRECT_URI": "https://x.example/andet"},
            "skal ende på stien /login/oidc/svar",
        ),
        ({"DREJEBOG_OIDC_CREATE_ROLE": "konge"}, "DREJEBOG_OIDC_CREATE_ROLE skal være tom eller"),
        ({"DREJEBOG_OIDC_CLAIM": "e mail"}, "DREJEBOG_OIDC_CLAIM skal være navnet på et claim"),
    ):
        with pytest.raises(SettingsError, match=message):
            WebSettings.from_environment({**good, **change})


def test_an_unreachable_or_flooding_provider_is_a_danish_page_not_a_hang(web, caplog):  # noqa: F811
    def unreachable(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("forbindelsen blev afvist", request=request)

    def flooding(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, content=b'{"issuer": "' + b"x" * 1_000_000 + b'"}')

    settings = oidc_settings()
    web_settings = WebSettings(secret_key="k" * 40, oidc=settings)
    for handler, message in (
        (unreachable, "identitetsudbyderen kunne ikke nås eller svarede ikke"),
        (flooding, "identitetsudbyderens svar er for stort"),
    ):
        oidc = OidcClient(settings, httpx2.MockTransport(handler))
        app = create_app(web, web_settings, oidc)
        with TestClient(app, base_url="https://testserver") as client:
            token = csrf_of(client.get("/login").text)
            answer = client.post("/login/oidc", data={"csrf": token}, follow_redirects=False)
            assert answer.status_code == 502 and message in answer.text
    assert denials(caplog) == ["unreachable:ConnectError", "answer_too_big"]
