"""The app factory: `create_app(app, settings)` gives the ASGI application over a wired `App`
(drejebog/bootstrap.py). Every refusal becomes a Danish page with the right status; an
unexpected failure is a plain Danish 500 page, never a traceback in the browser."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from drejebog.app.access import AccessDenied
from drejebog.bootstrap import App
from drejebog.engine.cpr import mask_cpr_in_text
from drejebog.engine.errors import ConcurrencyConflict, DrejebogError, NotFound
from drejebog.engine.facts import shown_fact
from drejebog.web.api import API_PREFIX, create_api
from drejebog.web.calendar_feed import register_calendar_feed
from drejebog.web.calendar_page import register_calendar_page
from drejebog.web.errors import LoginRequired, WebError
from drejebog.web.oidc import register_oidc
from drejebog.web.oidc_client import OidcClient
from drejebog.web.pages import register_pages
from drejebog.web.settings import WebSettings
from drejebog.web.state import WebState, local_time

HERE = Path(__file__).resolve().parent
log = logging.getLogger(__name__)

_HTTP_MESSAGES = {
    404: "siden findes ikke",
    405: "siden kan ikke bruges sådan (forkert metode)",
}


def create_app(
    app: App, settings: WebSettings | None = None, oidc_client: OidcClient | None = None
) -> FastAPI:
    """`oidc_client`: the identity provider's client (tests give one that reaches their
    provider in-process); made from `settings.oidc` when not given."""
    settings = settings or WebSettings()
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["maske"] = lambda value: mask_cpr_in_text(str(value))
    templates.env.filters["faktum"] = shown_fact  # a tidspunkt as '2027-11-01 10:00'
    templates.env.filters["lokal"] = local_time
    state = WebState(app, settings, templates)
    api = FastAPI(title="drejebog", docs_url=None, redoc_url=None, openapi_url=None)
    api.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="drejebog_session",
        max_age=settings.session_hours * 3600,
        same_site="lax",
        https_only=settings.secure_cookie,
    )
    api.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    register_pages(api, state)
    register_calendar_page(api, state)
    if settings.oidc is not None:
        register_oidc(api, state, oidc_client or OidcClient(settings.oidc))
    templates.env.globals["oidc_navn"] = settings.oidc.name if settings.oidc else None
    register_calendar_feed(api, app)
    api.mount(API_PREFIX, create_api(app))

    def error_page(
        request: Request, status: int, message: str, back: str | None = None
    ) -> Response:
        return state.page(
            request, "fejl.html", status, besked=mask_cpr_in_text(message), tilbage=back
        )

    async def on_web_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, WebError)
        return error_page(request, exc.status, exc.message, exc.back)

    async def on_login_required(request: Request, exc: Exception) -> Response:
        return RedirectResponse("/login", status_code=303)

    async def on_denied(request: Request, exc: Exception) -> Response:
        return error_page(request, 403, str(exc))

    async def on_conflict(request: Request, exc: Exception) -> Response:
        return error_page(
            request,
            409,
            "en anden har ændret sagen, mens du så på den; intet er gemt. "
            "Genindlæs sagen og prøv igen.",
            request.url.path.rsplit("/", 1)[0] if request.method == "POST" else None,
        )

    async def on_drejebog_error(request: Request, exc: Exception) -> Response:
        status = 404 if isinstance(exc, NotFound) else 400
        return error_page(request, status, mask_cpr_in_text(str(exc)))

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        message = _HTTP_MESSAGES.get(exc.status_code, "forespørgslen kan ikke besvares")
        return error_page(request, exc.status_code, message)

    async def on_validation(request: Request, exc: Exception) -> Response:
        return error_page(request, 400, "forespørgslen er ugyldig")

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        log.exception("uventet fejl", extra={"action": "web_error", "path": request.url.path})
        return error_page(request, 500, "der opstod en uventet fejl; prøv igen")

    api.add_exception_handler(WebError, on_web_error)
    api.add_exception_handler(LoginRequired, on_login_required)
    api.add_exception_handler(AccessDenied, on_denied)
    api.add_exception_handler(ConcurrencyConflict, on_conflict)
    api.add_exception_handler(DrejebogError, on_drejebog_error)
    api.add_exception_handler(HTTPException, on_http)
    api.add_exception_handler(RequestValidationError, on_validation)
    api.add_exception_handler(Exception, on_unexpected)
    return api
