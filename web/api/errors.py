"""The API's refusals and how every error becomes a JSON answer: `{"fejl": "...", "status":
N}` with the Danish message (CPR-shaped numbers masked) and the right status. The engine's
refusal of an event is 422 in its own words; someone else's change since the given version 409;
outside the token's team or scope 403; no valid token 401; an unexpected failure a plain 500."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from drejebog.app.access import AccessDenied
from drejebog.app.case_list import CaseListError
from drejebog.engine.cpr import mask_cpr_in_text
from drejebog.engine.errors import CaseError, ConcurrencyConflict, DrejebogError, NotFound

log = logging.getLogger(__name__)

_HTTP_MESSAGES = {
    404: "adressen findes ikke i API'et",
    405: "adressen kan ikke bruges med den metode",
}


class ApiError(Exception):
    """A request refused with `status` and a Danish message."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers


def masked(value: Any) -> Any:
    """Every text in an answer with CPR-shaped numbers masked (free text may hold one)."""
    if isinstance(value, str):
        return mask_cpr_in_text(value)
    if isinstance(value, dict):
        return {masked(key): masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [masked(item) for item in value]
    return value


class MaskedJSONResponse(JSONResponse):
    """The API's answers: JSON, UTF-8, every text CPR-masked on the way out."""

    def render(self, content: Any) -> bytes:
        return super().render(masked(content))


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return MaskedJSONResponse({"fejl": message, "status": status}, status, headers=headers)


def _field_name(location: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in location if part not in ("body", "query", "path"))


def install_error_handlers(api: FastAPI) -> None:
    async def on_api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return error_response(exc.status, exc.message, exc.headers)

    async def on_denied(request: Request, exc: Exception) -> Response:
        return error_response(403, str(exc))

    async def on_conflict(request: Request, exc: Exception) -> Response:
        return error_response(
            409,
            "en anden har ændret sagen siden den version, der blev sendt med; intet er gemt. "
            "Hent sagen igen og prøv på ny.",
        )

    async def on_drejebog_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, NotFound):
            return error_response(404, str(exc))
        if isinstance(exc, CaseError):  # the engine's refusal, in its own words
            return error_response(422, f"afvist: {exc}")
        return error_response(400, str(exc))

    async def on_case_list(request: Request, exc: Exception) -> Response:
        return error_response(400, str(exc))

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        message = _HTTP_MESSAGES.get(exc.status_code, "forespørgslen kan ikke besvares")
        return error_response(exc.status_code, message)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        first = exc.errors()[0] if exc.errors() else {}
        where = _field_name(tuple(first.get("loc", ())))[:60] or "forespørgslen"
        return error_response(400, f"feltet '{where}' er ugyldigt eller mangler")

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        log.exception("uventet fejl i API'et", extra={"action": "api_error"})
        return error_response(500, "der opstod en uventet fejl; prøv igen")

    api.add_exception_handler(ApiError, on_api_error)
    api.add_exception_handler(AccessDenied, on_denied)
    api.add_exception_handler(ConcurrencyConflict, on_conflict)
    api.add_exception_handler(DrejebogError, on_drejebog_error)
    api.add_exception_handler(CaseListError, on_case_list)
    api.add_exception_handler(HTTPException, on_http)
    api.add_exception_handler(RequestValidationError, on_validation)
    api.add_exception_handler(Exception, on_unexpected)
