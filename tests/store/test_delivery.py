"""Delivering the outbox over real SMTP and HTTP servers on loopback, from every store (in
memory too); a dead channel delays, never drops; dead letters are listed and retried."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from aiosmtpd.controller import Controller

from drejebog.app.delivery import backoff, deliver, retry_dead, undelivered
from drejebog.app.firing import Channels, sweep
from drejebog.app.ports import ClaimedMessage
from drejebog.app.settings import Settings
from drejebog.bootstrap import Wiring, wire_channels
from drejebog.notifications.channels import (
    DeliveryError,
    OutgoingMessage,
    SmsChannel,
    SmtpChannel,
    SmtpConfig,
    StaffWebhookChannel,
    Undeliverable,
)
from tests.conftest import local, shows_cpr_serial
from tests.store.conftest import BO_CPR
from tests.store.test_firing import open_rehab


class Collector:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server():
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield collector, controller.port
    finally:
        controller.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serve_webhook() -> Iterator[tuple[list[dict], str]]:
    """An HTTP server on loopback that keeps every JSON body POSTed to it."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield received, f"http://127.0.0.1:{server.server_port}/hook"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def webhook_server():
    with serve_webhook() as server:
        yield server


@pytest.fixture
def sms_server():
    with serve_webhook() as server:
        yield server


def fire_reminder(store, clock, channels: Channels) -> None:
    open_rehab(store)
    clock.advance_to(local("2027-03-12 08:00"))
    sweep(store.unit_of_work, clock.now(), channels)


def test_email_goes_out_over_smtp_with_text_html_and_a_stable_message_id(
    staffed_backend, clock, smtp_server
):
    store = staffed_backend
    collector, port = smtp_server
    fire_reminder(store, clock, Channels.named("email"))
    settings = Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_from="drejebog@jobcenter.dk")
    report = deliver(
        store.outbox, {"email": SmtpChannel(SmtpConfig.from_settings(settings))}, clock.now(), 5
    )
    assert report.sent == 1
    ((sender, recipients, content),) = collector.messages
    assert sender == "drejebog@jobcenter.dk" and recipients == ["anna@jobcenter.dk"]
    text = content.decode("utf-8")
    assert "Message-ID: <drejebog-" in text and "@jobcenter.dk>" in text
    assert "multipart/alternative" in text and "text/html" in text
    assert not shows_cpr_serial(text)
    email = message_from_bytes(content, policy=policy.default)
    plain = email.get_body(("plain",)).get_content()
    html = email.get_body(("html",)).get_content()
    # the HTML part is the stored text, a paragraph per paragraph
    first = plain.split("\n\n")[0].strip()
    assert first.startswith("Kære Anna Sagsbehandler") and f"<p>{first}</p>" in html
    assert html.count("<p>") == len([p for p in plain.split("\n\n") if p.strip()])
    again = deliver(
        store.outbox, {"email": SmtpChannel(SmtpConfig.from_settings(settings))}, clock.now(), 5
    )
    assert again.sent == 0 and len(collector.messages) == 1


def test_a_dead_smtp_server_delays_with_backoff_then_dead_letters_then_retry(
    staffed_backend, clock
):
    store = staffed_backend
    fire_reminder(store, clock, Channels.named("email"))
    settings = Settings(smtp_host="127.0.0.1", smtp_port=free_port())
    channels = {"email": SmtpChannel(SmtpConfig.from_settings(settings), timeout=2)}
    first = deliver(store.outbox, channels, clock.now(), max_attempts=3)
    assert (first.sent, first.failed, first.dead) == (0, 1, 0)
    assert deliver(store.outbox, channels, clock.now(), 3).failed == 0  # waiting for backoff
    clock.advance(backoff(1))
    assert deliver(store.outbox, channels, clock.now(), 3).failed == 1
    clock.advance(backoff(2))
    assert deliver(store.outbox, channels, clock.now(), 3).dead == 1
    (message,) = store.rows("outbox", channel="email")
    assert message["status"] == "dead" and message["attempts"] == 3
    assert "fejlede" in message["last_error"]
    assert retry_dead(store.outbox, clock.now()) == 1
    (message,) = store.rows("outbox", channel="email")
    assert message["status"] == "pending"


