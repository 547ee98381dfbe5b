"""Login through the municipality's identity provider (OpenID Connect): its settings, read once
from DREJEBOG_OIDC_* variables at `drejebog serve` (web/settings.py); off unless
DREJEBOG_OIDC_ISSUER is set.

    DREJEBOG_OIDC_ISSUER         the provider's issuer; its discovery document is read from
                                 <issuer>/.well-known/openid-configuration
    DREJEBOG_OIDC_CLIENT_ID      this app's client id at the provider (required)
    DREJEBOG_OIDC_CLIENT_SECRET  its secret (empty: a public client, PKCE alone)
    DREJEBOG_OIDC_REDIRECT_URI   the one callback the provider may send the browser back to,
                                 https://<host>/login/oidc/svar (required; never taken from the
                                 request's Host header)
    DREJEBOG_OIDC_NAME           the provider's name on the login page's button
    DREJEBOG_OIDC_CLAIM          how a person is matched to a worker: email (the default: the
                                 ID token's e-mail is a worker's e-mail) or the name of a claim
                                 whose value is the worker's handle (sub, preferred_username)
    DREJEBOG_OIDC_CREATE_ROLE    empty (the default): only a worker with an account logs in;
                                 a role (sagsbehandler, ...): a matched worker without an
                                 account is given one in that role at the first login

http:// is refused except on the machine itself (a test provider): the ID token and the code
travel through these addresses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from drejebog.app.accounts import ACCOUNT_ROLES
from drejebog.app.settings import SettingsError, not_utf8
from drejebog.engine.shown import shown_name

CALLBACK_PATH = "/login/oidc/svar"
EMAIL_CLAIM = "email"
_CLAIM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$")
_LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
MAX_URL = 2000


@dataclass(frozen=True)
class OidcSettings:
    issuer: str
    client_id: str
    redirect_uri: str
    client_secret: str = ""
    name: str = "kommunens login"
    claim: str = EMAIL_CLAIM
    create_role: str = ""  # "": no account is ever made at login
    timeout: float = 10.0  # seconds for each call to the provider

    @property
    def discovery_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> OidcSettings | None:
        def text(key: str, default: str = "") -> str:
            value = env.get(key) or ""
            if problem := not_utf8(value):
                raise SettingsError(f"{key} {problem}")
            return value.strip() or default

        issuer = text("DREJEBOG_OIDC_ISSUER")
        if not issuer:
            return None
        client_id = text("DREJEBOG_OIDC_CLIENT_ID")
        redirect = text("DREJEBOG_OIDC_REDIRECT_URI")
        for key, value in (
            ("DREJEBOG_OIDC_CLIENT_ID", client_id),
            ("DREJEBOG_OIDC_REDIRECT_URI", redirect),
        ):
            if not value:
                raise SettingsError(f"{key} skal sættes, når DREJEBOG_OIDC_ISSUER er sat")
        check_url("DREJEBOG_OIDC_ISSUER", issuer)
        check_url("DREJEBOG_OIDC_REDIRECT_URI", redirect)
        if urlsplit(redirect).path != CALLBACK_PATH:
            raise SettingsError(
                f"DREJEBOG_OIDC_REDIRECT_URI skal ende på stien {CALLBACK_PATH}, "
                f"ikke '{shown_name(urlsplit(redirect).path)}'"
            )
        claim = text("DREJEBOG_OIDC_CLAIM", EMAIL_CLAIM)
        if not _CLAIM_NAME.match(claim):
            raise SettingsError(
                f"DREJEBOG_OIDC_CLAIM skal være navnet på et claim (email, sub, ...), "
                f"ikke '{shown_name(claim)}'"
            )
        role = text("DREJEBOG_OIDC_CREATE_ROLE")
        if role and role not in ACCOUNT_ROLES:
            raise SettingsError(
                f"DREJEBOG_OIDC_CREATE_ROLE skal være tom eller en af {', '.join(ACCOUNT_ROLES)}, "
                f"ikke '{shown_name(role)}'"
            )
        name = text("DREJEBOG_OIDC_NAME", "kommunens login")
        if len(name) > 60:
            raise SettingsError("DREJEBOG_OIDC_NAME må højst være 60 tegn lang")
        return cls(
            issuer=issuer,
            client_id=client_id,
            redirect_uri=redirect,
            client_secret=text("DREJEBOG_OIDC_CLIENT_SECRET"),
            name=name,
            claim=claim,
            create_role=role,
        )


def check_url(key: str, url: str) -> None:
    """An https:// address (http:// only to this machine), or SettingsError naming `key`."""
    parts = urlsplit(url)
    local = parts.scheme == "http" and parts.hostname in _LOCAL_HOSTS
    if len(url) > MAX_URL or not parts.hostname or not (parts.scheme == "https" or local):
        raise SettingsError(
            f"{key} skal være en https://-adresse (http:// kun til 127.0.0.1), "
            f"ikke '{shown_name(url)}'"
        )
