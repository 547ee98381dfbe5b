"""A change made from a page holds the case as the worker saw it: the form carries the case's
lock version, and the change is refused (ConcurrencyConflict, nothing written) when the case
has changed since, even if the change would still be allowed now.

`AsSeen` wraps the case service's unit of work: loading that case at another lock version is
a conflict at once; a change made after the load is one at the save, whose UPDATE expects the
version loaded (app/ports.py, `save_step`). Both in the change's own transaction: no window.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Self

from drejebog.app.ports import (
    AppliedEvent,
    CaseUnitOfWork,
    HistoryNote,
    OutboxRow,
    StoredCase,
)
from drejebog.app.recipients import Directory
from drejebog.engine.errors import ConcurrencyConflict
from drejebog.engine.model import Drejebog
from drejebog.engine.runtime import Step


class AsSeen:
    """A CaseUnitOfWork that expects case `case_key` at `lock_version`."""

    def __init__(self, inner: CaseUnitOfWork, case_key: int, lock_version: int) -> None:
        self._inner = inner
        self._case_key = case_key
        self._lock_version = lock_version

    def __enter__(self) -> Self:
        self._inner.__enter__()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._inner.__exit__(*exc_info)

    def load_case(self, case_id: str) -> StoredCase:
        stored = self._inner.load_case(case_id)
        if int(stored.snapshot.id) == self._case_key and stored.lock_version != self._lock_version:
            raise ConcurrencyConflict(stored.snapshot.id)
        return stored

    # -- the rest as the wrapped unit of work --------------------------------------------------

    def commit(self) -> None:
        self._inner.commit()

    def latest_drejebog(self, drejebog_id: str) -> tuple[int, Drejebog]:
        return self._inner.latest_drejebog(drejebog_id)

    def create_case(
        self, citizen_ref: str, version_key: int, drejebog_id: str, at: datetime
    ) -> tuple[str, str]:
        return self._inner.create_case(citizen_ref, version_key, drejebog_id, at)

    def assign(self, case_id: str, role: str, worker_ref: str) -> None:
        self._inner.assign(case_id, role, worker_ref)

    def assignee(self, case_id: str, role: str) -> str | None:
        return self._inner.assignee(case_id, role)

    def worker_id(self, handle: str) -> int:
        return self._inner.worker_id(handle)

    def drejebog_version_keys(self) -> list[int]:
        return self._inner.drejebog_version_keys()

    def drejebog_version(self, version_key: int) -> Drejebog:
        return self._inner.drejebog_version(version_key)

    def applied_event(self, event_id: str) -> AppliedEvent | None:
        return self._inner.applied_event(event_id)

    def save_step(
        self, case: StoredCase, step: Step, note: HistoryNote, version_key: int | None = None
    ) -> None:
        self._inner.save_step(case, step, note, version_key)

    def drejebog_by_version(self, drejebog_id: str, version: str) -> tuple[int, Drejebog]:
        return self._inner.drejebog_by_version(drejebog_id, version)

    def running_cases(self, drejebog_id: str) -> list[tuple[str, int, str]]:
        return self._inner.running_cases(drejebog_id)

    def directory(self, case_keys: Collection[int]) -> Directory:
        return self._inner.directory(case_keys)

    def savepoint(self) -> AbstractContextManager[None]:
        return self._inner.savepoint()

    def write_outbox(self, rows: Sequence[OutboxRow]) -> None:
        self._inner.write_outbox(rows)


def as_seen(
    unit_of_work: Callable[[], CaseUnitOfWork], case_key: int, lock_version: int | None
) -> Callable[[], CaseUnitOfWork]:
    """The unit-of-work factory for a change made from a page (None: no version to hold)."""
    if lock_version is None:
        return unit_of_work
    return lambda: AsSeen(unit_of_work(), case_key, lock_version)
