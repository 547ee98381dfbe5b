"""Settings, read once at the entry point. Tests pass values directly."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_DATABASE_URL = "sqlite:///drejebog.db"


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        url = environ.get("DATABASE_URL") or environ.get("DREJEBOG_DATABASE_URL") or ""
        url = url.strip() or DEFAULT_DATABASE_URL
        if not url.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:", "postgres:")):
            raise SettingsError(
                f"DATABASE_URL skal være en sqlite:///... eller postgresql://...-adresse, "
                f"ikke '{url.split(':', 1)[0]}:...'"
            )
        if url.startswith("postgres:"):
            url = "postgresql:" + url[len("postgres:") :]
        if url.startswith("postgresql:"):
            url = "postgresql+psycopg:" + url[len("postgresql:") :]
        return cls(database_url=url)
