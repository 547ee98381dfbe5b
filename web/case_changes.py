"""The changes made from the case page: an event through its generated form, completing a
task (by an event that completes it), giving a worker a role. Each form carries the CSRF token,
an optional reason and the case's lock version as shown; each calls the `CaseAccess` use case
(app/access.py) as the logged-in worker, who is the history's actor. A refusal is a Danish page
with a link back to the case; a case changed since the page was shown is a conflict (409)
with a reload link (web/app.py)."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from drejebog.app.cases import Assignment, checked_reason
from drejebog.engine.errors import CaseError
from drejebog.web.auth import check_csrf, client_address
from drejebog.web.errors import WebError
from drejebog.web.forms import read_form
from drejebog.web.state import WebState

DATA_PREFIX = "data."  # an event form's fields: data.<fact>
VERSION_FIELD = "version"  # the case's lock version when the form was shown


def _event_data(form: dict[str, str]) -> dict[str, object]:
    """The event's data from its form: the filled-in fields (an empty optional one is left
    out; an empty required one too, so the engine names it as missing)."""
    return {
        name.removeprefix(DATA_PREFIX): value.strip()
        for name, value in form.items()
        if name.startswith(DATA_PREFIX) and value.strip()
    }


def _case_link(case_id: str) -> str | None:
    return f"/sag/{case_id}" if case_id.isdigit() and len(case_id) < 20 else None


def _lock_version(form: dict[str, str]) -> int | None:
    """The case's lock version the form was shown at (None: the form carries none)."""
    text = form.get(VERSION_FIELD, "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 18:
        raise WebError(400, f"feltet '{VERSION_FIELD}' skal være et tal")
    return int(text)


def _assigned(done: Assignment) -> str:
    if not done.applied:
        return f"{done.worker} havde allerede rollen {done.role}; intet er ændret"
    before = f" (før: {done.previous})" if done.previous else ""
    return f"{done.worker} har nu rollen {done.role}{before}"


def register_case_changes(api: FastAPI, state: WebState) -> None:
    @api.post("/sag/{case_id}/haendelse")
    async def case_event(request: Request, case_id: str) -> Response:
        who = state.viewer(request)
        form = await read_form(request)
        check_csrf(request, form)
        back = _case_link(case_id)
        try:
            result = state.cases.apply_event(
                case_id,
                form.get("haendelse", ""),
                _event_data(form),
                who.handle,
                who.role,
                client_address(request),
                checked_reason(case_id, form.get("begrundelse")),
                _lock_version(form),
            )
        except CaseError as exc:  # the engine's refusal, in its own words
            raise WebError(400, f"hændelsen blev afvist: {exc}", back) from exc
        request.session["besked"] = f"{result.event} registreret ({result.to_state})"
        return RedirectResponse(f"/sag/{result.case_id}", status_code=303)

    @api.post("/sag/{case_id}/opgave")
    async def case_task(request: Request, case_id: str) -> Response:
        who = state.viewer(request)
        form = await read_form(request)
        check_csrf(request, form)
        task = form.get("opgave", "")
        try:
            result = state.cases.complete_task(
                case_id,
                task,
                form.get("haendelse", ""),
                _event_data(form),
                who.handle,
                who.role,
                client_address(request),
                checked_reason(case_id, form.get("begrundelse")),
                _lock_version(form),
            )
        except CaseError as exc:
            raise WebError(400, f"opgaven blev ikke udført: {exc}", _case_link(case_id)) from exc
        request.session["besked"] = (
            f"opgaven {task} er udført ({result.event} registreret, {result.to_state})"
        )
        return RedirectResponse(f"/sag/{result.case_id}", status_code=303)

    @api.post("/sag/{case_id}/tildel")
    async def case_assign(request: Request, case_id: str) -> Response:
        who = state.viewer(request)
        form = await read_form(request)
        check_csrf(request, form)
        try:
            done = state.cases.assign(
                case_id,
                form.get("rolle", "").strip(),
                form.get("medarbejder", "").strip(),
                who.handle,
                who.role,
                client_address(request),
                checked_reason(case_id, form.get("begrundelse")),
                _lock_version(form),
            )
        except CaseError as exc:
            raise WebError(400, f"tildelingen blev afvist: {exc}", _case_link(case_id)) from exc
        request.session["besked"] = _assigned(done)
        return RedirectResponse(f"/sag/{done.case_id}", status_code=303)
