"""Who is calling: `Authorization: Bearer <token>` (app/api_tokens.py), checked on every
request, and the scope each endpoint needs. A missing, malformed, unknown or revoked token is
401 with the same words (a guess learns nothing); a valid token without the endpoint's scope is
403 naming the scope. After MAX_FAILURES failed attempts from one address within PAUSE, that
address is refused (429) until PAUSE has passed since the last failure (web/ratelimit.py's
counter, on the injected clock, per process)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from fastapi import Depends, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.requests import Request

from drejebog.app.api_tokens import SCOPES, ApiTokens, Integration
from drejebog.app.integration_access import IntegrationAccess, IntegrationCaseList
from drejebog.bootstrap import App
from drejebog.web.api.errors import ApiError
from drejebog.web.ratelimit import LoginLimiter

MAX_FAILURES = 10
PAUSE = timedelta(minutes=15)
_LIMIT_KEY = "api"

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="Et API-token fra 'drejebog token add' (Authorization: Bearer drb_...).",
)


class ApiState:
    """What the endpoints share: the wired App, the token check, the failed-auth counter."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.tokens: ApiTokens = app.api_tokens
        self.limiter = LoginLimiter(app.clock, MAX_FAILURES, PAUSE)


@dataclass(frozen=True)
class Caller:
    integration: Integration
    address: str  # where the request came from: the access log's source
    access: IntegrationAccess
    case_list: IntegrationCaseList

    @property
    def actor(self) -> str:
        return self.integration.actor


def client_address(request: Request) -> str:
    return request.client.host if request.client else "ukendt"


def api_state(request: Request) -> ApiState:
    state = request.app.state.api
    assert isinstance(state, ApiState)
    return state


async def authenticated(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Security(bearer),  # noqa: B008
) -> Caller:
    state = api_state(request)
    address = client_address(request)
    wait = state.limiter.blocked_for(_LIMIT_KEY, address)
    if wait is not None:
        minutes = max(1, round(wait.total_seconds() / 60))
        raise ApiError(
            429,
            f"for mange forsøg med ugyldige tokens fra denne adresse; prøv igen om {minutes} "
            "minut(ter)",
            {"Retry-After": str(int(wait.total_seconds()) + 1)},
        )
    integration = None
    if credentials is not None and credentials.scheme.lower() == "bearer":
        integration = state.tokens.authenticate(credentials.credentials)
    if integration is None:
        state.limiter.failed(_LIMIT_KEY, address)
        raise ApiError(
            401,
            "et gyldigt API-token mangler (Authorization: Bearer ...)",
            {"WWW-Authenticate": "Bearer"},
        )
    state.limiter.succeeded(_LIMIT_KEY, address)
    return Caller(
        integration,
        address,
        state.app.integration_access(integration),
        state.app.integration_case_list(integration),
    )


def needs(scope: str) -> Callable[..., Awaitable[Caller]]:
    """The dependency of an endpoint that needs `scope`."""
    assert scope in SCOPES, scope

    async def check(caller: Caller = Depends(authenticated)) -> Caller:  # noqa: B008
        if scope not in caller.integration.scopes:
            raise ApiError(
                403,
                f"tokenet har ikke adgangen '{scope}' ({SCOPES[scope]}); "
                "en administrator kan lave et token med den",
            )
        return caller

    return check
