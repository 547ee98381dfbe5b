"""Delivery channels, each with its own name: e-mail over SMTP ("email"), the staff webhook
("staff_webhook", e.g. a Teams connector) and the citizens' SMS gateway ("sms"). The inbox
("inbox") is a channel too, but it is delivered when written, so it has no sender here.

Each channel class declares its `route`: its name (stored in the outbox row, and how the
dispatcher finds the sender again), whom it serves (staff, citizens or both) and which of the
recipient's addresses it uses. A class that serves only staff can never be handed a citizen's
message: composing (app/notices.py) asks the route. Each class also builds itself from the
settings it needs (`configured`), so adding a channel is one class here, listed in
`CHANNEL_CLASSES`, plus its settings; the composition root (drejebog/bootstrap.py) builds
every listed class. This package does not import the application layer: the settings are
read through the small `ChannelSettings` protocol, which the app's Settings satisfies.

A channel's `send` raises DeliveryError with a readable reason when the message did not get
through; the dispatcher (app/delivery.py) retries.
"""

from __future__ import annotations

import json
import smtplib
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, ClassVar, Protocol

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


STAFF = "staff"
CITIZEN = "citizen"
INBOX = "inbox"


@dataclass(frozen=True)
class Route:
    """Who a channel serves and at which of the recipient's addresses ("handle", "email" or
    "phone", the field names of app/recipients.py's Recipient)."""

    channel: str  # the channel's name, at most 16 characters (the outbox column)
    audience: frozenset[str]  # STAFF, CITIZEN or both
    address: str


INBOX_ROUTE = Route(INBOX, frozenset({STAFF}), "handle")


class ChannelSettings(Protocol):
    """The settings the channels are built from (app/settings.py's Settings has them)."""

    @property
    def smtp_host(self) -> str: ...
    @property
    def smtp_port(self) -> int: ...
    @property
    def smtp_security(self) -> str: ...
    @property
    def smtp_user(self) -> str: ...
    @property
    def smtp_password(self) -> str: ...
    @property
    def smtp_from(self) -> str: ...
    @property
    def webhook_url(self) -> str: ...
    @property
    def sms_webhook_url(self) -> str: ...


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

    @classmethod
    def from_settings(cls, settings: ChannelSettings) -> SmtpConfig:
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            user=settings.smtp_user,
            password=settings.smtp_password,
            sender=settings.smtp_from,
        )


class SmtpChannel:
    """E-mail, to staff and to citizens who gave an address."""

    route: ClassVar[Route] = Route("email", frozenset({STAFF, CITIZEN}), "email")

    @classmethod
    def configured(cls, settings: ChannelSettings) -> SmtpChannel | None:
        return cls(SmtpConfig.from_settings(settings)) if settings.smtp_host else None

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
    """HTTP POST of the notification as JSON; the two named webhooks below say to whom."""

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


class StaffWebhookChannel(WebhookChannel):
    """Staff notifications to a webhook (e.g. a Teams connector): never a citizen's."""

    route: ClassVar[Route] = Route("staff_webhook", frozenset({STAFF}), "handle")

    @classmethod
    def configured(cls, settings: ChannelSettings) -> StaffWebhookChannel | None:
        return cls(settings.webhook_url) if settings.webhook_url else None


class SmsChannel(WebhookChannel):
    """Citizens without e-mail, by SMS through a gateway's webhook: never a staff message."""

    route: ClassVar[Route] = Route("sms", frozenset({CITIZEN}), "phone")

    @classmethod
    def configured(cls, settings: ChannelSettings) -> SmsChannel | None:
        return cls(settings.sms_webhook_url) if settings.sms_webhook_url else None


class ChannelClass(Protocol):
    """A channel class as the registry lists it: its route, and how it builds itself from
    the settings (None when they do not set it up)."""

    @property
    def route(self) -> Route: ...

    def configured(self, settings: ChannelSettings) -> Channel | None: ...


# every channel there is, in the order a citizen's message tries them (the first that has an
# address for the citizen wins; staff get every staff channel)
CHANNEL_CLASSES: tuple[ChannelClass, ...] = (SmtpChannel, StaffWebhookChannel, SmsChannel)
ROUTES: dict[str, Route] = {c.route.channel: c.route for c in CHANNEL_CLASSES}
