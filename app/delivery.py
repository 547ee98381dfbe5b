"""Delivering the outbox: claim due messages, send them, and retry with exponential backoff.

A channel that is down delays its messages and never drops them; after `max_attempts` a
message is marked dead (listed by `drejebog outbox --dead`, and retryable by hand). Messages
are claimed for a while before sending, so a second dispatcher skips them and a crashed one
releases them when the claim runs out. The rows are read and written through the `Outbox`
port (store/outbox.py); the policy (claim time, backoff, when to give up) is here.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from drejebog.app.ports import ClaimedMessage, Outbox, OutboxEntry, Retry
from drejebog.engine.errors import NotFound
from drejebog.notifications.channels import INBOX, Channel, DeliveryError, OutgoingMessage

log = logging.getLogger("drejebog.dispatch")
CLAIM_FOR = timedelta(minutes=5)
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=6)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min, ... at most 6 hours."""
    return min(BACKOFF_BASE * int(2 ** max(attempts - 1, 0)), BACKOFF_MAX)


@dataclass
class DispatchReport:
    sent: int = 0
    failed: int = 0
    dead: int = 0


def outgoing(message: ClaimedMessage) -> OutgoingMessage:
    return OutgoingMessage(
        message.id,
        message.case_id,
        message.kind,
        message.role,
        message.recipient,
        message.subject,
        message.text,
    )


def deliver(
    outbox: Outbox,
    channels: Mapping[str, Channel],
    now: datetime,
    max_attempts: int,
    limit: int = 200,
) -> DispatchReport:
    """Send the due messages, each over the channel named in its row (`channels` maps the
    names to senders, drejebog/bootstrap.py's `wire_channels`); a failure is retried later,
    or given up."""
    report = DispatchReport()
    # inbox messages are delivered when written: claimed with the rest, never sent
    claimed = [m for m in outbox.claim(now, now + CLAIM_FOR, limit) if m.channel != INBOX]
    for message in claimed:
        channel = channels.get(message.channel)
        try:
            if channel is None:
                raise DeliveryError(f"kanalen '{message.channel}' er ikke sat op")
            channel.send(outgoing(message))
        except DeliveryError as exc:
            _failed(outbox, message.id, now, str(exc), max_attempts, report)
            continue
        outbox.mark_sent(message.id, now)
        report.sent += 1
        log.info(
            "sendt",
            extra={"action": "delivered", "outbox_id": message.id, "channel": message.channel},
        )
    return report


def _failed(
    outbox: Outbox,
    message_id: int,
    now: datetime,
    error: str,
    max_attempts: int,
    report: DispatchReport,
) -> None:
    def plan(attempts: int) -> Retry:
        return Retry(attempts, attempts >= max_attempts, now + backoff(attempts))

    retry = outbox.record_failure(message_id, error[:500], plan)
    report.failed += 1
    report.dead += int(retry.dead)
    log.warning(
        "levering fejlede",
        extra={
            "action": "delivery_failed",
            "outbox_id": message_id,
            "attempts": retry.attempts,
            "dead": retry.dead,
        },
    )


def retry_dead(outbox: Outbox, now: datetime, message_id: int | None = None) -> int:
    """Put dead messages (one, or all) back in line for delivery; returns how many. Raises
    NotFound for a message id that is not a dead message."""
    count = outbox.retry_dead(now, message_id)
    if message_id is not None and count == 0:
        raise NotFound("opgivet besked", str(message_id))
    return count


def undelivered(outbox: Outbox, dead_only: bool) -> list[OutboxEntry]:
    """What `drejebog outbox` lists: messages not sent yet (or only the dead ones)."""
    return outbox.undelivered(dead_only)
