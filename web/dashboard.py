"""The leader dashboard (/maaltal): the måltal and deadline adherence of `drejebog report`,
for a period and a team, with the report's own inline SVG charts (app/kpi_html.py) and a
table of every figure. A leder or an administrator only (app/kpi_dashboard.py)."""

from __future__ import annotations

from fastapi import FastAPI
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from drejebog.app.access import TEAM_ROLES
from drejebog.app.kpi import MIN_CASES, TOO_FEW, TargetFigures
from drejebog.app.kpi_dashboard import dashboard_filter, require_dashboard_role
from drejebog.app.kpi_html import chart
from drejebog.app.kpi_render import pending_words
from drejebog.engine.deadlines import local_date
from drejebog.web.state import WebState


def svg_chart(figures: TargetFigures) -> Markup:
    """The report's chart; its text is escaped where it is drawn (app/kpi_html.py)."""
    return Markup(chart(figures))  # built with html.escape


def register_dashboard(api: FastAPI, state: WebState) -> None:
    @api.get("/maaltal")
    async def dashboard_page(request: Request) -> Response:
        who = state.viewer(request)
        require_dashboard_role(who.role)
        params = dict(request.query_params)
        wanted = dashboard_filter(params, local_date(state.app.clock.now()))
        report = state.app.kpi.report(wanted.request())
        return state.page(
            request,
            "maaltal.html",
            filter=wanted,
            rapport=report,
            graf=svg_chart,
            ikke_afgjort=pending_words,
            mindst=MIN_CASES,
            for_faa=TOO_FEW,
            se_sager=who.role in TEAM_ROLES,
        )
