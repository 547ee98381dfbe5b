"""Delivery channels: e-mail over SMTP and a JSON webhook. Each raises DeliveryError with a
readable reason when the message did not get through; the dispatcher (app/delivery.py)
retries. A channel takes its own small configuration; the composition root
(drejebog/bootstrap.py) builds it from the settings."""

from __future__ import annotations

import json
import smtplib
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, Protocol

from drejebog.engine.errors import DrejebogError
from drejebog.notifications.render import html_part


class DeliveryError(DrejebogError):
    retryable = True


@dataclass(frozen=True)
class OutgoingMessage:
    id: int
    case_id: int | None  # None: a daily digest
    kind: str
    role: str
    recipient: str
    subject: str
    text: str


class Channel(Protocol):
    def send(self, message: OutgoingMessage) -> None: ...


def message_id(message: OutgoingMessage, sender: str) -> str:
    """Stable per notification: a resend after a crash is recognisable as the same message."""
    domain = sender.rsplit("@", 1)[-1] or "drejebog"
    return f"<drejebog-{message.id}@{domain}>"


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send e-mail."""

    host: str
    port: int = 25
    security: str = "none"  # none, starttls or ssl
    user: str = ""  # log in only when given
    password: str = ""
    sender: str = "drejebog@localhost"


class SmtpChannel:
    def __init__(self, config: SmtpConfig, timeout: float = 10.0) -> None:
        self.config = config
        self.timeout = timeout

    def build(self, message: OutgoingMessage) -> EmailMessage:
        email = EmailMessage()
        email["Subject"] = message.subject
        email["From"] = self.config.sender
        email["To"] = message.recipient
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = message_id(message, self.config.sender)
        email.set_content(message.text)
        email.add_alternative(html_part(message.subject, message.text), subtype="html")
        return email

    def send(self, message: OutgoingMessage) -> None:
        c = self.config
        try:
            client: smtplib.SMTP
            if c.security == "ssl":
                client = smtplib.SMTP_SSL(
                    c.host, c.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                client = smtplib.SMTP(c.host, c.port, timeout=self.timeout)
            with client:
                if c.security == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if c.user:
                    client.login(c.user, c.password)
                client.send_message(self.build(message))
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(
                f"e-mail til {message.recipient} via {c.host}:{c.port} fejlede: {exc}"
            ) from exc


class WebhookChannel:
    """HTTP POST of the notification as JSON (a Teams connector, an SMS gateway)."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url
        self.timeout = timeout

    def payload(self, message: OutgoingMessage) -> dict[str, Any]:
        return {
            "id": message.id,
            "sag": message.case_id,
            "type": message.kind,
            "rolle": message.role,
            "modtager": message.recipient,
            "emne": message.subject,
            "tekst": message.text,
        }

    def send(self, message: OutgoingMessage) -> None:
        body = json.dumps(self.payload(message), ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Idempotency-Key": f"drejebog-{message.id}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                if not 200 <= response.status < 300:
                    raise DeliveryError(f"webhook svarede {response.status}")
        except urllib.error.HTTPError as exc:
            raise DeliveryError(f"webhook {self.url} svarede {exc.code}") from exc
        except (OSError, urllib.error.URLError) as exc:
            raise DeliveryError(f"webhook {self.url} kan ikke nås: {exc}") from exc
