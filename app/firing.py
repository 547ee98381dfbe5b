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

from drejebog.app.cases import runtime_for
from drejebog.app.notices import Channels, Notices, compose, compose_task_messages
from drejebog.app.ports import DueTimer, FiringUnitOfWork, HistoryNote, OutboxRow, StoredCase
from drejebog.app.recipients import Directory
from drejebog.engine.errors import ConcurrencyConflict, StoreError
from drejebog.engine.model import Drejebog
from drejebog.engine.runtime import Step

__all__ = ["Channels", "DueTimer", "SweepReport", "sweep"]

log = logging.getLogger(__name__)


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


def sweep(
    unit_of_work: Callable[[], FiringUnitOfWork],
    now: datetime,
    channels: Channels,
    batch_size: int = 500,
) -> SweepReport:
    """Fire every timer due at `now`, in batches; returns what was done.

    A batch that fails as a whole (a case changed by an event meanwhile, a lock timeout, a
    row the database refuses) is rolled back and fired one timer at a time instead."""
    report = SweepReport()
    started = time.perf_counter()
    refused: set[int] = set()  # timers the database refused in this sweep: not retried in it
    while True:
        batch: SweepReport | None = None
        with unit_of_work() as uow:
            claimed = uow.claim_due(now, batch_size, refused)
            if not claimed:
                break
            try:
                batch = fire_batch(uow, claimed, now, channels)
                uow.commit()
            except (ConcurrencyConflict, StoreError) as exc:
                log.info("en batch på %d timere fyres én ad gangen: %s", len(claimed), exc)
                batch = None
        if batch is None:
            batch = fire_one_by_one(unit_of_work, now, channels, batch_size, refused)
        report.merge(batch)
        if batch.fired == 0:
            break  # what is left is contested: the next sweep tries again
    report.seconds = time.perf_counter() - started
    return report


def fire_batch(
    uow: FiringUnitOfWork, claimed: list[DueTimer], now: datetime, channels: Channels
) -> SweepReport:
    """Fire a claimed batch in the unit of work's transaction (the caller commits)."""
    report = SweepReport()
    mine = uow.mark_fired(claimed, now)
    report.skipped = len(claimed) - len(mine)
    keys = {due.case_key for due in mine}
    cases = uow.load_cases(keys, lock=True)
    directory = uow.directory(keys)
    writes = uow.step_writes()
    outbox: list[OutboxRow] = []
    for due in mine:  # in due order: a case's second timer sees what its first one did
        key = due.case_key
        stored = cases[key]
        step, notices = _fire(uow, directory, stored, due, now, channels)
        note = _note(notices, due, stored, step, now)
        writes.add(key, stored, step, note, stored.version_key)
        cases[key] = StoredCase(
            snapshot=step.case,
            drejebog=stored.drejebog,
            version_key=stored.version_key,
            lock_version=stored.lock_version + 1,
        )
        outbox.extend(notices.rows)
        report.count(due.timer.kind.value, len(notices.sent))
    writes.flush()
    uow.write_outbox(outbox)
    return report


def fire_one_by_one(
    unit_of_work: Callable[[], FiringUnitOfWork],
    now: datetime,
    channels: Channels,
    batch_size: int,
    refused: set[int],
) -> SweepReport:
    """The careful path: each timer in its own savepoint. One that is contested or that the
    database refuses is skipped (and logged): it stays due, and the rest still fire."""
    report = SweepReport()
    with unit_of_work() as uow:
        for due in uow.claim_due(now, batch_size, refused):
            try:
                with uow.savepoint():
                    sent = fire_one(uow, due, now, channels)
            except (ConcurrencyConflict, StoreError) as exc:
                report.skipped += 1
                if not isinstance(exc, ConcurrencyConflict):
                    refused.add(due.id)
                log.warning(
                    "tidspunkt %d (sag %s, %s) blev ikke fyret: %s",
                    due.id,
                    due.timer.case_id,
                    due.timer.rule,
                    exc,
                )
                continue
            if sent is None:
                report.skipped += 1
            else:
                report.count(due.timer.kind.value, sent)
        uow.commit()
    return report


def fire_one(uow: FiringUnitOfWork, due: DueTimer, now: datetime, channels: Channels) -> int | None:
    """Fire one claimed timer; returns the number of messages written, None if it was gone."""
    if not uow.mark_fired([due], now):
        return None  # no longer pending
    stored = uow.load_case(due.timer.case_id)
    directory = uow.directory([due.case_key])
    step, notices = _fire(uow, directory, stored, due, now, channels)
    uow.save_step(stored, step, _note(notices, due, stored, step, now))
    uow.write_outbox(notices.rows)
    return len(notices.sent)


def _fire(
    uow: FiringUnitOfWork,
    directory: Directory,
    stored: StoredCase,
    due: DueTimer,
    now: datetime,
    channels: Channels,
) -> tuple[Step, Notices]:
    timer = due.timer
    drejebog: Drejebog
    if due.version_key == stored.version_key:
        drejebog = stored.drejebog
        step = runtime_for(drejebog).fire(stored.snapshot, timer, now)
    else:
        # due before a migration: it fires once under the old version, without follow-ups
        drejebog = uow.drejebog_version(due.version_key)
        step = runtime_for(drejebog).fire_superseded(stored.snapshot, timer, now)
    # the timer's own notifications go to its records; a task a `mangler_i_træk` rung
    # creates sends the task's message, as a task created by an event does
    kind = timer.kind.value
    own = [r for r in step.records if r.kind == kind]
    notices = compose(directory, stored, drejebog, timer, due.id, own, now, channels)
    if any(r.kind == "task" for r in step.records):
        tasks = compose_task_messages(
            directory, drejebog, due.case_key, step.case, step, now, channels
        )
        notices.rows.extend(tasks.rows)
        notices.extra = {**notices.extra, **tasks.history_data()}
    return step, notices


def _note(
    notices: Notices, due: DueTimer, stored: StoredCase, step: Step, now: datetime
) -> HistoryNote:
    """The history row of a fired timer; for a duty that counts its misses, how many are
    missing in a row now, and what a `mangler_i_træk` rung set and created."""
    more: dict[str, object] = {}
    counted = max((r.in_a_row for r in step.records), default=0) if step.records else 0
    if counted:
        more["i_træk"] = counted
    if step.case is not stored.snapshot:  # a reminder leaves the case as it was: no facts set
        changed = {
            name: value.isoformat() if hasattr(value, "isoformat") else value
            for name, value in step.case.facts.items()
            if stored.snapshot.facts.get(name) != value
        }
        if changed:
            more["sat"] = changed
    created = [r.name for r in step.records if r.kind == "task"]
    if created:
        more["opgaver"] = created
    more.update(notices.extra)
    return notices.history_note(due.timer, stored, now, more)
