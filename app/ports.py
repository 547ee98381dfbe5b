"""What the use cases need from storage, as protocols the store implements.

One unit of work is one transaction: everything written through it lands together on
`commit()`, or not at all. `CaseUnitOfWork` is what the case service needs (open a case,
apply an event, migrate); `FiringUnitOfWork` is what the daemon's sweep needs (claim due
timers, fire them, write their notifications). The SQL store (store/) implements both for
SQLite and PostgreSQL; an in-memory store implements them for tests.

Errors: an implementation raises the engine's errors, never a driver's: `ConcurrencyConflict`
for a lost race (a stale lock version, a lock timeout, a deadlock, a serialization failure:
trying again can help) and `StoreError` for a write the database refuses or a failure.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Protocol, TypedDict

from drejebog.app.recipients import Directory
from drejebog.engine.model import Drejebog
from drejebog.engine.runtime import CaseSnapshot, Step
from drejebog.engine.timers import Timer


@dataclass(frozen=True)
class StoredCase:
    snapshot: CaseSnapshot
    drejebog: Drejebog
    version_key: int  # the store's id of the drejebog version the case runs on
    lock_version: int  # optimistic lock: the save fails if someone saved in between


@dataclass(frozen=True)
class HistoryNote:
    """One append-only history row: who, when, what, from -> to, and the data."""

    at: datetime
    actor: str
    kind: str  # åbnet, hændelse, timer, tildeling, migrering
    event: str | None = None
    event_id: str | None = None
    from_state: str | None = None
    to_state: str | None = None
    data: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class AppliedEvent:
    case_id: str
    event: str | None


class CaseUnitOfWork(Protocol):
    def __enter__(self) -> CaseUnitOfWork: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed."""

    def commit(self) -> None: ...

    def latest_drejebog(self, drejebog_id: str) -> tuple[int, Drejebog]:
        """The newest stored version: (version key, drejebog). Raises NotFound."""
        ...

    def create_case(
        self, citizen_ref: str, version_key: int, drejebog_id: str, at: datetime
    ) -> tuple[str, str]:
        """Insert an empty case row for the citizen; returns (case id, citizen name)."""
        ...

    def assign(self, case_id: str, role: str, worker_ref: str) -> None:
        """Assign a worker (by handle) to a role on the case. Raises NotFound."""
        ...

    def load_case(self, case_id: str) -> StoredCase:
        """The case as stored. Raises NotFound."""
        ...

    def applied_event(self, event_id: str) -> AppliedEvent | None: ...

    def save_step(
        self, case: StoredCase, step: Step, note: HistoryNote, version_key: int | None = None
    ) -> None:
        """Write the step: case row (only if lock_version still matches, else raise
        ConcurrencyConflict), timers cancelled and created, tasks, one history row.
        `version_key` moves the case onto another stored drejebog version (a migration)."""
        ...

    def drejebog_by_version(self, drejebog_id: str, version: str) -> tuple[int, Drejebog]:
        """A stored version by its name. Raises NotFound."""
        ...

    def running_cases(self, drejebog_id: str) -> list[tuple[str, int, str]]:
        """(case id, version key, state) of every open case on any version of the drejebog."""
        ...


# -- the daemon's sweep -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DueTimer:
    """A claimed timer: its row id, the drejebog version it was planned under, the timer."""

    id: int
    version_key: int
    timer: Timer

    @property
    def case_key(self) -> int:
        return int(self.timer.case_id)


class OutboxRow(TypedDict):
    """One notification to write to the outbox (the inbox's are written as already sent)."""

    case_id: int | None  # None: a daily digest
    timer_id: int | None
    kind: str
    rule: str
    role: str
    channel: str  # inbox, email, webhook
    recipient: str  # worker handle, e-mail address or phone
    worker_id: int | None
    subject: str
    body_text: str
    created_at: datetime
    status: str  # sent (inbox) or pending
    sent_at: datetime | None
    next_attempt_at: datetime


class StepWriter(Protocol):
    """Collects the writes of several Steps and writes them together on `flush()`."""

    def add(
        self, key: int, case: StoredCase, step: Step, note: HistoryNote, version_key: int
    ) -> None:
        """Queue one Step of the case with store key `key`; `case` is the case as the previous
        Step of the same case left it (its lock_version one higher), `version_key` the stored
        drejebog version the case runs on after the Step."""
        ...

    def flush(self) -> None:
        """Write what was queued. Raises ConcurrencyConflict if a case changed meanwhile."""
        ...


class FiringUnitOfWork(Protocol):
    """What the sweep needs from storage: one instance, one transaction."""

    def __enter__(self) -> FiringUnitOfWork: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed."""

    def commit(self) -> None: ...

    def claim_due(
        self, now: datetime, limit: int, passing_over: Collection[int] = ()
    ) -> list[DueTimer]:
        """Up to `limit` pending timers due at or before `now`, soonest first (then by id),
        leaving out the timer ids in `passing_over`. On a shared database the claimed rows
        are held until the transaction ends, and rows another sweep holds are skipped."""
        ...

    def mark_fired(self, claimed: Sequence[DueTimer], now: datetime) -> list[DueTimer]:
        """Mark the claimed timers fired at `now`, only those still pending; returns those
        (in the order given)."""
        ...

    def load_case(self, case_id: str) -> StoredCase:
        """The case as stored. Raises NotFound."""
        ...

    def load_cases(self, keys: Collection[int], lock: bool = False) -> dict[int, StoredCase]:
        """Several cases by store key; with `lock`, held until the transaction ends."""
        ...

    def directory(self, case_keys: Collection[int]) -> Directory:
        """Who can be reached on these cases: assignments, staff and their leaders, the
        first active leder, the citizens' contact details."""
        ...

    def step_writes(self) -> StepWriter: ...

    def save_step(
        self, case: StoredCase, step: Step, note: HistoryNote, version_key: int | None = None
    ) -> None:
        """One Step written at once (as `CaseUnitOfWork.save_step`)."""
        ...

    def write_outbox(self, rows: Sequence[OutboxRow]) -> None:
        """Insert notifications. A second message for the same (timer, recipient, channel)
        is refused (StoreError): a timer's message is written once."""
        ...

    def drejebog_version(self, version_key: int) -> Drejebog:
        """The stored drejebog version with this key."""
        ...

    def savepoint(self) -> AbstractContextManager[None]:
        """A nested transaction: kept when the block ends normally, rolled back (and the
        exception passed on) when it raises."""
        ...

    def next_due(self) -> datetime | None:
        """The earliest due instant of any pending timer (None: nothing is pending)."""
        ...