def test_citizen_sms_goes_to_the_sms_gateway_with_json(staffed_backend, clock, sms_server):
    store = staffed_backend
    received, url = sms_server
    store.update("citizen", {"phone": "+4512345678"})
    case_id = open_rehab(store)
    clock.advance(timedelta(days=1))
    store.cases.apply_event(case_id, "overdrag", {"jobmaal_afklaret": "ja"}, "anna_s")
    clock.advance_to(local("2027-03-31 08:00"))  # reminder to borger before 2 April
    sweep(store.unit_of_work, clock.now(), Channels.named("sms"))
    report = deliver(store.outbox, {"sms": SmsChannel(url)}, clock.now(), 5)
    assert report.sent == 1
    (payload,) = received
    assert payload["rolle"] == "borger" and payload["modtager"] == "+4512345678"
    assert payload["sag"] == int(case_id) and "Anna Andersen" in payload["tekst"]


def test_backoff_grows_and_is_capped():
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(40) == timedelta(hours=6)


def test_inbox_is_delivered_on_write(staffed_backend, clock):
    store = staffed_backend
    fire_reminder(store, clock, Channels())
    (row,) = store.rows("outbox")
    assert (row["channel"], row["status"], row["recipient"]) == ("inbox", "sent", "anna_s")


class FakeOutbox:
    """The `Outbox` port in memory: the delivery policy runs without a database."""

    def __init__(self, *messages: ClaimedMessage) -> None:
        self.pending = {m.id: m for m in messages}
        self.attempts = dict.fromkeys(self.pending, 0)
        self.due = dict.fromkeys(self.pending, datetime(2027, 1, 1, tzinfo=UTC))
        self.sent: list[int] = []
        self.dead: list[int] = []

    def claim(self, now, until, limit):
        return [m for i, m in sorted(self.pending.items()) if self.due[i] <= now][:limit]

    def mark_sent(self, message_id, now):
        self.sent.append(message_id)
        del self.pending[message_id]

    def record_failure(self, message_id, error, plan):
        retry = plan(self.attempts[message_id] + 1)
        self.attempts[message_id] = retry.attempts
        self.due[message_id] = retry.next_attempt_at
        if retry.dead:
            self.dead.append(message_id)
            del self.pending[message_id]
        return retry


class Flaky:
    def __init__(self, failures: int) -> None:
        self.failures = failures

    def send(self, message: OutgoingMessage) -> None:
        if self.failures:
            self.failures -= 1
            raise DeliveryError("nede")


def message(id: int, channel: str) -> ClaimedMessage:
    return ClaimedMessage(id, 1, "reminder", "sagsbehandler", channel, "anna", "Emne", "Tekst")


def test_delivery_retries_with_backoff_then_gives_up_on_a_fake_outbox():
    outbox = FakeOutbox(message(1, "email"), message(2, "staff_webhook"), message(3, "sms"))
    channels = {"email": Flaky(failures=1), "staff_webhook": Flaky(failures=0)}
    now = datetime(2027, 3, 1, 8, tzinfo=UTC)
    first = deliver(outbox, channels, now, max_attempts=2)
    assert (first.sent, first.failed, first.dead) == (1, 2, 0)
    assert outbox.due[1] == now + backoff(1)
    again = deliver(outbox, channels, now + backoff(1), max_attempts=2)
    assert (again.sent, again.failed, again.dead) == (1, 1, 1)
    assert outbox.sent == [2, 1] and outbox.dead == [3]  # no channel 'sms': given up


def test_each_url_makes_its_own_named_channel():
    every = wire_channels(
        Settings(
            smtp_host="smtp.example",
            webhook_url="https://teams.example/hook",
            sms_webhook_url="https://sms.example/hook",
        )
    )
    assert every.flags == Channels.named("email", "staff_webhook", "sms")
    assert set(every.channels) == {"email", "staff_webhook", "sms"}
    staff, sms = every.channels["staff_webhook"], every.channels["sms"]
    assert isinstance(staff, StaffWebhookChannel) and staff.url == "https://teams.example/hook"
    assert isinstance(sms, SmsChannel) and sms.url == "https://sms.example/hook"
    only_sms = wire_channels(Settings(sms_webhook_url="https://sms.example/hook"))
    assert only_sms.flags == Channels.named("sms") and set(only_sms.channels) == {"sms"}
    assert wire_channels(Settings()) == Wiring(Channels(), {})


