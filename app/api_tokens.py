"""API tokens: how another system of the jobcenter (a booking system, the e-mail robot) is let
into the REST API (/api/, web/api/).

A token belongs to one integration (a name), acts as that integration (the history's and the
access log's actor is `api:<name>`, never a worker), may do only what its scopes allow, and
reaches one team's cases (a leader's, as that leader would) or every team's. The token is shown
once, when made; the store keeps its SHA-256 digest only (a token is 256 random bits, so a fast
digest is as safe as a password hash here, and checking one costs nothing per request). A
revoked token stops working at once; its row stays, so the history's actor is still explained.

Only an administrator (a web account with that role) makes, lists or revokes tokens.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from drejebog.app.ports import AccountStore, ApiTokenStore, StoredToken
from drejebog.engine.clock import Clock
from drejebog.engine.errors import DrejebogError
from drejebog.engine.fields import IDENTIFIER
from drejebog.engine.shown import shown_name

# the scopes a token can be given, with what each allows (shown by the CLI and the README)
SCOPES = {
    "laes": "læse sager, opgaver, medarbejdere og drejebøger",
    "haendelser": "registrere hændelser og udføre opgaver på sager",
    "aabn": "åbne sager",
    "tildel": "give medarbejdere roller på sager",
    "indbakke": "læse medarbejderes indbakker og markere beskeder læst",
}
TOKEN_PREFIX = "drb_"
MAX_TOKEN = 100  # characters: anything longer is no token of ours, and is not looked up
_TOKEN_TEXT = re.compile(r"^[A-Za-z0-9_-]+$")
MAX_TOKEN_NAME = 40
ACTOR_PREFIX = "api:"  # never a worker's handle: a handle has no colon (engine/fields.py)
ADMIN_ROLE = "administrator"


class TokenError(DrejebogError):
    """An API token (or a calendar feed) cannot be made, revoked or listed as asked."""


@dataclass(frozen=True)
class Integration:
    """Who is calling the API: the integration a valid, unrevoked token belongs to."""

    name: str
    scopes: frozenset[str]
    team_lead: str | None  # None: every team

    @property
    def actor(self) -> str:
        return f"{ACTOR_PREFIX}{self.name}"


@dataclass(frozen=True)
class NewToken:
    token: str  # shown once; never stored
    stored: StoredToken


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def check_scopes(scopes: tuple[str, ...]) -> tuple[str, ...]:
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise TokenError(
            f"ukendt adgang '{shown_name(unknown[0])}'; vælg blandt {', '.join(SCOPES)}"
        )
    if not scopes:
        raise TokenError(f"giv tokenet mindst én adgang: {', '.join(SCOPES)}")
    return tuple(s for s in SCOPES if s in scopes)  # in the table's order, once each


class ApiTokens:
    def __init__(self, store: ApiTokenStore, accounts: AccountStore, clock: Clock) -> None:
        self._store = store
        self._accounts = accounts
        self._clock = clock

    def _require_admin(self, by: str) -> None:
        account = self._accounts.account(by) if IDENTIFIER.match(by) else None
        if account is None or account.disabled or account.role != ADMIN_ROLE:
            raise TokenError(
                f"'{shown_name(by)}' må ikke administrere API-tokens; det må en administrator "
                "(angiv --as med en administrators brugernavn)"
            )

    def create(
        self, name: str, scopes: tuple[str, ...], team_lead: str | None, by: str
    ) -> NewToken:
        """Make a token for the integration `name`; `team_lead` None reaches every team.
        Raises TokenError (not an administrator, a bad name or scope, an active token of
        that name) or NotFound (an unknown leader)."""
        self._require_admin(by)
        if not IDENTIFIER.match(name) or len(name) > MAX_TOKEN_NAME:
            raise TokenError(
                f"ugyldigt navn '{shown_name(name)}': brug små bogstaver, tal og _ "
                f"(højst {MAX_TOKEN_NAME} tegn), fx booking_system"
            )
        ordered = check_scopes(scopes)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = self._clock.now()
        if not self._store.add_token(name, digest(token), ordered, team_lead, now, by):
            raise TokenError(
                f"integrationen '{name}' har allerede et gyldigt token; tilbagekald det først "
                f"('drejebog token revoke {name}')"
            )
        stored = StoredToken(0, name, ordered, team_lead, now, by, None)
        return NewToken(token, stored)

    def tokens(self, by: str) -> list[StoredToken]:
        self._require_admin(by)
        return self._store.tokens()

    def revoke(self, name: str, by: str) -> None:
        self._require_admin(by)
        if not self._store.revoke_token(name, self._clock.now()):
            raise TokenError(f"integrationen '{shown_name(name)}' har intet gyldigt token")

    def authenticate(self, token: str) -> Integration | None:
        """The integration of a valid, unrevoked token; None for anything else (the caller
        says no more than that: a guess never learns whether a token once existed)."""
        if (
            not token.startswith(TOKEN_PREFIX)
            or len(token) > MAX_TOKEN
            or not _TOKEN_TEXT.match(token)
        ):
            return None
        found = self._store.token_by_hash(digest(token))
        if found is None or found.revoked_at is not None:
            return None
        return Integration(found.name, frozenset(found.scopes), found.team_lead)
