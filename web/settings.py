"""The web app's own settings, read once at `drejebog serve` from DREJEBOG_* variables; tests
pass values directly."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from drejebog.app.settings import SettingsError
from drejebog.web.oidc_settings import OidcSettings


def _random_key() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class WebSettings:
    # signs the session cookie; a random one (the default) logs everyone out at a restart and
    # cannot be shared by several `serve` processes: set DREJEBOG_SECRET_KEY for those
    secret_key: str = field(default_factory=_random_key)
    secure_cookie: bool = True  # the cookie is sent over HTTPS only (and to localhost)
    session_hours: int = 8
    login_attempts: int = 5  # failed logins per worker and address before a pause
    login_pause: timedelta = timedelta(minutes=15)
    oidc: OidcSettings | None = None  # login through the identity provider: off by default

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> WebSettings:
        env = os.environ if environ is None else environ
        key = env.get("DREJEBOG_SECRET_KEY", "")
        if key and len(key) < 32:
            raise SettingsError("DREJEBOG_SECRET_KEY skal være mindst 32 tegn lang")
        secure = env.get("DREJEBOG_SECURE_COOKIE", "1").strip().lower()
        if secure not in ("1", "0", "ja", "nej"):
            raise SettingsError(f"DREJEBOG_SECURE_COOKIE skal være 1 eller 0, ikke '{secure}'")
        return cls(
            secret_key=key or _random_key(),
            secure_cookie=secure in ("1", "ja"),
            oidc=OidcSettings.from_environment(env),
        )
