"""Login through the identity provider (OpenID Connect), when configured (web/oidc_settings.py).

POST /login/oidc (the login page's button, with its CSRF token) makes a state, a nonce and a
PKCE verifier, keeps them in the session and sends the browser to the provider. The provider
sends it back to GET /login/oidc/svar with a code and the state: the state must be this
session's (used once, at most MAX_AGE old), the code is exchanged with the verifier, the ID
token checked (web/oidc_client.py) and its person matched to a worker's account
(app/oidc_accounts.py). Then the session is a local login's (web/auth.py `log_in`: a new
session, a new CSRF token). Every refusal is the login page with a Danish message and a log
line with action `oidc_access_denied` and its reason; a login is logged as `oidc_login`.
"""

from __future__ import annotations

import hmac
import logging
import secrets

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from drejebog.app.oidc_accounts import LoginRefused, OidcAccounts
from drejebog.web.auth import check_csrf, client_address, log_in
from drejebog.web.forms import read_form
from drejebog.web.oidc_client import OidcClient, OidcError, Pending
from drejebog.web.oidc_settings import CALLBACK_PATH
from drejebog.web.state import WebState

log = logging.getLogger(__name__)

PENDING = "oidc"  # the session's key for the login under way
MAX_AGE = 600  # seconds from the button to the provider's answer
MAX_PARAM = 4096  # characters of a parameter in the provider's answer


def _checked_answer(request: Request, pending: Pending | None, now: float) -> str:
    """The code in the provider's answer, once the answer is this session's own."""
    params = request.query_params
    if any(len(value) > MAX_PARAM for value in params.values()):
        raise OidcError("svaret fra identitetsudbyderen er for langt", "param_too_long")
    if pending is None:
        raise OidcError(
            "login-forsøget er ukendt, udløbet eller allerede brugt; start forfra",
            "no_pending",
        )
    given = params.get("state", "")
    if not hmac.compare_digest(given.encode(), pending.state.encode()):
        raise OidcError(
            "svaret fra identitetsudbyderen hører ikke til dette login-forsøg (state); "
            "start forfra",
            "state_mismatch",
        )
    if not 0 <= now - pending.started <= MAX_AGE:
        raise OidcError("login-forsøget er udløbet; start forfra", "attempt_expired")
    if "error" in params:
        raise OidcError(
            f"identitetsudbyderen afviste login ({params['error'][:60]})",
            f"provider_error:{params['error'][:40]}",
            403,
        )
    code = params.get("code", "")
    if not code:
        raise OidcError("svaret fra identitetsudbyderen mangler koden", "no_code")
    return code


def register_oidc(api: FastAPI, state: WebState, client: OidcClient) -> None:
    settings = client.settings
    matcher = OidcAccounts(
        state.app.access_store,
        state.accounts,
        state.app.admin.workers,
        settings.claim,
        settings.create_role,
    )

    def refuse(request: Request, message: str, reason: str, status: int, sub: str = "") -> Response:
        log.warning(
            "login via identitetsudbyderen afvist: %s",
            reason,
            extra={
                "action": "oidc_access_denied",
                "reason": reason,
                "subject": sub[:64],
                "address": client_address(request),
            },
        )
        # oidc_fejl: the message is not about the password form's fields
        return state.page(request, "login.html", status, fejl=message, oidc_fejl=True)

    @api.post("/login/oidc")
    async def start(request: Request) -> Response:
        form = await read_form(request)
        check_csrf(request, form)
        pending = Pending(
            secrets.token_urlsafe(32),
            secrets.token_urlsafe(32),
            secrets.token_urlsafe(48),  # 64 characters: within RFC 7636's 43 to 128
            state.app.clock.now().timestamp(),
        )
        try:
            url = await client.authorization_url(pending)
        except OidcError as exc:
            return refuse(request, exc.message, exc.reason, exc.status)
        request.session[PENDING] = pending.as_dict()
        return RedirectResponse(url, status_code=303)

    @api.get(CALLBACK_PATH)
    async def answer(request: Request) -> Response:
        pending = Pending.from_dict(request.session.pop(PENDING, None))  # used once
        now = state.app.clock.now()
        sub = ""
        try:
            code = _checked_answer(request, pending, now.timestamp())
            assert pending is not None
            token = await client.exchange(code, pending)
            claims = await client.verify(token, pending, now)
            sub = str(claims.get("sub", ""))
            account = matcher.account_for(claims)
        except OidcError as exc:
            return refuse(request, exc.message, exc.reason, exc.status, sub)
        except LoginRefused as exc:
            return refuse(request, str(exc), exc.reason, 403, sub)
        log_in(request, account.handle, account.role)
        log.info(
            "logget ind via identitetsudbyderen",
            extra={
                "action": "oidc_login",
                "handle": account.handle,
                "subject": sub[:64],
                "address": client_address(request),
            },
        )
        return RedirectResponse("/", status_code=303)
