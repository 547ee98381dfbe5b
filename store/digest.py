"""The daily digest's reads and writes in SQL (the `DigestUnitOfWork` port of app/ports.py):
one transaction, as the case service's unit of work, with the digest's queries. The two
queries that run every day read through partial indexes (store/tables.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, select, text

from drejebog.app.ports import DueTask, MissingNotice, OutboxRow
from drejebog.app.recipients import StaffMember
from drejebog.engine.model import Drejebog
from drejebog.store.rows import staff_member
from drejebog.store.tables import (
    ASSIGNMENT,
    CASE,
    CITIZEN,
    DIGESTS,
    MISSING_NOTICES,
    OUTBOX,
    TASK,
    TIMER,
    WORKER,
)
from drejebog.store.unit_of_work import SqlUnitOfWork


def tasks_due(today: date) -> Select[Any]:
    return (
        select(
            ASSIGNMENT.c.worker_id,
            TASK.c.case_id,
            TASK.c.title,
            TASK.c.due_date,
            CITIZEN.c.name,
        )
        .join(
            ASSIGNMENT,
            (ASSIGNMENT.c.case_id == TASK.c.case_id) & (ASSIGNMENT.c.role == TASK.c.role),
        )
        .join(CASE, CASE.c.id == TASK.c.case_id)
        .join(CITIZEN, CITIZEN.c.id == CASE.c.citizen_id)
        .where(TASK.c.status == "open", TASK.c.due_date <= today)
        .order_by(TASK.c.due_date, TASK.c.case_id)
    )


def digests_written(key: str) -> Select[Any]:
    """The workers who already have today's digest, through the digests' partial index."""
    return select(OUTBOX.c.worker_id).where(text(DIGESTS), OUTBOX.c.rule == key)


def missing_notices(since: datetime) -> Select[Any]:
    """'Mangler' notices fired from `since` on, with their case, citizen and workers. The
    partial index's condition is repeated word for word: SQLite uses it only then."""
    return (
        select(
            TIMER.c.case_id,
            TIMER.c.rule,
            TIMER.c.occurrence,
            TIMER.c.due_date,
            TIMER.c.drejebog_version_id,
            CASE.c.runtime,
            CITIZEN.c.name,
            ASSIGNMENT.c.worker_id,
        )
        .join(CASE, CASE.c.id == TIMER.c.case_id)
        .join(CITIZEN, CITIZEN.c.id == CASE.c.citizen_id)
        .join(ASSIGNMENT, ASSIGNMENT.c.case_id == TIMER.c.case_id)
        .where(text(MISSING_NOTICES), TIMER.c.fired_at >= since, CASE.c.closed_at.is_(None))
        .order_by(TIMER.c.fired_at.desc(), TIMER.c.case_id)
    )


class SqlDigestUnitOfWork(SqlUnitOfWork):
    def __enter__(self) -> SqlDigestUnitOfWork:
        super().__enter__()
        return self

    def drejebog_versions(self) -> dict[int, Drejebog]:
        return {key: self.drejebog_version(key) for key in self.drejebog_version_keys()}

    def tasks_due(self, today: date) -> list[DueTask]:
        return [
            DueTask(r.worker_id, r.case_id, r.title, r.due_date, r.name)
            for r in self.connection.execute(tasks_due(today))
        ]

    def missing_notices(self, since: datetime) -> list[MissingNotice]:
        return [
            MissingNotice(
                case_id=r.case_id,
                rule=r.rule,
                occurrence=r.occurrence,
                due_date=r.due_date,
                version_key=r.drejebog_version_id,
                runtime=r.runtime,
                citizen=r.name,
                worker_id=r.worker_id,
            )
            for r in self.connection.execute(missing_notices(since))
        ]

    def digests_written(self, rule: str) -> set[int]:
        return set(self.connection.execute(digests_written(rule)).scalars())

    def active_staff(self) -> list[StaffMember]:
        rows = self.connection.execute(
            select(WORKER).where(WORKER.c.active.is_(True)).order_by(WORKER.c.id)
        )
        return [staff_member(r._mapping) for r in rows]

    def write_digests(self, rows: Sequence[OutboxRow]) -> None:
        self.connection.execute(
            OUTBOX.insert(), [{**row, "attempts": 0, "last_error": ""} for row in rows]
        )
