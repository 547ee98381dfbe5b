"""Delivering the outbox: claim due messages, send them, and retry with exponential backoff.

A channel that is down delays its messages and never drops them; after `max_attempts` a
message is marked dead (listed by `drejebog outbox --dead`, and retryable by hand). Messages
are claimed for a while before sending, so a second dispatcher skips them and a crashed one
releases them when the claim runs out.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, select, update

from drejebog.notifications.channels import Channel, DeliveryError, OutgoingMessage
from drejebog.store.tables import OUTBOX

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


def claim(engine: Engine, now: datetime, limit: int) -> list[OutgoingMessage]:
    with engine.begin() as connection:
        query = (
            select(OUTBOX)
            .where(
                OUTBOX.c.status == "pending",
                OUTBOX.c.next_attempt_at <= now,
                (OUTBOX.c.claimed_until.is_(None)) | (OUTBOX.c.claimed_until < now),
            )
            .order_by(OUTBOX.c.next_attempt_at, OUTBOX.c.id)
            .limit(limit)
        )
        if connection.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = connection.execute(query).all()
        if rows:
            connection.execute(
                update(OUTBOX)
                .where(OUTBOX.c.id.in_([r.id for r in rows]))
                .values(claimed_until=now + CLAIM_FOR)
            )
    return (
        [
            OutgoingMessage(r.id, r.case_id, r.kind, r.role, r.recipient, r.subject, r.body_text)
            for r in rows
            if r.channel != "inbox"
        ]
        if rows
        else []
    )


def deliver(
    engine: Engine,
    channels: Mapping[str, Channel],
    now: datetime,
    max_attempts: int,
    limit: int = 200,
) -> DispatchReport:
    report = DispatchReport()
    messages = claim(engine, now, limit)
    if not messages:
        return report
    with engine.connect() as connection:
        kinds = dict(
            connection.execute(
                select(OUTBOX.c.id, OUTBOX.c.channel).where(
                    OUTBOX.c.id.in_([m.id for m in messages])
                )
            ).all()
        )
    for message in messages:
        name = kinds[message.id]
        channel = channels.get(name)
        try:
            if channel is None:
                raise DeliveryError(f"kanalen '{name}' er ikke sat op")
            channel.send(message)
        except DeliveryError as exc:
            _failed(engine, message.id, now, str(exc), max_attempts, report)
            continue
        with engine.begin() as connection:
            connection.execute(
                update(OUTBOX)
                .where(OUTBOX.c.id == message.id)
                .values(
                    status="sent",
                    sent_at=now,
                    claimed_until=None,
                    attempts=OUTBOX.c.attempts + 1,
                    last_error="",
                )
            )
        report.sent += 1
        log.info("sendt", extra={"action": "delivered", "outbox_id": message.id, "channel": name})
    return report


def _failed(
    engine: Engine,
    message_id: int,
    now: datetime,
    error: str,
    max_attempts: int,
    report: DispatchReport,
) -> None:
    with engine.begin() as connection:
        attempts = (
            connection.execute(
                select(OUTBOX.c.attempts).where(OUTBOX.c.id == message_id)
            ).scalar_one()
            + 1
        )
        dead = attempts >= max_attempts
        connection.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id == message_id)
            .values(
                attempts=attempts,
                last_error=error[:500],
                claimed_until=None,
                status="dead" if dead else "pending",
                next_attempt_at=now + backoff(attempts),
            )
        )
    report.failed += 1
    report.dead += int(dead)
    log.warning(
        "levering fejlede",
        extra={
            "action": "delivery_failed",
            "outbox_id": message_id,
            "attempts": attempts,
            "dead": dead,
        },
    )


def retry_dead(engine: Engine, now: datetime, message_id: int | None = None) -> int:
    """Put dead messages (one, or all) back in line for delivery."""
    with engine.begin() as connection:
        query = update(OUTBOX).where(OUTBOX.c.status == "dead")
        if message_id is not None:
            query = query.where(OUTBOX.c.id == message_id)
        result = connection.execute(
            query.values(status="pending", attempts=0, next_attempt_at=now, claimed_until=None)
        )
        return int(result.rowcount)
