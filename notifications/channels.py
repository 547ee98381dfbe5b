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
through; the dispatcher (app/delivery.py) retries. A message that can never be sent (an address
with a line break, an e-mail that cannot be built) raises Undeliverable instead: it goes dead
at once. Every network step has a timeout (`send_timeout`, connect and each read or write), so
a server that accepts and never answers costs one message that long, no more.

What a channel guarantees: a message is written into the outbox exactly once (UNIQUE keys). It
is handed to its channel at least once: a crash (kill -9) between the server's acceptance and
the mark as sent sends it again, with the same Message-ID (e-mail) or Idempotency-Key
(webhooks), so the receiving side can recognise the repeat.
"""

from __future__ import annotations

import email.errors
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


class Undeliverable(DeliveryError):
    """The message itself is broken: sending it again cannot help."""

    retryable = False


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
    @property
    def send_timeout(self) -> float: ...


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
        if not settings.smtp_host:
            return None
        return cls(SmtpConfig.from_settings(settings), settings.send_timeout)

    def __init__(self, config: SmtpConfig, timeout: float = 10.0) -> None:
        self.config = config
        self.timeout = timeout

    def build(self, message: OutgoingMessage) -> EmailMessage:
        """The e-mail; raises Undeliverable when the message cannot be one (a line break or
        no @ in the address, a header the e-mail library refuses)."""
        recipient = message.recipient
        if any(c in recipient for c in "\r\n") or "@" not in recipient.strip("@"):
            raise Undeliverable(f"ugyldig e-mailadresse {recipient!r}: kan aldrig sendes")
        try:
            return self._build(message)
        except (ValueError, TypeError, email.errors.MessageError) as exc:
            raise Undeliverable(f"e-mailen kan ikke bygges: {exc}") from exc

    def _build(self, message: OutgoingMessage) -> EmailMessage:
        mail = EmailMessage()
        mail["Subject"] = message.subject
        mail["From"] = self.config.sender
        mail["To"] = message.recipient
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = message_id(message, self.config.sender)
        mail.set_content(message.text)
        mail.add_alternative(html_part(message.subject, message.text), subtype="html")
        return mail

    def send(self, message: OutgoingMessage) -> None:
        c = self.config
        built = self.build(message)  # before connecting: a broken message costs no connection
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
                client.send_message(built)
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
        if not settings.webhook_url:
            return None
        return cls(settings.webhook_url, settings.send_timeout)


class SmsChannel(WebhookChannel):
    """Citizens without e-mail, by SMS through a gateway's webhook: never a staff message."""

    route: ClassVar[Route] = Route("sms", frozenset({CITIZEN}), "phone")

    @classmethod
    def configured(cls, settings: ChannelSettings) -> SmsChannel | None:
        if not settings.sms_webhook_url:
            return None
        return cls(settings.sms_webhook_url, settings.send_timeout)


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
