"""/api/opgaver, /api/medarbejdere, /api/drejeboeger, /api/indbakke: the open tasks on the
token's team's cases (a worker's, a role's, only overdue), the team's workers, the stored
drejebøger and their versions, and a team worker's inbox (read it, mark a message read)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Query
from starlette.requests import Request

from drejebog.app.drejebog_catalog import drejebog_versions
from drejebog.app.inbox import Inbox
from drejebog.web.api.auth import Caller, api_state, needs

router = APIRouter()


def text_query() -> Any:
    """A fresh optional text parameter (FastAPI names a shared one after its first use)."""
    return Query(default=None, max_length=100)


def handle_path() -> Any:
    return Path(max_length=64)


@router.get(
    "/opgaver", tags=["opgaver"], summary="Åbne opgaver i tokenets team, tidligst frist først"
)
async def list_tasks(
    request: Request,
    caller: Caller = Depends(needs("laes")),  # noqa: B008
    medarbejder: str | None = text_query(),
    rolle: str | None = text_query(),
    overskredet: bool = False,
) -> dict[str, Any]:
    if medarbejder:
        caller.access.require_worker(medarbejder)
    tasks = api_state(request).app.reports.open_tasks(
        medarbejder or None, rolle or None, overskredet
    )
    return {"opgaver": [task.as_json() for task in caller.access.visible_tasks(tasks)]}


@router.get("/medarbejdere", tags=["medarbejdere"], summary="Medarbejderne i tokenets team")
async def list_workers(
    request: Request,
    caller: Caller = Depends(needs("laes")),  # noqa: B008
) -> dict[str, Any]:
    reached = caller.access.handles()
    return {
        "medarbejdere": [
            {
                "medarbejder": w.handle,
                "navn": w.name,
                "rolle": w.role,
                "team": w.team,
                "leder": w.leader,
            }
            for w in api_state(request).app.admin.workers()
            if w.handle in reached
        ]
    }


@router.get("/drejeboeger", tags=["drejebøger"], summary="De gemte drejebøger og deres versioner")
async def list_drejeboeger(
    request: Request,
    caller: Caller = Depends(needs("laes")),  # noqa: B008
) -> dict[str, Any]:
    versions = drejebog_versions(api_state(request).app.unit_of_work)
    return {"drejebøger": [version.as_json() for version in versions]}


@router.get(
    "/drejeboeger/{drejebog}",
    tags=["drejebøger"],
    summary="Én drejebogs versioner med tilstande, hændelser og kørende sager",
)
async def show_drejebog(
    request: Request,
    drejebog: str = Path(max_length=64),
    caller: Caller = Depends(needs("laes")),  # noqa: B008
) -> dict[str, Any]:
    versions = drejebog_versions(api_state(request).app.unit_of_work, drejebog)
    return {"drejebog": drejebog, "versioner": [version.as_json() for version in versions]}


def _inbox(request: Request, caller: Caller, handle: str) -> Inbox:
    caller.access.require_worker(handle)
    return api_state(request).app.inbox


@router.get("/indbakke/{medarbejder}", tags=["indbakke"], summary="En medarbejders indbakke")
async def read_inbox(
    request: Request,
    medarbejder: str = handle_path(),
    alle: bool = False,
    caller: Caller = Depends(needs("indbakke")),  # noqa: B008
) -> dict[str, Any]:
    messages = _inbox(request, caller, medarbejder).messages(medarbejder, unread_only=not alle)
    return {
        "medarbejder": medarbejder,
        "beskeder": [
            {
                "id": m.id,
                "sag": m.case_id,
                "type": m.kind,
                "emne": m.subject,
                "tekst": m.text,
                "skrevet": m.created_at.isoformat(),
                "læst": m.read_at.isoformat() if m.read_at else None,
            }
            for m in messages
        ],
    }


@router.post(
    "/indbakke/{medarbejder}/{besked}/laest",
    tags=["indbakke"],
    summary="Markér en besked i en medarbejders indbakke læst",
)
async def mark_read(
    request: Request,
    medarbejder: str = handle_path(),
    besked: int = Path(ge=1, le=2**63 - 1),
    caller: Caller = Depends(needs("indbakke")),  # noqa: B008
) -> dict[str, Any]:
    _inbox(request, caller, medarbejder).mark_read(medarbejder, besked)
    return {"medarbejder": medarbejder, "besked": besked, "læst": True}
