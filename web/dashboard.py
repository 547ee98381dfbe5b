"""The leader dashboard (/maaltal): the måltal, deadline and report-back adherence of
`drejebog report`, for a period and a team, with the report's own inline SVG charts
(app/kpi_html.py) and a table of every figure; each figure links to the cases behind it
(/maaltal/sager, a leder only: their own team's cases, each one shown written to the access
log). A leder or an administrator only (app/kpi_dashboard.py)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import FastAPI
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from drejebog.app.access import TEAM_ROLES
from drejebog.app.case_list import MAX_PAGE, PAGE_SIZE, CaseFilter, CaseListError
from drejebog.app.kpi import FIGURE_KINDS, MIN_CASES, TOO_FEW, TargetFigures
from drejebog.app.kpi_dashboard import (
    DashboardFilter,
    dashboard_filter,
    figure_ref,
    require_case_access,
    require_dashboard_role,
)
from drejebog.app.kpi_html import chart
from drejebog.app.kpi_render import DUTY_HEADING, duty_cells, pending_words
from drejebog.engine.deadlines import local_date
from drejebog.web.auth import client_address
from drejebog.web.errors import WebError
from drejebog.web.state import WebState


def svg_chart(figures: TargetFigures) -> Markup:
    """The report's chart; its text is escaped where it is drawn (app/kpi_html.py)."""
    return Markup(chart(figures))  # built with html.escape


def cases_link(
    wanted: DashboardFilter, drejebog: str, kind: str, name: str, cohort: str = "", page: int = 1
) -> str:
    """The address of the list of the cases behind one figure, under the page's filter."""
    params = {
        "fra": wanted.start.isoformat(),
        "til": wanted.end.isoformat(),
        "team": wanted.team or "",
        "drejebog": drejebog,
        "slags": kind,
        "navn": name,
        "kohorte": cohort,
    }
    if page > 1:
        params["side"] = str(page)
    return "/maaltal/sager?" + urlencode(params)


def _page_number(params: dict[str, str]) -> int:
    page = params.get("side", "1").strip() or "1"
    if not page.isdigit() or len(page) > 6:
        raise WebError(400, f"siden skal være et tal, ikke '{page[:20]}'")
    return int(page)


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
            sager=cases_link,
            pligt_overskrift=DUTY_HEADING,
            pligt_celler=duty_cells,
        )

    @api.get("/maaltal/sager")
    async def figure_cases_page(request: Request) -> Response:
        """The cases behind one figure: those of the viewer's team among them, a page at a
        time, each shown written to the access log ('måltal')."""
        who = state.viewer(request)
        require_dashboard_role(who.role)
        require_case_access(who.role)
        params = dict(request.query_params)
        wanted = dashboard_filter(params, local_date(state.app.clock.now()))
        ref = figure_ref(params)
        page = _page_number(params)
        found = state.app.kpi.figure_cases(wanted.request(), ref, PAGE_SIZE * MAX_PAGE)
        listing = CaseFilter(closed=True, page=page, case_ids=found.case_ids)
        try:
            shown = state.case_list.cases(listing, who.handle, who.role, client_address(request))
        except CaseListError as exc:
            raise WebError(400, str(exc)) from exc

        def page_link(number: int) -> str:
            return cases_link(wanted, ref.drejebog_id, ref.kind, ref.name, ref.cohort or "", number)

        return state.page(
            request,
            "maaltal_sager.html",
            filter=wanted,
            figur=ref,
            slags=FIGURE_KINDS[ref.kind],
            fundet=found,
            resultat=shown,
            side_link=page_link,
        )
