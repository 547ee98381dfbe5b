"""Accounts for the web app: a worker (by handle) logs in with a password, hashed by argon2
(argon2-cffi's PasswordHasher, its recommended parameters), and acts in one of the app's
roles. The rows are written through the `AccountStore` port (store/access.py).

Logging in answers the same, and takes as long, for an unknown worker, a disabled account and
a wrong password: a wrong guess never tells which of them it was.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from drejebog.app.admin import AdminError
from drejebog.app.cases import MAX_NAME
from drejebog.app.ports import AccountStore, StoredAccount
from drejebog.engine.clock import Clock
from drejebog.engine.fields import IDENTIFIER
from drejebog.engine.shown import shown_name

ACCOUNT_ROLES = ("sagsbehandler", "leder", "projektleder", "administrator")
MIN_PASSWORD = 12  # characters
MAX_PASSWORD = 1024  # characters: hashing a megabyte would be work for whoever sends one


class Accounts:
    def __init__(
        self, store: AccountStore, clock: Clock, hasher: PasswordHasher | None = None
    ) -> None:
        self._store = store
        self._clock = clock
        self._hasher = hasher or PasswordHasher()
        # hashed once: checked against when there is no account, so that takes as long
        self._dummy = self._hasher.hash("ingen konto har denne adgangskode")

    def add(self, handle: str, role: str, password: str) -> None:
        """Give a worker an account. Raises AdminError (a bad role or password, an account
        the worker has already) or NotFound (no such worker)."""
        if role not in ACCOUNT_ROLES:
            raise AdminError(
                f"ugyldig rolle '{shown_name(role)}'; vælg en af {', '.join(ACCOUNT_ROLES)}"
            )
        if not IDENTIFIER.match(handle) or len(handle) > MAX_NAME:
            raise AdminError(f"ugyldigt brugernavn '{shown_name(handle)}'")
        if len(password) < MIN_PASSWORD:
            raise AdminError(f"adgangskoden skal være mindst {MIN_PASSWORD} tegn lang")
        if len(password) > MAX_PASSWORD:
            raise AdminError(f"adgangskoden må højst være {MAX_PASSWORD} tegn lang")
        digest = self._hasher.hash(password)
        if not self._store.add_account(handle, digest, role, self._clock.now()):
            raise AdminError(f"medarbejderen '{handle}' har allerede en konto")

    def authenticate(self, handle: str, password: str) -> StoredAccount | None:
        """The account, if the password is its own and the account is enabled; else None."""
        valid = bool(IDENTIFIER.match(handle)) and len(handle) <= MAX_NAME
        found = self._store.account(handle) if valid else None
        if len(password) > MAX_PASSWORD:
            return None
        if found is None or found.disabled:
            self._verify(self._dummy, password)
            return None
        return found if self._verify(found.password_hash, password) else None

    def active(self, handle: str) -> StoredAccount | None:
        """The enabled account of a logged-in worker (None: gone or disabled since)."""
        found = self._store.account(handle)
        return None if found is None or found.disabled else found

    def _verify(self, digest: str, password: str) -> bool:
        try:
            return self._hasher.verify(digest, password)
        except (VerificationError, InvalidHashError):
            return False
