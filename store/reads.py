"""Reads for people and reports in SQL: a worker's inbox (and marking a message read), a case
in full, the open tasks, and what the demo counts. Implements the `InboxStore`, `CaseReads`
and `DeliveryStatistics` ports of app/ports.py; every call is one short transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update

from drejebog.app.ports import InboxMessage, SampleMessage, TaskView
from drejebog.store.queries import WorkerLookup, case_details, open_tasks
from drejebog.store.rows import inbox_message
from drejebog.store.tables import HISTORY, OUTBOX

# the notifications the demo counts: to an inbox or by SMS, no digests
_NOTIFIED = (OUTBOX.c.kind != "digest", OUTBOX.c.channel.in_(["inbox", "sms"]))


class SqlReads(WorkerLookup):
    """The reads above, each call one short transaction on the Engine."""

    # -- a worker's inbox (worker_key is WorkerLookup's) ------------------------------------

    def inbox(self, worker_key: int, unread_only: bool) -> list[InboxMessage]:
        query = (
            select(OUTBOX)
            .where(OUTBOX.c.worker_id == worker_key, OUTBOX.c.channel == "inbox")
            .order_by(OUTBOX.c.created_at.desc(), OUTBOX.c.id)
        )
        if unread_only:
            query = query.where(OUTBOX.c.read_at.is_(None))
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        return [inbox_message(r._mapping) for r in rows]

    def mark_read(self, worker_key: int, message_id: int, at: datetime) -> bool:
        with self._engine.begin() as connection:
            changed = connection.execute(
                update(OUTBOX)
                .where(
                    OUTBOX.c.worker_id == worker_key,
                    OUTBOX.c.channel == "inbox",
                    OUTBOX.c.id == message_id,
                )
                .values(read_at=at)
            )
        return changed.rowcount == 1

    # -- cases and tasks ---------------------------------------------------------------------

    def case_details(self, case_id: str, now: datetime) -> dict[str, Any]:
        with self._engine.connect() as connection:
            return case_details(connection, case_id, now)

    def open_tasks(
        self, today: date, worker: str | None, role: str | None, overdue: bool
    ) -> list[TaskView]:
        with self._engine.connect() as connection:
            return open_tasks(connection, today, worker, role, overdue)

    # -- what the demo counts ----------------------------------------------------------------

    def messages_by_kind_and_role(self) -> list[tuple[str, str, int]]:
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(OUTBOX.c.kind, OUTBOX.c.role, func.count())
                .where(*_NOTIFIED)
                .group_by(OUTBOX.c.kind, OUTBOX.c.role)
                .order_by(OUTBOX.c.kind, OUTBOX.c.role)
            ).all()
        return [(kind, role, count) for kind, role, count in rows]

    def digest_count(self) -> int:
        with self._engine.connect() as connection:
            return int(
                connection.execute(
                    select(func.count()).select_from(OUTBOX).where(OUTBOX.c.kind == "digest")
                ).scalar_one()
            )

    def first_message(self, kind: str) -> SampleMessage | None:
        with self._engine.connect() as connection:
            row = connection.execute(
                select(OUTBOX.c.subject, OUTBOX.c.body_text, OUTBOX.c.recipient)
                .where(OUTBOX.c.kind == kind)
                .order_by(OUTBOX.c.id)
                .limit(1)
            ).first()
        return None if row is None else SampleMessage(row.recipient, row.subject, row.body_text)

    def event_results(self) -> list[Mapping[str, Any]]:
        with self._engine.connect() as connection:
            rows = connection.execute(select(HISTORY.c.data).where(HISTORY.c.kind == "hændelse"))
            return [result for (data,) in rows for result in (data or {}).get("results", [])]

    def escalations_to_leader_inbox(self) -> dict[str, int]:
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(OUTBOX.c.rule, func.count())
                .where(
                    OUTBOX.c.kind == "escalation",
                    OUTBOX.c.role == "leder",
                    OUTBOX.c.channel == "inbox",
                )
                .group_by(OUTBOX.c.rule)
            ).all()
        return {rule: count for rule, count in rows}
