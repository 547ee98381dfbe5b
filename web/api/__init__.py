"""The REST API under /api/ (issue 13, point 7): JSON over the same use cases as the web pages
and the CLI, for the jobcenter's other systems, each with its own token (app/api_tokens.py).

`create_api(app)` gives a FastAPI application that web/app.py mounts at /api: its OpenAPI
document is /api/openapi.json, every other endpoint needs a token (web/api/auth.py), every
answer is JSON with CPR-shaped numbers masked (web/api/errors.py), every body is read within
limits (web/api/body.py).
"""

from __future__ import annotations

from fastapi import FastAPI

from drejebog.bootstrap import App
from drejebog.web.api.auth import ApiState
from drejebog.web.api.cases import router as cases_router
from drejebog.web.api.errors import MaskedJSONResponse, install_error_handlers
from drejebog.web.api.work import router as work_router

API_PREFIX = "/api"


def create_api(app: App) -> FastAPI:
    api = FastAPI(
        title="drejebog API",
        version="1",
        description=(
            "Sager, hændelser, opgaver, medarbejdere, drejebøger og indbakker for jobcentrets "
            "andre systemer. Hvert kald kræver et token: Authorization: Bearer drb_..."
        ),
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
        default_response_class=MaskedJSONResponse,
    )
    api.state.api = ApiState(app)
    api.include_router(cases_router)
    api.include_router(work_router)
    install_error_handlers(api)
    return api
