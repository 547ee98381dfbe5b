"""A small OpenID Connect provider for the tests: a discovery document, a JWKS with an RSA key
made for the test run, an authorize endpoint that logs in whoever `person` is at once (no
form: the tests play the person), and a token endpoint that checks the client, the redirect,
the code (once) and the PKCE verifier (S256) before it signs an ID token with joserfc.

`Tamper` bends the next ID token the way a broken or hostile provider would (another nonce,
an expired token, a foreign key, another audience or issuer), so the app's refusals can be
tested. It runs in-process (httpx2.ASGITransport) or on a port (uvicorn, the browser test).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlencode

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

CLIENT_ID = "drejebog-test"
CLIENT_SECRET = "en hemmelighed til testen"
_KEYS: dict[str, RSAKey] = {}


def rsa_key(kid: str) -> RSAKey:
    """An RSA key per key id, made once per test run (2048 bits takes a moment)."""
    if kid not in _KEYS:
        _KEYS[kid] = RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig"})
    return _KEYS[kid]


@dataclass
class Tamper:
    nonce: str | None = None  # sign this nonce instead of the one asked for
    expires_in: timedelta = timedelta(minutes=5)
    foreign_key: bool = False  # sign with a key not in the JWKS, under the JWKS's key id
    audience: str | None = None
    issuer: str | None = None


@dataclass
class Provider:
    issuer: str
    now: Callable[[], datetime]
    person: dict[str, Any] = field(default_factory=dict)  # the claims of whoever logs in
    tamper: Tamper = field(default_factory=Tamper)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[dict[str, str]] = field(default_factory=list)  # authorize requests seen
    kid: str = "nøgle-1"

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/jwks", self.jwks),
                Route("/authorize", self.authorize),
                Route("/token", self.token, methods=["POST"]),
            ]
        )

    async def discovery(self, request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            }
        )

    async def jwks(self, request: Request) -> Response:
        public = KeySet([rsa_key(self.kid)]).as_dict(private=False)
        return JSONResponse(public)

    async def authorize(self, request: Request) -> Response:
        params = dict(request.query_params)
        self.requests.append(params)
        if params.get("client_id") != CLIENT_ID or params.get("response_type") != "code":
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        code = secrets.token_urlsafe(16)
        self.codes[code] = params
        answer = {"code": code, "state": params.get("state", "")}
        return RedirectResponse(f"{params['redirect_uri']}?{urlencode(answer)}", status_code=302)

    def _client_ok(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if not header.startswith("Basic "):
            return False
        given = base64.b64decode(header[6:]).decode()
        user, _, password = given.partition(":")
        return (unquote_plus(user), unquote_plus(password)) == (CLIENT_ID, CLIENT_SECRET)

    async def token(self, request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode()))  # no python-multipart here
        asked = self.codes.pop(str(form.get("code", "")), None)  # a code is used once
        if not self._client_ok(request):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        if asked is None or form.get("redirect_uri") != asked["redirect_uri"]:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        verifier = str(form.get("code_verifier", ""))
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if challenge.rstrip(b"=").decode() != asked.get("code_challenge"):
            return JSONResponse({"error": "invalid_grant", "error_description": "PKCE"}, 400)
        return JSONResponse(
            {
                "access_token": secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": self.id_token(asked["nonce"]),
            }
        )

    def id_token(self, nonce: str) -> str:
        now = self.now()
        tamper = self.tamper
        claims = {
            "iss": tamper.issuer or self.issuer,
            "aud": tamper.audience or CLIENT_ID,
            "iat": int(now.timestamp()),
            "exp": int((now + tamper.expires_in).timestamp()),
            "nonce": tamper.nonce or nonce,
            **self.person,
        }
        key = rsa_key("fremmed") if tamper.foreign_key else rsa_key(self.kid)
        return jwt.encode({"alg": "RS256", "kid": self.kid}, claims, key)
