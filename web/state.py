"""What the pages share (`WebState`) and how a time is shown."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from drejebog.app.access import CaseAccess
from drejebog.app.accounts import Accounts
from drejebog.app.case_list import CaseList
from drejebog.bootstrap import App
from drejebog.engine.deadlines import COPENHAGEN
from drejebog.web.auth import Viewer, csrf_token, viewer
from drejebog.web.ratelimit import LoginLimiter
from drejebog.web.settings import WebSettings


def local_time(iso: str) -> str:
    """An ISO instant as Copenhagen shows it: 01.03.2027 09:00."""
    return datetime.fromisoformat(iso).astimezone(COPENHAGEN).strftime("%d.%m.%Y %H:%M")


class WebState:
    """What the pages share: the wired App, the accounts (one password hasher), the login
    limiter, the templates."""

    def __init__(self, app: App, settings: WebSettings, templates: Jinja2Templates) -> None:
        self.app = app
        self.settings = settings
        self.templates = templates
        self.accounts: Accounts = app.accounts
        self.cases: CaseAccess = app.case_access
        self.case_list: CaseList = app.case_list
        self.limiter = LoginLimiter(app.clock, settings.login_attempts, settings.login_pause)

    def viewer(self, request: Request) -> Viewer:
        return viewer(request, self.accounts)

    def page(self, request: Request, template: str, status: int = 200, **context: Any) -> Response:
        handle = request.session.get("handle")
        return self.templates.TemplateResponse(
            request,
            template,
            {
                "csrf": csrf_token(request),
                "bruger": handle,
                "rolle": request.session.get("rolle"),
                **context,
            },
            status_code=status,
        )
