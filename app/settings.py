"""Settings, read once at the entry point from the environment; tests pass values directly.
A bad value fails fast with the variable's name."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time

from drejebog.engine.errors import DrejebogError
from drejebog.engine.fields import IDENTIFIER
from drejebog.engine.shown import shown_name

DEFAULT_DATABASE_URL = "sqlite:///drejebog.db"
SMTP_SECURITY = ("none", "starttls", "ssl")
MAX_PORT = 65535
MAX_NUMBER = 2**31 - 1  # any other number setting (seconds, counts)
MAX_HANDLE = 64  # a worker's handle (app/cases.py MAX_NAME, the column's length)
# a byte that is not UTF-8 reaches Python from argv and the environment as a lone surrogate
# (surrogateescape: 0xff is '\udcff'); no database driver or encoder takes one
_SURROGATE = re.compile("[\ud800-\udfff]")


class SettingsError(DrejebogError, ValueError):
    pass


def not_utf8(text: str) -> str | None:
    """What in `text` is not UTF-8 text, in Danish ('indeholder byten 0xFF (tegn 2), ...'),
    or None when it is all text. Checked once where text enters: here for the environment,
    in the CLI for every argument and option (cli/store_commands.py `reports_errors`)."""
    found = _SURROGATE.search(text)
    if found is None:
        return None
    code = ord(found.group())
    what = f"byten 0x{code - 0xDC00:02X}" if code >= 0xDC80 else f"tegnet U+{code:04X}"
    return f"indeholder {what} (tegn {found.start() + 1}), som ikke er UTF-8-tekst"


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    sweep_seconds: int = 60
    batch_size: int = 500
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_security: str = "none"
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "drejebog@localhost"
    webhook_url: str = ""  # staff notifications, e.g. a Teams connector
    sms_webhook_url: str = ""  # citizens without e-mail, e.g. an SMS gateway
    max_attempts: int = 8
    send_timeout: float = 10.0  # seconds: connecting, and each read or write, per message
    delivery_batch: int = 200  # messages at most per delivery round
    delivery_round_seconds: int = 60  # no new message is begun after this long in a round
    digest_time: time = time(7, 0)
    worker: str = ""  # who a command acts as when --as is not given; "" is the system

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ

        def raw(key: str) -> str:
            value = env.get(key) or ""
            if problem := not_utf8(value):
                raise SettingsError(f"{key} {problem}")
            return value

        def text(key: str, default: str = "") -> str:
            return (raw(key) or default).strip()

        def number(key: str, default: int, low: int = 1, high: int = MAX_NUMBER) -> int:
            value = text(key)
            if not value:
                return default
            if not value.isascii() or not value.isdigit() or int(value[:20]) < low:
                shown = shown_name(value)
                raise SettingsError(f"{key} skal være et helt tal ≥ {low}, ikke '{shown}'")
            if len(value) > len(str(high)) or int(value) > high:
                raise SettingsError(
                    f"{key} skal være et helt tal fra {low} til {high}, ikke {shown_name(value)}"
                )
            return int(value)

        url = text("DATABASE_URL") or text("DREJEBOG_DATABASE_URL") or DEFAULT_DATABASE_URL
        if not url.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:", "postgres:")):
            raise SettingsError(
                "DATABASE_URL skal være en sqlite:///... eller postgresql://...-adresse, "
                f"ikke '{url.split(':', 1)[0]}:...'"
            )
        if url.startswith("postgres:"):
            url = "postgresql:" + url[len("postgres:") :]
        if url.startswith("postgresql:"):
            url = "postgresql+psycopg:" + url[len("postgresql:") :]
        security = text("DREJEBOG_SMTP_SECURITY", "none").lower()
        if security not in SMTP_SECURITY:
            raise SettingsError(
                f"DREJEBOG_SMTP_SECURITY skal være {', '.join(SMTP_SECURITY)}, ikke '{security}'"
            )
        digest = text("DREJEBOG_DIGEST_TIME", "07:00")
        try:
            hour, minute = (int(part) for part in digest.split(":"))
            digest_time = time(hour, minute)
        except ValueError:
            raise SettingsError(f"DREJEBOG_DIGEST_TIME skal være TT:MM, ikke '{digest}'") from None
        for key in ("DREJEBOG_WEBHOOK_URL", "DREJEBOG_SMS_WEBHOOK_URL"):
            if text(key) and not text(key).startswith(("http://", "https://")):
                raise SettingsError(f"{key} skal begynde med http:// eller https://")
        return cls(
            database_url=url,
            sweep_seconds=number("DREJEBOG_SWEEP_SECONDS", 60),
            batch_size=number("DREJEBOG_BATCH_SIZE", 500),
            smtp_host=text("DREJEBOG_SMTP_HOST"),
            smtp_port=number("DREJEBOG_SMTP_PORT", 465 if security == "ssl" else 25, 1, MAX_PORT),
            smtp_security=security,
            smtp_user=text("DREJEBOG_SMTP_USER"),
            smtp_password=raw("DREJEBOG_SMTP_PASSWORD"),
            smtp_from=text("DREJEBOG_SMTP_FROM", "drejebog@localhost"),
            webhook_url=text("DREJEBOG_WEBHOOK_URL"),
            sms_webhook_url=text("DREJEBOG_SMS_WEBHOOK_URL"),
            max_attempts=number("DREJEBOG_MAX_ATTEMPTS", 8),
            send_timeout=float(number("DREJEBOG_SEND_TIMEOUT", 10)),
            delivery_batch=number("DREJEBOG_DELIVERY_BATCH", 200),
            delivery_round_seconds=number("DREJEBOG_DELIVERY_ROUND_SECONDS", 60),
            digest_time=digest_time,
            worker=worker_handle(raw("DREJEBOG_WORKER")),
        )


def worker_handle(handle: str) -> str:
    """DREJEBOG_WORKER as given, when it has a handle's form (whether that worker exists is
    checked where it is used: `actor_of` in the CLI, and by the daemon before it starts)."""
    if handle and (len(handle) > MAX_HANDLE or not IDENTIFIER.match(handle)):
        raise SettingsError(
            f"DREJEBOG_WORKER skal være en medarbejders brugernavn (små bogstaver, tal og _, "
            f"højst {MAX_HANDLE} tegn), ikke '{shown_name(handle)}'"
        )
    return handle
