"""Who a person vouched for by the identity provider is here: the ID token's claims (already
checked, web/oidc_client.py) matched to a worker, and that worker's account.

The match (`claim`): `email` finds the one worker whose e-mail is the token's (letter case
aside; a token that says the e-mail is not verified is refused); any other claim's value is a
worker's handle. No worker, several workers, or a disabled account: refused. A worker without
an account is refused too, unless `create_role` is set: then the account is made in that role
at the first login, with a random password nobody knows (so it logs in through the provider
only, until an administrator sets one). A worker is never created here.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping

from drejebog.app.accounts import Accounts
from drejebog.app.ports import AccountStore, StoredAccount, WorkerListing
from drejebog.engine.fields import IDENTIFIER
from drejebog.engine.shown import shown_name

EMAIL_CLAIM = "email"
MAX_CLAIM = 254  # characters of the claim's value (an e-mail address at most)


class LoginRefused(PermissionError):
    """The provider vouched for someone who has no (usable) account here. Not a DrejebogError
    (engine/errors.py draws that tree); `reason` is a stable word for the log line."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class OidcAccounts:
    def __init__(
        self,
        store: AccountStore,
        accounts: Accounts,
        workers: Callable[[], list[WorkerListing]],
        claim: str = EMAIL_CLAIM,
        create_role: str = "",
    ) -> None:
        self._store = store
        self._accounts = accounts
        self._workers = workers
        self._claim = claim
        self._create_role = create_role

    def account_for(self, claims: Mapping[str, object]) -> StoredAccount:
        """The enabled account of the worker the claims name, or LoginRefused."""
        handle = self._handle(claims)
        account = self._store.account(handle)
        if account is None and self._create_role:
            self._accounts.add(handle, self._create_role, secrets.token_urlsafe(32))
            account = self._store.account(handle)
        if account is None:
            raise LoginRefused(
                f"medarbejderen '{handle}' har ingen konto til drejebog; "
                "bed en administrator om at oprette den",
                "no_account",
            )
        if account.disabled:
            raise LoginRefused(f"kontoen '{handle}' er spærret", "disabled")
        return account

    def _value(self, claims: Mapping[str, object]) -> str:
        value = claims.get(self._claim)
        if not isinstance(value, str) or not value.strip():
            raise LoginRefused(
                f"identitetsudbyderen oplyste ikke dit '{shown_name(self._claim)}', som drejebog "
                "kender dig på; login er afvist",
                "claim_missing",
            )
        if len(value) > MAX_CLAIM:
            raise LoginRefused(
                f"'{shown_name(self._claim)}' fra identitetsudbyderen er for langt", "claim_long"
            )
        return value.strip()

    def _handle(self, claims: Mapping[str, object]) -> str:
        value = self._value(claims)
        if self._claim != EMAIL_CLAIM:
            known = {w.handle for w in self._workers()}
            if not IDENTIFIER.match(value) or value not in known:
                raise LoginRefused(
                    f"du er logget ind som '{shown_name(value)}', men ingen medarbejder i "
                    "drejebog har det brugernavn; bed en administrator om adgang",
                    "unknown_subject",
                )
            return value
        if claims.get("email_verified") is False:
            raise LoginRefused(
                f"identitetsudbyderen har ikke bekræftet e-mailen '{shown_name(value)}'; "
                "login er afvist",
                "email_unverified",
            )
        wanted = value.casefold()
        found = [w.handle for w in self._workers() if w.email.strip().casefold() == wanted]
        if not found:
            raise LoginRefused(
                f"du er logget ind som '{shown_name(value)}', men ingen medarbejder i drejebog "
                "har den e-mail; bed en administrator om adgang",
                "unknown_subject",
            )
        if len(found) > 1:
            raise LoginRefused(
                f"flere medarbejdere har e-mailen '{shown_name(value)}' "
                f"({', '.join(sorted(found))}); bed en administrator om at rette det",
                "ambiguous_email",
            )
        return found[0]
