"""The workers' private calendar feeds: GET /kalender/<secret>.ics answers the worker's
deadlines as iCalendar (app/calendar_feed.py); a secret that is nobody's (never made, replaced
or revoked) is a plain 404 that says no more."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from drejebog.app.calendar_feed import FEED_PATH, FEED_SUFFIX
from drejebog.bootstrap import App


def register_calendar_feed(api: FastAPI, app: App) -> None:
    @api.get(FEED_PATH + "{name}")
    async def calendar_feed(request: Request, name: str) -> Response:
        secret = name.removesuffix(FEED_SUFFIX) if name.endswith(FEED_SUFFIX) else ""
        base = str(request.base_url).rstrip("/")
        body = app.calendar_feeds.feed(secret, base) if secret else None
        if body is None:
            return PlainTextResponse("kalenderen findes ikke", status_code=404)
        return Response(
            body,
            media_type="text/calendar; charset=utf-8",
            headers={"Cache-Control": "private, max-age=300", "X-Robots-Tag": "noindex"},
        )
