"""The worker's own page for their private calendar URL (/min-kalender): whether they have
one and since when, a button that makes a new one (the old stops working) and one that revokes
it. The URL is shown once, in the answer to the button (never stored, never in the session
cookie, and that answer is not cached); both buttons are CSRF-checked forms, and both actions
are logged by app/calendar_feed.py with the worker and their address."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from drejebog.app.api_tokens import TokenError
from drejebog.app.calendar_feed import FEED_PATH, FEED_SUFFIX
from drejebog.web.auth import check_csrf, client_address
from drejebog.web.forms import read_form
from drejebog.web.state import WebState

PAGE = "/min-kalender"


def register_calendar_page(api: FastAPI, state: WebState) -> None:
    feeds = state.app.calendar_feeds

    def page(request: Request, handle: str, status: int = 200, **context: object) -> Response:
        made = feeds.made(handle)
        answer = state.page(
            request,
            "kalender.html",
            status,
            lavet=made.isoformat() if made else None,
            besked=request.session.pop("besked", None),
            **context,
        )
        answer.headers["Cache-Control"] = "no-store"  # the one answer that holds the URL
        return answer

    @api.get(PAGE)
    async def calendar_page(request: Request) -> Response:
        return page(request, state.viewer(request).handle)

    @api.post(PAGE + "/ny")
    async def new_url(request: Request) -> Response:
        who = state.viewer(request)
        check_csrf(request, await read_form(request))
        secret = feeds.new_secret(who.handle, f"web:{client_address(request)}")
        base = str(request.base_url).rstrip("/")
        return page(request, who.handle, url=f"{base}{FEED_PATH}{secret}{FEED_SUFFIX}")

    @api.post(PAGE + "/tilbagekald")
    async def revoke_url(request: Request) -> Response:
        who = state.viewer(request)
        check_csrf(request, await read_form(request))
        try:
            feeds.revoke(who.handle, f"web:{client_address(request)}")
        except TokenError:
            request.session["besked"] = "Du havde ingen kalender-URL; der er intet at tilbagekalde."
        else:
            request.session["besked"] = (
                "Din kalender-URL er tilbagekaldt; den virker ikke længere."
            )
        return RedirectResponse(PAGE, status_code=303)