def test_with_every_url_set_staff_and_citizens_each_reach_only_their_own_channel(
    staffed_backend, clock, smtp_server, webhook_server, sms_server
):
    """Anna has e-mail, Bo only a phone; every channel is set up. Staff notifications go to
    the staff webhook (and e-mail), Bo's SMS only to the SMS gateway, Anna's only by e-mail:
    the staff webhook never sees a citizen's message nor a citizen's phone number."""
    store = staffed_backend
    collector, port = smtp_server
    staff_received, staff_url = webhook_server
    sms_received, sms_url = sms_server
    phone = "+4512345678"
    store.update("citizen", {"phone": phone})
    wiring = wire_channels(
        Settings(
            smtp_host="127.0.0.1",
            smtp_port=port,
            webhook_url=staff_url,
            sms_webhook_url=sms_url,
        )
    )
    cases = [open_rehab(store), open_rehab(store, BO_CPR)]
    clock.advance_to(local("2027-03-12 08:00"))  # the staff reminders before the overdragelse
    sweep(store.unit_of_work, clock.now(), wiring.flags)
    for case_id in cases:
        store.cases.apply_event(case_id, "overdrag", {"jobmaal_afklaret": "ja"}, "anna_s")
    clock.advance_to(local("2027-04-10 08:00"))  # the reminders to borger before 12 April
    sweep(store.unit_of_work, clock.now(), wiring.flags)
    report = deliver(store.outbox, wiring.channels, clock.now(), 5)
    assert report.failed == 0

    citizens_rows = {r["id"] for r in store.rows("outbox") if r["worker_id"] is None}
    assert staff_received and sms_received and citizens_rows
    for payload in staff_received:
        assert payload["id"] not in citizens_rows and payload["rolle"] != "borger"
        assert phone not in json.dumps(payload)
    assert [(p["rolle"], p["modtager"]) for p in sms_received] == [("borger", phone)]
    assert {p["id"] for p in sms_received} < citizens_rows  # Anna's went by e-mail
    recipients = [to for _, rcpt_tos, _ in collector.messages for to in rcpt_tos]
    assert "anna@example.org" in recipients and "anna@jobcenter.dk" in recipients
    assert {r["channel"] for r in store.rows("outbox")} == {
        "inbox",
        "email",
        "staff_webhook",
        "sms",
    }


