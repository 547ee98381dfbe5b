"""The relying party's side of OpenID Connect (the authorization code flow with PKCE), built
on Authlib: its httpx client makes the authorization URL (with the S256 code challenge) and
exchanges the code (with the verifier); joserfc, through Authlib's `CodeIDToken`, checks the ID
token.

What is checked, each failure an `OidcError` with a Danish message and a stable `reason` for
the log:
- the discovery document names the configured issuer and has the endpoints we use;
- the answer's `state` is the one this browser's session was sent off with (checked by the
  caller, web/oidc.py), and is used once;
- the ID token is signed by a key in the provider's JWKS (fetched again once when its key id
  is unknown: the provider rotated its keys), with an algorithm the provider announces, never
  `none` nor an HMAC keyed with public data;
- its claims: `iss` is the issuer, `aud` holds our client id (and `azp` is ours when there
  are several), `exp` is not past and `iat` not in the future (on the injected clock, with
  LEEWAY for the two machines' clocks), `nonce` is the one we sent, `at_hash` matches.

The provider's answers are bounded: each call at most `timeout` seconds, a document or token
the discovery document and the key set at most MAX_ANSWER bytes, read in chunks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx2
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
)
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from drejebog.web.oidc_settings import OidcSettings, check_url

LEEWAY = 60  # seconds either way between our clock and the provider's
MAX_ANSWER = 256 * 1024  # bytes of a discovery document, key set or token answer
SCOPE = "openid email profile"
ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")
_CLAIM_TEXT = {
    "iss": "udstederen (iss)",
    "aud": "modtageren (aud)",
    "azp": "modtageren (azp)",
    "nonce": "engangsværdien (nonce)",
    "exp": "udløbstiden (exp)",
    "iat": "udstedelsestiden (iat)",
    "nbf": "starttiden (nbf)",
    "sub": "personens id (sub)",
    "at_hash": "adgangstokenets fingeraftryk (at_hash)",
}


class OidcError(Exception):
    """A login through the identity provider refused: a Danish `message` for the page, a
    stable `reason` for the log line. Not a DrejebogError: web/oidc.py answers it."""

    def __init__(self, message: str, reason: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class Pending:
    """What the session keeps between sending the browser off and its return: the state, the
    nonce and the PKCE verifier, and when it was made. The session is the signed, HttpOnly
    cookie (web/auth.py): the verifier never travels in a URL, so a code caught on its way
    back (a proxy's log, the browser's history) cannot be exchanged without it."""

    state: str
    nonce: str
    verifier: str
    started: float  # POSIX seconds on the injected clock

    def as_dict(self) -> dict[str, Any]:
        return {"s": self.state, "n": self.nonce, "v": self.verifier, "t": self.started}

    @classmethod
    def from_dict(cls, data: object) -> Pending | None:
        if not isinstance(data, dict):
            return None
        try:
            return cls(str(data["s"]), str(data["n"]), str(data["v"]), float(data["t"]))
        except (KeyError, TypeError, ValueError):
            return None


def _unreachable(exc: Exception) -> OidcError:
    return OidcError(
        "identitetsudbyderen kunne ikke nås eller svarede ikke; prøv igen om lidt",
        f"unreachable:{type(exc).__name__}",
        502,
    )


class OidcClient:
    """One provider; the discovery document and key set are kept once read."""

    def __init__(
        self, settings: OidcSettings, transport: httpx2.AsyncBaseTransport | None = None
    ) -> None:
        self.settings = settings
        self._transport = transport  # tests: the provider in-process
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None

    def _client(self) -> AsyncOAuth2Client:
        secret = self.settings.client_secret
        return AsyncOAuth2Client(
            client_id=self.settings.client_id,
            client_secret=secret or None,
            token_endpoint_auth_method="client_secret_basic" if secret else "none",
            scope=SCOPE,
            redirect_uri=self.settings.redirect_uri,
            code_challenge_method="S256",
            timeout=self.settings.timeout,
            transport=self._transport,
            follow_redirects=False,
        )

    async def _get_json(self, url: str) -> dict[str, Any]:
        """A JSON object from the provider, read in chunks up to MAX_ANSWER bytes."""
        body = bytearray()
        try:
            async with (
                self._client() as client,
                client.stream("GET", url, withhold_token=True) as answer,
            ):
                if answer.status_code != 200:
                    raise OidcError(
                        "identitetsudbyderen svarede ikke som ventet; prøv igen om lidt",
                        f"bad_answer:{answer.status_code}",
                        502,
                    )
                async for chunk in answer.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_ANSWER:
                        raise OidcError(
                            "identitetsudbyderens svar er for stort", "answer_too_big", 502
                        )
        except httpx2.HTTPError as exc:
            raise _unreachable(exc) from exc
        return _json_object(bytes(body))

    async def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            found = await self._get_json(self.settings.discovery_url)
            if found.get("issuer") != self.settings.issuer:
                raise OidcError(
                    "identitetsudbyderens oplysninger passer ikke til den indstillede udsteder "
                    "(DREJEBOG_OIDC_ISSUER)",
                    "issuer_mismatch",
                    502,
                )
            for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                value = found.get(key)
                try:
                    check_url(key, value if isinstance(value, str) else "")
                except ValueError as exc:
                    raise OidcError(
                        f"identitetsudbyderens oplysninger mangler en gyldig {key}",
                        f"bad_metadata:{key}",
                        502,
                    ) from exc
            self._metadata = found
        return self._metadata

    async def _key_set(self, fresh: bool = False) -> KeySet:
        if self._keys is None or fresh:
            found = await self._get_json((await self.metadata())["jwks_uri"])
            try:
                self._keys = KeySet.import_key_set(found)  # type: ignore[arg-type]
            except (JoseError, ValueError, TypeError, KeyError) as exc:
                raise OidcError(
                    "identitetsudbyderens nøgler kan ikke læses", "bad_jwks", 502
                ) from exc
        return self._keys

    async def authorization_url(self, pending: Pending) -> str:
        endpoint = (await self.metadata())["authorization_endpoint"]
        async with self._client() as client:
            url, _ = client.create_authorization_url(
                endpoint, state=pending.state, code_verifier=pending.verifier, nonce=pending.nonce
            )
        return str(url)

    async def exchange(self, code: str, pending: Pending) -> dict[str, Any]:
        """The provider's token answer for the code (an ID token in it), or OidcError."""
        endpoint = (await self.metadata())["token_endpoint"]
        try:
            async with self._client() as client:
                token = await client.fetch_token(
                    endpoint,
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=pending.verifier,
                )
        except OAuthError as exc:
            raise OidcError(
                "identitetsudbyderen afviste at udlevere login-beviset "
                f"({str(exc.error)[:60]}); prøv at logge ind igen",
                f"token_refused:{str(exc.error)[:40]}",
            ) from exc
        except httpx2.HTTPError as exc:
            raise _unreachable(exc) from exc
        except (ValueError, TypeError) as exc:  # not JSON, or not an object
            raise OidcError(
                "identitetsudbyderens svar kunne ikke læses", "bad_token_answer", 502
            ) from exc
        if not isinstance(token, dict) or not isinstance(token.get("id_token"), str):
            raise OidcError("identitetsudbyderen sendte intet ID-token", "no_id_token", 502)
        if len(token["id_token"]) > MAX_ANSWER:
            raise OidcError("ID-tokenet er for stort", "id_token_too_big")
        return dict(token)

    async def verify(
        self, token: dict[str, Any], pending: Pending, now: datetime
    ) -> dict[str, Any]:
        """The ID token's claims, once its signature and claims are checked (module doc)."""
        metadata = await self.metadata()
        announced = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        algorithms = [a for a in announced if a in ALLOWED_ALGORITHMS]
        if not algorithms:  # (an empty list would let joserfc fall back on its defaults)
            raise OidcError(
                "identitetsudbyderen signerer ID-tokens med en algoritme, drejebog ikke tager imod",
                "no_allowed_algorithm",
                502,
            )
        registry = JWSRegistry(algorithms=algorithms)
        raw = token["id_token"]
        try:
            try:
                decoded = jwt.decode(raw, await self._key_set(), registry=registry)
            except InvalidKeyIdError:  # the provider has rotated its keys since we read them
                decoded = jwt.decode(raw, await self._key_set(fresh=True), registry=registry)
        except BadSignatureError as exc:
            raise OidcError(
                "ID-tokenets signatur er ikke identitetsudbyderens; login er afvist",
                "bad_signature",
            ) from exc
        except (JoseError, ValueError, TypeError) as exc:
            raise OidcError(
                "ID-tokenet kan ikke læses eller er ikke signeret med en af "
                "identitetsudbyderens nøgler; login er afvist",
                f"bad_id_token:{type(exc).__name__}",
            ) from exc
        options: dict[str, Any] = {
            "iss": {"essential": True, "value": self.settings.issuer},
            "aud": {"essential": True, "value": self.settings.client_id},
            "sub": {"essential": True},
        }
        params = {
            "nonce": pending.nonce,
            "client_id": self.settings.client_id,
            "access_token": token.get("access_token"),
        }
        claims = CodeIDToken(decoded.claims, decoded.header, options, params)
        try:
            claims.validate(now=int(now.timestamp()), leeway=LEEWAY)
        except ExpiredTokenError as exc:
            raise OidcError("ID-tokenet er udløbet; log ind igen", "expired") from exc
        except ClaimError as exc:
            what = _CLAIM_TEXT.get(exc.claim, f"'{exc.claim[:30]}'")
            raise OidcError(
                f"ID-tokenets {what} er forkert eller mangler; login er afvist",
                f"claim:{exc.claim[:30]}",
            ) from exc
        return dict(claims)


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        found = json.loads(body)
    except ValueError as exc:
        raise OidcError("identitetsudbyderens svar kunne ikke læses", "bad_json", 502) from exc
    if not isinstance(found, dict):
        raise OidcError("identitetsudbyderens svar kunne ikke læses", "bad_json", 502)
    return found
