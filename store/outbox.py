"""The outbox's delivery side in SQL (the `Outbox` port of app/ports.py): claiming due messages,
marking them sent or failed, dead letters. Notifications are written into the outbox with the
timer that caused them (app/firing.py) or the digest (store/digest.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Connection, Engine, false, select, update

from drejebog.app.ports import ClaimedMessage, OutboxEntry, Retry
from drejebog.store.rows import claimed_message, outbox_entry
from drejebog.store.tables import OUTBOX


def _write_first(connection: Connection) -> None:
    """On SQLite, take the write lock before reading: a transaction that reads and then writes
    fails at once ("database is locked", no busy wait) when another connection wrote in
    between, and the daemon's firing and delivery jobs write side by side. A write that
    changes nothing takes the lock, waiting out the busy timeout."""
    if connection.dialect.name == "sqlite":
        connection.execute(update(OUTBOX).where(false()).values(claimed_until=None))


class SqlOutbox:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def claim(self, now: datetime, until: datetime, limit: int) -> list[ClaimedMessage]:
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
        with self._engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            _write_first(connection)
            rows = connection.execute(query).all()
            if rows:
                connection.execute(
                    update(OUTBOX)
                    .where(OUTBOX.c.id.in_([r.id for r in rows]))
                    .values(claimed_until=until)
                )
        return [claimed_message(r._mapping) for r in rows]

    def mark_sent(self, message_id: int, now: datetime) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                update(OUTBOX)
                .where(OUTBOX.c.id == message_id)
                .values(
                    status="sent",
                    sent_at=now,
                    claimed_until=None,
                    attempts=OUTBOX.c.attempts + 1,
                    last_error="",
                )
            )

    def record_failure(self, message_id: int, error: str, plan: Callable[[int], Retry]) -> Retry:
        with self._engine.begin() as connection:
            _write_first(connection)
            attempts = connection.execute(
                select(OUTBOX.c.attempts).where(OUTBOX.c.id == message_id)
            ).scalar_one()
            retry = plan(attempts + 1)
            connection.execute(
                update(OUTBOX)
                .where(OUTBOX.c.id == message_id)
                .values(
                    attempts=retry.attempts,
                    last_error=error,
                    claimed_until=None,
                    status="dead" if retry.dead else "pending",
                    next_attempt_at=retry.next_attempt_at,
                )
            )
        return retry

    def retry_dead(self, now: datetime, message_id: int | None = None) -> int:
        query = update(OUTBOX).where(OUTBOX.c.status == "dead")
        if message_id is not None:
            query = query.where(OUTBOX.c.id == message_id)
        with self._engine.begin() as connection:
            result = connection.execute(
                query.values(status="pending", attempts=0, next_attempt_at=now, claimed_until=None)
            )
            return int(result.rowcount)

    def undelivered(self, dead_only: bool) -> list[OutboxEntry]:
        query = select(OUTBOX).where(OUTBOX.c.channel != "inbox").order_by(OUTBOX.c.id)
        query = query.where(OUTBOX.c.status == "dead" if dead_only else OUTBOX.c.status != "sent")
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        return [outbox_entry(r._mapping) for r in rows]
