"""The bodies the API accepts, as pydantic models: checked after web/api/body.py has read the
JSON within its limits, and described in the OpenAPI document. Unknown fields are refused."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request

from drejebog.web.api.body import read_json
from drejebog.web.api.errors import ApiError

Value = str | int | float | bool | None
MAX_FIELDS = 50  # facts in one event's data or one opening
NAME = 100  # characters of an event's, a task's, a role's name


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class EventIn(Strict):
    haendelse: str = Field(min_length=1, max_length=NAME, description="hændelsens navn")
    data: dict[str, Value] = Field(default_factory=dict, max_length=MAX_FIELDS)
    id: str | None = Field(
        default=None, max_length=100, description="hændelses-id: samme id to gange ændrer intet"
    )
    begrundelse: str | None = Field(default=None, max_length=2000)
    version: int | None = Field(
        default=None, ge=0, description="sagens version, som den blev hentet (ellers ingen 409)"
    )


class TaskDoneIn(Strict):
    haendelse: str = Field(min_length=1, max_length=NAME)
    data: dict[str, Value] = Field(default_factory=dict, max_length=MAX_FIELDS)
    begrundelse: str | None = Field(default=None, max_length=2000)
    version: int | None = Field(default=None, ge=0)


class AssignIn(Strict):
    rolle: str = Field(min_length=1, max_length=64)
    medarbejder: str = Field(min_length=1, max_length=64)
    begrundelse: str | None = Field(default=None, max_length=2000)
    version: int | None = Field(default=None, ge=0)


class OpenIn(Strict):
    drejebog: str = Field(min_length=1, max_length=64)
    cpr: str = Field(min_length=10, max_length=11, description="borgerens CPR-nummer")
    fakta: dict[str, Value] = Field(default_factory=dict, max_length=MAX_FIELDS)
    tildel: dict[str, str] = Field(
        default_factory=dict, max_length=20, description="rolle -> medarbejder"
    )
    begrundelse: str | None = Field(default=None, max_length=2000)


class SearchIn(Strict):
    soeg: str = Field(max_length=100, description="navn eller helt CPR-nummer")
    drejebog: str | None = Field(default=None, max_length=100)
    tilstand: str | None = Field(default=None, max_length=100)
    medarbejder: str | None = Field(default=None, max_length=100)
    overskredet: bool = False
    afsluttede: bool = False
    side: int = Field(default=1, ge=1, le=400)


M = TypeVar("M", bound=BaseModel)


def body(model: type[M]) -> Callable[[Request], Awaitable[M]]:
    """A dependency: the request's JSON body, within the limits, as `model`."""

    async def parse(request: Request) -> M:
        data = await read_json(request)
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])[:60] or "kroppen"
            raise ApiError(400, f"feltet '{where}' er ugyldigt eller mangler") from None

    return parse


def documented(model: type[BaseModel]) -> dict[str, Any]:
    """The operation's request body for the OpenAPI document (the body is read by `body`)."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }
