"""Who is logged in, and the CSRF check.

The session is Starlette's signed cookie (itsdangerous): HttpOnly, SameSite=Lax, Secure when
configured. It holds the worker's handle and a CSRF token; logging in replaces both (no
session fixation). Every request looks the account up again, so a disabled account is out at
once. Every POST form carries the session's token in the field `csrf`; a form without it, or
with another, is refused.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from starlette.requests import Request

from drejebog.app.accounts import Accounts
from drejebog.web.errors import LoginRequired, WebError

CSRF_FIELD = "csrf"


@dataclass(frozen=True)
class Viewer:
    handle: str
    role: str  # the account's role


def csrf_token(request: Request) -> str:
    """The session's token, made on first use."""
    token = request.session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[CSRF_FIELD] = token
    return token


def check_csrf(request: Request, form: dict[str, str]) -> None:
    expected = request.session.get(CSRF_FIELD)
    given = form.get(CSRF_FIELD, "")
    if not isinstance(expected, str) or not hmac.compare_digest(
        expected.encode(), given.encode("utf-8", "replace")
    ):
        raise WebError(
            403,
            "formularen mangler sit sikkerhedstegn (CSRF) eller det er forældet; "
            "genindlæs siden og prøv igen",
        )


def log_in(request: Request, handle: str, role: str) -> None:
    request.session.clear()
    request.session["handle"] = handle
    request.session["rolle"] = role  # for the menu only: each request checks the account
    request.session[CSRF_FIELD] = secrets.token_urlsafe(32)


def log_out(request: Request) -> None:
    request.session.clear()


def viewer(request: Request, accounts: Accounts) -> Viewer:
    """The logged-in worker; LoginRequired when nobody is (or the account is disabled)."""
    handle = request.session.get("handle")
    account = accounts.active(handle) if isinstance(handle, str) else None
    if account is None:
        request.session.pop("handle", None)
        raise LoginRequired()
    return Viewer(account.handle, account.role)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "ukendt"
