"""Firing due timers, exactly once.

A sweep claims a bounded batch of due timers (PostgreSQL: FOR UPDATE SKIP LOCKED, so several
daemons share the work) and fires the batch inside one transaction with its consequences:
each timer is marked fired (only if still pending), its notifications are written to the
outbox, the next rung of its ladder or the next check-in occurrence is created, and the case
history records what was sent and what could not be. A crash before the commit leaves
everything as it was; the UNIQUE keys on timers and outbox rows make a second copy impossible.

The batch is read in a few queries (its cases, their assignments, workers and citizens) and
written with one executemany per table, so the cost per timer is the engine's own work and
the rendering, not round trips. If the batch loses a race (an event changed one of its cases
in between, a lock timed out), it is rolled back and fired again one timer at a time, each in
its own savepoint, so one contested case cannot hold back the others.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.exc import DBAPIError

from engine.errors import ConcurrencyConflict, StoreError
from engine.model import Drejebog
from engine.ports import StoredCase
from engine.runtime import Record, Step
from engine.service import runtime_for
from engine.timers import Timer, TimerKind
from store.notices import Channels, Notices, compose, write_outbox
from store.recipients import Directory
from store.tables import TIMER
from store.unit_of_work import SqlUnitOfWork

__all__ = ["Channels", "SweepReport", "claim_due", "sweep"]

log = logging.getLogger(__name__)

_MARK_FIRED = (
    update(TIMER)
    .where(TIMER.c.id.in_(bindparam("ids", expanding=True)), TIMER.c.status == "pending")
    .values(status="fired", fired_at=bindparam("now"))
    .returning(TIMER.c.id)
)


@dataclass
class SweepReport:
    fired: int = 0
    notifications: int = 0
    skipped: int = 0
    seconds: float = 0.0
    by_kind: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, notifications: int) -> None:
        self.fired += 1
        self.notifications += notifications
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1

    def merge(self, other: SweepReport) -> None:
        self.fired += other.fired
        self.notifications += other.notifications
        self.skipped += other.skipped
        for kind, count in other.by_kind.items():
            self.by_kind[kind] = self.by_kind.get(kind, 0) + count


def timer_from_row(row: Any) -> Timer:
    return Timer(
        due_at=row.due_at,
        case_id=str(row.case_id),
        rule=row.rule,
        occurrence=row.occurrence,
        step=row.step,
        kind=TimerKind(row.kind),
        roles=tuple(row.roles),
        due_date=row.due_date,
        index=row.idx,
        anchor=row.anchor,
        k=row.k,
    )


def claim_due(connection: Connection, now: datetime, limit: int) -> list[Any]:
    query = (
        select(TIMER)
        .where(TIMER.c.status == "pending", TIMER.c.due_at <= now)
        .order_by(TIMER.c.due_at, TIMER.c.id)
        .limit(limit)
    )
    if connection.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(connection.execute(query))


def sweep(
    unit_of_work: Callable[[], SqlUnitOfWork],
    now: datetime,
    channels: Channels,
    batch_size: int = 500,
) -> SweepReport:
    """Fire every timer due at `now`, in batches; returns what was done."""
    report = SweepReport()
    started = time.perf_counter()
    while True:
        batch: SweepReport | None = None
        with unit_of_work() as uow:
            rows = claim_due(uow.connection, now, batch_size)
            if not rows:
                break
            try:
                batch = fire_batch(uow, rows, now, channels)
                uow.commit()
            except (ConcurrencyConflict, StoreError, DBAPIError) as exc:
                log.info("en batch på %d timere fyres én ad gangen: %s", len(rows), exc)
                batch = None
        if batch is None:
            batch = fire_one_by_one(unit_of_work, now, channels, batch_size)
        report.merge(batch)
        if batch.fired == 0:
            break  # what is left is contested: the next sweep tries again
    report.seconds = time.perf_counter() - started
    return report


def fire_batch(
    uow: SqlUnitOfWork, rows: list[Any], now: datetime, channels: Channels
) -> SweepReport:
    """Fire a claimed batch in the unit of work's transaction (the caller commits)."""
    report = SweepReport()
    connection = uow.connection
    marked = set(
        connection.execute(_MARK_FIRED, {"ids": [r.id for r in rows], "now": now}).scalars()
    )
    mine = [row for row in rows if row.id in marked]
    report.skipped = len(rows) - len(mine)
    keys = {row.case_id for row in mine}
    cases = uow.load_cases(keys, lock=True)
    directory = Directory.load(connection, keys)
    writes = uow.step_writes()
    outbox: list[dict[str, Any]] = []
    for row in mine:  # in due order: a case's second timer sees what its first one did
        stored = cases[row.case_id]
        timer = timer_from_row(row)
        step, notices = _fire(uow, directory, stored, row, timer, now, channels)
        writes.add(
            row.case_id, stored, step, notices.history_note(timer, stored, now), stored.version_key
        )
        cases[row.case_id] = StoredCase(
            step.case, stored.drejebog, stored.version_key, stored.lock_version + 1
        )
        outbox.extend(notices.rows)
        report.count(row.kind, len(notices.sent))
    with uow.translating_errors("?"):
        writes.flush()
        write_outbox(connection, outbox)
    return report


