"""The projektleder's pages (/drejeboeger): paste or upload a drejebog, see `check`'s problems
at their lines in the source, the diagram drawn by the vendored Mermaid, a scenario's
timeline, load it as a new version; and which cases run on which version. A projektleder
only: anyone else gets 403. The work is app/drejebog_workbench.py's; checking and simulating
run in a worker thread, so one slow request does not hold the others."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from drejebog.app.drejebog_workbench import (
    MAX_TEXT_BYTES,
    CheckedText,
    Simulation,
    check_text,
    simulate_text,
)
from drejebog.engine.errors import DrejebogInvalid
from drejebog.engine.names import danish_kind
from drejebog.web.auth import Viewer, check_csrf
from drejebog.web.errors import WebError
from drejebog.web.forms import read_form
from drejebog.web.state import WebState

PROJEKTLEDER = "projektleder"
YAML_FIELD = "yaml"
SCENARIO_FIELD = "scenarie"
# two texts of MAX_TEXT_BYTES each, percent-encoded (a byte is at most 3 characters), and
# the other fields
MAX_FORM_BODY = 2 * 3 * MAX_TEXT_BYTES + 8 * 1024
ACTIONS = ("tjek", "simuler", "indlaes")


def require_projektleder(who: Viewer) -> None:
    if who.role != PROJEKTLEDER:
        raise WebError(403, "kun en projektleder kan arbejde med drejebøger her")


def register_drejebog_pages(api: FastAPI, state: WebState) -> None:
    workbench = state.app.workbench

    def page(request: Request, status: int = 200, **context: object) -> Response:
        return state.page(
            request,
            "drejeboeger.html",
            status,
            versioner=workbench.versions(),
            scenarier=workbench.shipped_scenarios(),
            max_kb=MAX_TEXT_BYTES // 1024,
            art=danish_kind,
            **context,
        )

    @api.get("/drejeboeger")
    async def drejebog_page(request: Request) -> Response:
        require_projektleder(state.viewer(request))
        return page(request, besked=request.session.pop("besked", None))

    @api.post("/drejeboeger")
    async def drejebog_work(request: Request) -> Response:
        who = state.viewer(request)
        require_projektleder(who)
        form = await read_form(
            request,
            max_body=MAX_FORM_BODY,
            max_value=3 * MAX_TEXT_BYTES,
            raw_fields=frozenset({YAML_FIELD, SCENARIO_FIELD}),
        )
        check_csrf(request, form)
        action = form.get("handling", "tjek")
        if action not in ACTIONS:
            raise WebError(400, f"ukendt handling '{action[:20]}'")
        text = form.get(YAML_FIELD, "")
        checked: CheckedText = await run_in_threadpool(check_text, text)
        context: dict[str, object] = {"tekst": text, "tjek": checked}
        if action == "simuler" and checked.ok:
            context.update(await _simulation(form, checked))
        elif action == "indlaes" and checked.ok:
            try:
                done = await run_in_threadpool(workbench.load, checked.text, who.handle)
            except DrejebogInvalid as exc:
                return page(request, 400, fejl="; ".join(map(str, exc.problems)), **context)
            request.session["besked"] = f"{done.drejebog_id} version {done.version} " + (
                "er indlæst" if done.status == "gemt" else "var allerede indlæst (uændret)"
            )
            return RedirectResponse("/drejeboeger", status_code=303)
        return page(request, 200 if checked.ok else 422, **context)

    async def _simulation(form: dict[str, str], checked: CheckedText) -> dict[str, object]:
        scenario = form.get(SCENARIO_FIELD, "")
        picked = form.get("scenarie_fil", "")
        if not scenario.strip() and picked:
            found = workbench.shipped_scenario_text(picked)
            if found is None:
                raise WebError(400, f"ukendt scenarie '{picked[:60]}'")
            scenario = found
        if not scenario.strip():
            return {"scenarie": scenario, "simfejl": "indsæt et scenarie eller vælg et"}
        assert checked.drejebog is not None
        result: Simulation = await run_in_threadpool(simulate_text, checked.drejebog, scenario)
        return {"scenarie": scenario, "simulering": result}
