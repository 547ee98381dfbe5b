"""The outbox, the inbox and the daily digest in memory: the `Outbox`, `InboxStore` and
`DigestUnitOfWork` ports of app/ports.py on a MemoryStore (store/memory.py says what the
in-memory store keeps of a database's behaviour and what it does not). Each reads and writes
the rows the SQL store's statements do (store/outbox.py, store/reads.py, store/digest.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime

from drejebog.app.ports import (
    ClaimedMessage,
    DueTask,
    InboxMessage,
    MissingNotice,
    OutboxEntry,
    OutboxRow,
    Retry,
)
from drejebog.app.recipients import StaffMember
from drejebog.engine.model import Drejebog
from drejebog.store.memory import MemoryStore, MemoryUnitOfWork
from drejebog.store.memory_tables import Row
from drejebog.store.rows import claimed_message, inbox_message, outbox_entry, staff_member


class MemoryOutbox:
    """The outbox's delivery side; every call is one transaction of its own."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    def claim(self, now: datetime, until: datetime, limit: int) -> list[ClaimedMessage]:
        with self._store.unit_of_work() as uow:
            due = [
                row
                for row in uow.table("outbox").where(status="pending")
                if row["next_attempt_at"] <= now
                and (row["claimed_until"] is None or row["claimed_until"] < now)
            ]
            due.sort(key=lambda row: (row["next_attempt_at"], row["id"]))
            for row in due[:limit]:
                uow.update("outbox", row, claimed_until=until)
            uow.commit()
        return [claimed_message(row) for row in due[:limit]]

    def mark_sent(self, message_id: int, now: datetime) -> None:
        with self._store.unit_of_work() as uow:
            row = uow.table("outbox").rows[message_id]
            uow.update(
                "outbox",
                row,
                status="sent",
                sent_at=now,
                claimed_until=None,
                attempts=row["attempts"] + 1,
                last_error="",
            )
            uow.commit()

    def record_failure(self, message_id: int, error: str, plan: Callable[[int], Retry]) -> Retry:
        with self._store.unit_of_work() as uow:
            row = uow.table("outbox").rows[message_id]
            retry = plan(row["attempts"] + 1)
            uow.update(
                "outbox",
                row,
                attempts=retry.attempts,
                last_error=error,
                claimed_until=None,
                status="dead" if retry.dead else "pending",
                next_attempt_at=retry.next_attempt_at,
            )
            uow.commit()
        return retry

    def retry_dead(self, now: datetime, message_id: int | None = None) -> int:
        with self._store.unit_of_work() as uow:
            dead = uow.table("outbox").where(status="dead")
            dead = [row for row in dead if message_id is None or row["id"] == message_id]
            for row in dead:
                uow.update(
                    "outbox",
                    row,
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                    claimed_until=None,
                )
            uow.commit()
        return len(dead)

    def undelivered(self, dead_only: bool) -> list[OutboxEntry]:
        return [
            outbox_entry(row)
            for row in self._store.tables["outbox"].where()
            if row["channel"] != "inbox"
            and (row["status"] == "dead" if dead_only else row["status"] != "sent")
        ]


class MemoryInbox:
    """A worker's inbox (the `InboxStore` port)."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    def worker_key(self, handle: str) -> int | None:
        return self._store.worker_key(handle)

    def inbox(self, worker_key: int, unread_only: bool) -> list[InboxMessage]:
        rows = [
            row
            for row in self._store.tables["outbox"].where(worker_id=worker_key, channel="inbox")
            if row["read_at"] is None or not unread_only
        ]
        rows.sort(key=lambda row: (-row["created_at"].timestamp(), row["id"]))
        return [inbox_message(row) for row in rows]

    def mark_read(self, worker_key: int, message_id: int, at: datetime) -> bool:
        with self._store.unit_of_work() as uow:
            row = uow.table("outbox").rows.get(message_id)
            if row is None or (row["worker_id"], row["channel"]) != (worker_key, "inbox"):
                return False
            uow.update("outbox", row, read_at=at)
            uow.commit()
        return True


class MemoryDigestUnitOfWork(MemoryUnitOfWork):
    """What the daily digest reads and writes: one instance, one transaction."""

    def drejebog_versions(self) -> dict[int, Drejebog]:
        return {
            row["id"]: self.drejebog_version(row["id"]) for row in self._rows("drejebog_version")
        }

    def tasks_due(self, today: date) -> list[DueTask]:
        """Open tasks due on or before `today` with a worker in their role, soonest first."""
        assigned = {(a["case_id"], a["role"]): a["worker_id"] for a in self._rows("assignment")}
        due = [
            task
            for task in self._rows("task")
            if task["status"] == "open"
            and task["due_date"] is not None
            and task["due_date"] <= today
            and (task["case_id"], task["role"]) in assigned
        ]
        due.sort(key=lambda task: (task["due_date"], task["case_id"], task["id"]))
        return [
            DueTask(
                worker_id=assigned[(task["case_id"], task["role"])],
                case_id=task["case_id"],
                title=task["title"],
                due_date=task["due_date"],
                citizen=self._citizen(task["case_id"])["name"],
            )
            for task in due
        ]

    def missing_notices(self, since: datetime) -> list[MissingNotice]:
        """'Mangler' notices fired from `since` on, of open cases, newest first: one per
        worker assigned to the case."""
        cases = self.table("case").rows
        fired = [
            timer
            for timer in self._rows("timer")
            if timer["kind"] == "checkin_missing"
            and timer["status"] == "fired"
            and timer["fired_at"] >= since
            and cases[timer["case_id"]]["closed_at"] is None
        ]
        fired.sort(key=lambda timer: (-timer["fired_at"].timestamp(), timer["case_id"]))
        assignments = self._rows("assignment")
        return [
            MissingNotice(
                case_id=timer["case_id"],
                rule=timer["rule"],
                occurrence=timer["occurrence"],
                due_date=timer["due_date"],
                version_key=timer["drejebog_version_id"],
                runtime=cases[timer["case_id"]]["runtime"],
                citizen=self._citizen(timer["case_id"])["name"],
                worker_id=assignment["worker_id"],
            )
            for timer in fired
            for assignment in assignments
            if assignment["case_id"] == timer["case_id"]
        ]

    def digests_written(self, rule: str) -> set[int]:
        return {row["worker_id"] for row in self.table("outbox").where(kind="digest", rule=rule)}

    def active_staff(self) -> list[StaffMember]:
        return [staff_member(row) for row in self.table("worker").where(active=True)]

    def write_digests(self, rows: Sequence[OutboxRow]) -> None:
        for row in rows:
            self.insert("outbox", {**row})

    def _rows(self, table: str) -> list[Row]:
        return self.table(table).where()

    def _citizen(self, case_key: int) -> Row:
        return self.table("citizen").rows[self.table("case").rows[case_key]["citizen_id"]]