@contextmanager
def silent_server() -> Iterator[tuple[int, list[socket.socket]]]:
    """A TCP server on loopback that accepts every connection and never says a word (an SMTP
    server that hangs); yields its port and the connections it holds."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(50)
    listener.settimeout(0.1)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(connection)  # kept open, never answered

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], held
    finally:
        stop.set()
        thread.join(5)
        for connection in held:
            connection.close()
        listener.close()


def test_a_crlf_address_planted_in_the_database_makes_only_its_own_message_dead(
    staffed_backend, clock, smtp_server
):
    """The address goes dead at once, with the reason (CPR masked) in `outbox --dead`; the
    other e-mails are delivered in the same round, and the broken one is never claimed again."""
    store = staffed_backend
    collector, port = smtp_server
    open_rehab(store)
    open_rehab(store, BO_CPR)
    clock.advance_to(local("2027-03-12 08:00"))
    sweep(store.unit_of_work, clock.now(), Channels.named("email"))
    emails = store.rows("outbox", channel="email")
    assert len(emails) >= 2
    planted = "anna@jobcenter.dk\r\nBcc: 010190-1234@spy.example"
    store.update("outbox", {"recipient": planted}, id=emails[0]["id"])
    channels = {"email": SmtpChannel(SmtpConfig("127.0.0.1", port))}
    report = deliver(store.outbox, channels, clock.now(), max_attempts=5)
    assert (report.sent, report.failed, report.dead) == (len(emails) - 1, 1, 1)
    assert len(collector.messages) == len(emails) - 1
    assert all("spy.example" not in to for _, tos, _ in collector.messages for to in tos)
    (dead,) = undelivered(store.outbox, dead_only=True)
    assert dead.id == emails[0]["id"] and "ugyldig e-mailadresse" in dead.last_error
    assert not shows_cpr_serial(dead.last_error) and "010190-xxxx" in dead.last_error
    clock.advance(timedelta(hours=1))
    assert deliver(store.outbox, channels, clock.now(), 5).failed == 0  # dead, not retried


class Broken:
    """A channel with a bug: not a DeliveryError, just an exception."""

    def send(self, message: OutgoingMessage) -> None:
        raise RuntimeError(f"bug for 010190-1234 in message {message.id}")


def test_any_exception_in_one_message_is_its_own_failure_and_the_rest_go_on():
    outbox = FakeOutbox(message(1, "sms"), message(2, "email"), message(3, "email"))
    errors: dict[int, str] = {}
    original = outbox.record_failure

    def record(message_id, error, plan):
        errors[message_id] = error
        return original(message_id, error, plan)

    outbox.record_failure = record
    report = deliver(
        outbox, {"sms": Broken(), "email": Flaky(0)}, datetime(2027, 3, 1, tzinfo=UTC), 5
    )
    assert (report.sent, report.failed, report.dead) == (2, 1, 0)  # retried with backoff
    assert outbox.sent == [2, 3] and 1 in outbox.pending
    assert "RuntimeError" in errors[1] and not shows_cpr_serial(errors[1])


def test_an_undeliverable_message_goes_dead_on_its_first_attempt():
    outbox = FakeOutbox(message(1, "email"))

    class Refusing:
        def send(self, message: OutgoingMessage) -> None:
            raise Undeliverable("ugyldig")

    report = deliver(outbox, {"email": Refusing()}, datetime(2027, 3, 1, tzinfo=UTC), 8)
    assert (report.failed, report.dead) == (1, 1) and outbox.dead == [1]


def test_smtp_build_refuses_line_breaks_and_addresses_without_at():
    channel = SmtpChannel(SmtpConfig("127.0.0.1"))
    for recipient in ("a@b.dk\nBcc: c@d.dk", "a@b.dk\r", "nobody", "@"):
        bad = OutgoingMessage(1, 1, "reminder", "sagsbehandler", recipient, "Emne", "Tekst")
        with pytest.raises(Undeliverable):
            channel.build(bad)
    subject = OutgoingMessage(1, 1, "reminder", "r", "a@b.dk", "Emne\nBcc: c@d.dk", "Tekst")
    with pytest.raises(Undeliverable):
        channel.build(subject)


def test_a_hanging_smtp_server_costs_each_message_its_timeout_and_a_round_its_deadline():
    outbox = FakeOutbox(*(replace(message(i, "email"), recipient="a@b.dk") for i in range(1, 6)))
    with silent_server() as (port, held):
        channel = SmtpChannel(SmtpConfig("127.0.0.1", port), timeout=0.5)
        started = time.monotonic()
        report = deliver(
            outbox, {"email": channel}, datetime(2027, 3, 1, tzinfo=UTC), 5, deadline=started + 1.2
        )
        elapsed = time.monotonic() - started
    assert held  # it did connect, and got no answer
    assert report.failed in (2, 3) and report.sent == 0 and elapsed < 2.5
    assert len(outbox.pending) == 5  # failed ones retried later, the rest never begun


def test_a_stop_request_ends_a_round_between_two_messages():
    outbox = FakeOutbox(*(message(i, "email") for i in range(1, 6)))
    stop = threading.Event()

    class StopsAfterOne:
        def send(self, message: OutgoingMessage) -> None:
            stop.set()  # SIGTERM arrives while this message is in flight

    report = deliver(
        outbox,
        {"email": StopsAfterOne()},
        datetime(2027, 3, 1, tzinfo=UTC),
        5,
        should_stop=stop.is_set,
    )
    assert report.sent == 1 and sorted(outbox.pending) == [2, 3, 4, 5]
