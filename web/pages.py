"""The pages: login and logout, *Mit arbejde*, the case list and the case page (its changes
are web/case_changes.py's). Each page asks the application layer (the `App`'s use cases) and
renders a Danish template."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from drejebog.app.case_list import CaseFilter, CaseListError
from drejebog.app.work import my_work
from drejebog.web.auth import (
    check_csrf,
    client_address,
    log_in,
    log_out,
)
from drejebog.web.case_changes import register_case_changes
from drejebog.web.dashboard import register_dashboard
from drejebog.web.drejebog_pages import register_drejebog_pages
from drejebog.web.errors import WebError
from drejebog.web.forms import read_form
from drejebog.web.state import WebState

MAX_PARAM = 100  # characters of a filter's value


def case_filter(given: dict[str, str]) -> CaseFilter:
    """The case list's filter from its query string or form (a value over MAX_PARAM
    characters, or a page that is not a number, is refused)."""
    params = {key: value.strip() for key, value in given.items()}
    for key, value in params.items():
        if len(value) > MAX_PARAM:
            raise WebError(
                400, f"feltet '{key[:40]}' er {len(value)} tegn langt; højst {MAX_PARAM} er tilladt"
            )
    page = params.get("side", "1") or "1"
    if not page.isdigit() or len(page) > 6:
        raise WebError(400, f"siden skal være et tal, ikke '{page[:20]}'")
    return CaseFilter(
        drejebog=params.get("drejebog") or None,
        version=params.get("version") or None,
        state=params.get("tilstand") or None,
        worker=params.get("medarbejder") or None,
        overdue=params.get("overskredet") == "ja",
        search=params.get("soeg", ""),
        closed=params.get("afsluttede") == "ja",
        page=int(page),
    )


def register_pages(api: FastAPI, state: WebState) -> None:
    @api.get("/login")
    async def login_form(request: Request) -> Response:
        return state.page(request, "login.html")

    @api.post("/login")
    async def login(request: Request) -> Response:
        form = await read_form(request)
        check_csrf(request, form)
        handle = form.get("brugernavn", "").strip()[:64]
        address = client_address(request)
        wait = state.limiter.blocked_for(handle, address)
        if wait is not None:
            minutes = max(1, round(wait.total_seconds() / 60))
            raise WebError(429, f"for mange forkerte forsøg; prøv igen om {minutes} minut(ter)")
        account = state.accounts.authenticate(handle, form.get("adgangskode", ""))
        if account is None:
            state.limiter.failed(handle, address)
            return state.page(
                request, "login.html", 401, fejl="forkert brugernavn eller adgangskode"
            )
        state.limiter.succeeded(handle, address)
        log_in(request, account.handle, account.role)
        return RedirectResponse("/", status_code=303)

    @api.post("/logout")
    async def logout(request: Request) -> Response:
        form = await read_form(request)
        check_csrf(request, form)
        log_out(request)
        return RedirectResponse("/login", status_code=303)

    @api.get("/")
    async def my_work_page(request: Request) -> Response:
        who = state.viewer(request)
        work = my_work(state.app.reports, state.app.access_store, who.handle)
        return state.page(request, "mit_arbejde.html", arbejde=work)

    def case_list(request: Request, params: dict[str, str]) -> Response:
        who = state.viewer(request)
        wanted = case_filter(params)
        try:
            found = state.case_list.cases(wanted, who.handle, who.role, client_address(request))
        except CaseListError as exc:
            return state.page(request, "sager.html", 400, filter=wanted, fejl=str(exc))
        return state.page(request, "sager.html", filter=wanted, resultat=found)

    @api.get("/sager")
    async def case_list_page(request: Request) -> Response:
        return case_list(request, dict(request.query_params))

    @api.post("/sager")
    async def case_list_search(request: Request) -> Response:
        """The search form is posted: a CPR number stays out of the address bar, the
        browser's history and any proxy's log."""
        state.viewer(request)
        form = await read_form(request)
        check_csrf(request, form)
        return case_list(request, form)

    @api.get("/leder")
    async def leader_page(request: Request) -> Response:
        who = state.viewer(request)
        overview = state.app.team_overviews.overview(who.handle, who.role)
        return state.page(request, "leder.html", overblik=overview)

    @api.get("/sag/{case_id}")
    async def case_page(request: Request, case_id: str) -> Response:
        who = state.viewer(request)
        view = state.cases.view(case_id, who.handle, who.role, client_address(request))
        message = request.session.pop("besked", None)
        return state.page(request, "sag.html", view=view, sag=view.details, besked=message)

    register_case_changes(api, state)
    register_dashboard(api, state)
    register_drejebog_pages(api, state)
