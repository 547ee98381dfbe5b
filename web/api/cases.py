"""/api/sager: the case list (the web's /sager filters), a CPR search (posted, never in the
URL), opening a case, one case (with the events allowed now and the open tasks), an event, a
task completed, a role given. Each calls the token's scoped use cases (app/integration_access.py);
a view is a 'vis' row and a change an 'ændr' row in the access log with the integration as
actor and the caller's address as source."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from drejebog.app.access import CaseView, EventForm
from drejebog.app.case_list import CaseFilter, CaseListPage
from drejebog.app.cases import EventResult, checked_reason
from drejebog.app.integration_access import INTEGRATION_ROLE
from drejebog.web.api.auth import Caller, needs
from drejebog.web.api.errors import ApiError
from drejebog.web.api.models import (
    AssignIn,
    EventIn,
    OpenIn,
    SearchIn,
    TaskDoneIn,
    body,
    documented,
)

router = APIRouter(tags=["sager"])


def text_query() -> Any:
    """A fresh optional text parameter (FastAPI names a shared one after its first use)."""
    return Query(default=None, max_length=100)


def _listed(page: CaseListPage) -> dict[str, Any]:
    return {
        "side": page.page,
        "flere": page.has_next,
        "sager": [
            {
                "sag": case.case_id,
                "borger": case.citizen,
                "cpr": case.cpr_masked,
                "drejebog": case.drejebog_id,
                "tilstand": case.state,
                "åbnet": case.opened_at.isoformat(),
                "afsluttet": case.closed,
                "tildelt": list(case.workers),
                "overskredne_opgaver": case.overdue_tasks,
            }
            for case in page.cases
        ],
    }


def _form(form: EventForm) -> dict[str, Any]:
    return {
        "hændelse": form.event,
        "titel": form.title,
        "felter": [
            {
                "navn": f.name,
                "titel": f.title,
                "type": f.type,
                "valg": list(f.values),
                "påkrævet": f.required,
            }
            for f in form.fields
        ],
    }


def _view(view: CaseView) -> dict[str, Any]:
    return {
        **view.details,
        "version": view.lock_version,
        "mulige_hændelser": [_form(form) for form in view.forms],
        "åbne_opgaver": [
            {
                "opgave": task.task,
                "titel": task.title,
                "rolle": task.role,
                "udføres_af": [_form(form) for form in task.events],
            }
            for task in view.tasks
        ],
    }


def _result(result: EventResult) -> dict[str, Any]:
    return {
        "sag": int(result.case_id),
        "hændelse": result.event,
        "id": result.event_id,
        "anvendt": result.applied,
        "fra": result.from_state,
        "til": result.to_state,
        "registreret": [
            {"type": r.kind, "navn": r.name, "titel": r.title, "rolle": r.role}
            for r in result.records
            if r.kind in ("task", "milestone")
        ],
    }


def _list(caller: Caller, wanted: CaseFilter) -> dict[str, Any]:
    page = caller.case_list.cases(wanted, caller.actor, INTEGRATION_ROLE, caller.address)
    return _listed(page)


@router.get("/sager", summary="Sagerne i tokenets team, filtreret som /sager på webben")
async def list_cases(
    caller: Caller = Depends(needs("laes")),  # noqa: B008
    drejebog: str | None = text_query(),
    tilstand: str | None = text_query(),
    medarbejder: str | None = text_query(),
    overskredet: bool = False,
    soeg: str | None = text_query(),
    afsluttede: bool = False,
    side: int = Query(default=1, ge=1, le=400),
) -> dict[str, Any]:
    if soeg and any(c.isdigit() for c in soeg):
        raise ApiError(
            400,
            "søg på CPR-nummer med POST /api/sager/soeg (et CPR-nummer hører ikke hjemme i en "
            "adresse); her kun på navn",
        )
    wanted = CaseFilter(drejebog, tilstand, medarbejder, overskredet, soeg or "", afsluttede, side)
    return _list(caller, wanted)


@router.post(
    "/sager/soeg",
    summary="Søg sager på navn eller helt CPR-nummer (hver sag fundet på CPR logges)",
    openapi_extra=documented(SearchIn),
)
async def search_cases(
    caller: Caller = Depends(needs("laes")),  # noqa: B008
    given: SearchIn = Depends(body(SearchIn)),  # noqa: B008
) -> dict[str, Any]:
    wanted = CaseFilter(
        given.drejebog,
        given.tilstand,
        given.medarbejder,
        given.overskredet,
        given.soeg,
        given.afsluttede,
        given.side,
    )
    return _list(caller, wanted)


@router.post(
    "/sager",
    summary="Åbn en sag for en borger på en drejebog",
    status_code=201,
    openapi_extra=documented(OpenIn),
)
async def open_case(
    caller: Caller = Depends(needs("aabn")),  # noqa: B008
    given: OpenIn = Depends(body(OpenIn)),  # noqa: B008
) -> dict[str, Any]:
    opened = caller.access.open_case(
        given.cpr,
        given.drejebog,
        given.fakta,
        given.tildel,
        checked_reason("(ny)", given.begrundelse),
        caller.address,
    )
    return {"sag": int(opened.case_id), "tilstand": opened.state}


@router.get("/sager/{sag}", summary="Én sag: tilstand, fakta, frister, forløb, mulige hændelser")
async def show_case(
    sag: str,
    caller: Caller = Depends(needs("laes")),  # noqa: B008
) -> dict[str, Any]:
    view = caller.access.view(sag, caller.actor, INTEGRATION_ROLE, caller.address)
    return _view(view)


@router.post(
    "/sager/{sag}/haendelser",
    summary="Registrér en hændelse (drejebogens afvisning: 422 med dens danske besked)",
    openapi_extra=documented(EventIn),
)
async def post_event(
    sag: str,
    caller: Caller = Depends(needs("haendelser")),  # noqa: B008
    given: EventIn = Depends(body(EventIn)),  # noqa: B008
) -> dict[str, Any]:
    result = caller.access.apply_event_by_id(
        sag,
        given.haendelse,
        given.data,
        caller.address,
        given.id,
        checked_reason(sag[:20], given.begrundelse),
        given.version,
    )
    return _result(result)


@router.post(
    "/sager/{sag}/opgaver/{opgave}",
    summary="Udfør en åben opgave med en hændelse, der opfylder den",
    openapi_extra=documented(TaskDoneIn),
)
async def complete_task(
    sag: str,
    opgave: str,
    caller: Caller = Depends(needs("haendelser")),  # noqa: B008
    given: TaskDoneIn = Depends(body(TaskDoneIn)),  # noqa: B008
) -> dict[str, Any]:
    result = caller.access.complete_task(
        sag,
        opgave,
        given.haendelse,
        given.data,
        caller.actor,
        INTEGRATION_ROLE,
        caller.address,
        checked_reason(sag[:20], given.begrundelse),
        given.version,
    )
    return _result(result)


@router.post(
    "/sager/{sag}/tildelinger",
    summary="Giv en medarbejder i tokenets team en rolle på sagen",
    openapi_extra=documented(AssignIn),
)
async def assign_role(
    sag: str,
    caller: Caller = Depends(needs("tildel")),  # noqa: B008
    given: AssignIn = Depends(body(AssignIn)),  # noqa: B008
) -> dict[str, Any]:
    done = caller.access.assign(
        sag,
        given.rolle,
        given.medarbejder,
        caller.actor,
        INTEGRATION_ROLE,
        caller.address,
        checked_reason(sag[:20], given.begrundelse),
        given.version,
    )
    return {
        "sag": int(done.case_id),
        "rolle": done.role,
        "medarbejder": done.worker,
        "før": done.previous,
        "ændret": done.applied,
    }
