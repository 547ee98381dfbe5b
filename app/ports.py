"""What the case service needs from storage, as a protocol the store implements.

One `CaseUnitOfWork` is one transaction: everything written through it lands together on
`commit()`, or not at all. The SQL store (store/) implements it for SQLite and PostgreSQL;
tests may implement it in memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Protocol

from drejebog.engine.model import Drejebog
from drejebog.engine.runtime import CaseSnapshot, Step


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
