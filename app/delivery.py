"""Delivering the outbox: claim due messages, send them, and retry with exponential backoff.

A channel that is down delays its messages and never drops them; after `max_attempts` a
message is marked dead (listed by `drejebog outbox --dead`, and retryable by hand). Messages
are claimed for a while before sending, so a second dispatcher skips them and a crashed one
releases them when the claim runs out. The rows are read and written through the `Outbox`
port (store/outbox.py); the policy (claim time, backoff, when to give up) is here.

One bad message cannot block the others: any error while building or sending one message is
caught for that message alone. A message that can never be sent (Undeliverable: an address
with a line break) goes dead at once; any other error is retried with backoff. The reason is
kept for `drejebog outbox`, with any CPR number masked.

A delivery round is bounded: at most `limit` messages, no new message begun after `deadline`
or once `should_stop` says so (the daemon's SIGTERM). Messages are claimed a few at a time, so
a round cut short leaves only a handful claimed; those, and a message in flight when the
process ends, stay pending and are sent when their claim runs out, never lost and never
marked sent without being sent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from drejebog.app.ports import ClaimedMessage, Outbox, OutboxEntry, Retry
from drejebog.engine.cpr import mask_cpr_in_text
from drejebog.engine.errors import NotFound
from drejebog.notifications.channels import INBOX, Channel, DeliveryError, OutgoingMessage

log = logging.getLogger("drejebog.dispatch")
CLAIM_FOR = timedelta(minutes=5)
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=6)
CLAIM_CHUNK = 20  # messages claimed at a time within a round


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
    deadline: float | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> DispatchReport:
    """Send the due messages, each over the channel named in its row (`channels` maps the
    names to senders, drejebog/bootstrap.py's `wire_channels`); a failure is retried later,
    or given up. `deadline` is a `time.monotonic()` value after which no message is begun."""
    report = DispatchReport()

    def over() -> bool:
        return should_stop() or (deadline is not None and time.monotonic() >= deadline)

    handled = 0
    while handled < limit and not over():
        chunk = outbox.claim(now, now + CLAIM_FOR, min(CLAIM_CHUNK, limit - handled))
        if not chunk:
            break
        handled += len(chunk)
        for message in chunk:
            if message.channel == INBOX:
                continue  # inbox messages are delivered when written: claimed, never sent
            if over():
                break  # the rest of the chunk stays claimed until CLAIM_FOR runs out
            _deliver_one(outbox, channels, message, now, max_attempts, report)
        if len(chunk) < CLAIM_CHUNK:
            break
    return report


def _deliver_one(
    outbox: Outbox,
    channels: Mapping[str, Channel],
    message: ClaimedMessage,
    now: datetime,
    max_attempts: int,
    report: DispatchReport,
) -> None:
    channel = channels.get(message.channel)
    try:
        if channel is None:
            raise DeliveryError(f"kanalen '{message.channel}' er ikke sat op")
        channel.send(outgoing(message))
    except DeliveryError as exc:
        _failed(outbox, message.id, now, str(exc), max_attempts, report, not exc.retryable)
        return
    except Exception as exc:  # one message's bug must not stop the others
        reason = f"uventet fejl ({type(exc).__name__}): {exc}"
        _failed(outbox, message.id, now, reason, max_attempts, report)
        return
    outbox.mark_sent(message.id, now)
    report.sent += 1
    log.info(
        "sendt",
        extra={"action": "delivered", "outbox_id": message.id, "channel": message.channel},
    )


def _failed(
    outbox: Outbox,
    message_id: int,
    now: datetime,
    error: str,
    max_attempts: int,
    report: DispatchReport,
    permanent: bool = False,
) -> None:
    def plan(attempts: int) -> Retry:
        return Retry(attempts, permanent or attempts >= max_attempts, now + backoff(attempts))

    reason = mask_cpr_in_text(error)[:500]
    retry = outbox.record_failure(message_id, reason, plan)
    report.failed += 1
    report.dead += int(retry.dead)
    log.warning(
        "levering fejlede",
        extra={
            "action": "delivery_failed",
            "outbox_id": message_id,
            "attempts": retry.attempts,
            "dead": retry.dead,
            "reason": reason,
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