def fire_one_by_one(
    unit_of_work: Callable[[], SqlUnitOfWork], now: datetime, channels: Channels, batch_size: int
) -> SweepReport:
    """The careful path: each timer in its own savepoint; a contested one is skipped."""
    report = SweepReport()
    with unit_of_work() as uow:
        for row in claim_due(uow.connection, now, batch_size):
            savepoint = uow.connection.begin_nested()
            try:
                sent = fire_one(uow, row, now, channels)
                savepoint.commit()
            except ConcurrencyConflict:
                savepoint.rollback()
                report.skipped += 1
                continue
            if sent is None:
                report.skipped += 1
            else:
                report.count(row.kind, sent)
        uow.commit()
    return report


def fire_one(uow: SqlUnitOfWork, row: Any, now: datetime, channels: Channels) -> int | None:
    """Fire one claimed timer; returns the number of messages written, None if it was gone."""
    connection = uow.connection
    marked = connection.execute(
        update(TIMER)
        .where(TIMER.c.id == row.id, TIMER.c.status == "pending")
        .values(status="fired", fired_at=now)
    )
    if marked.rowcount != 1:
        return None
    stored = uow.load_case(str(row.case_id))
    timer = timer_from_row(row)
    directory = Directory.load(connection, [row.case_id])
    step, notices = _fire(uow, directory, stored, row, timer, now, channels)
    uow.save_step(stored, step, notices.history_note(timer, stored, now))
    write_outbox(connection, notices.rows)
    return len(notices.sent)


def _fire(
    uow: SqlUnitOfWork,
    directory: Directory,
    stored: StoredCase,
    row: Any,
    timer: Timer,
    now: datetime,
    channels: Channels,
) -> tuple[Step, Notices]:
    drejebog: Drejebog
    if row.drejebog_version_id == stored.version_key:
        drejebog = stored.drejebog
        step = runtime_for(drejebog).fire(stored.snapshot, timer, now)
    else:
        # due before a migration: it fires once under the old version, without follow-ups
        drejebog = uow.drejebog_version(row.drejebog_version_id)
        _, rule = drejebog.rule(timer.rule)
        step = Step(case=stored.snapshot)
        for role in timer.roles or (None,):
            step.records.append(
                Record(
                    now,
                    timer.case_id,
                    timer.kind.value,
                    rule.name,
                    role,
                    stored.snapshot.state,
                    rule.title,
                    timer.due_date,
                    timer.step,
                )
            )
    notices = compose(directory, stored, drejebog, timer, row.id, step, now, channels)
    return step, notices
