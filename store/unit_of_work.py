"""The SQL implementation of the app's ports (CaseUnitOfWork, FiringUnitOfWork): one
instance, one transaction.

The hot path's statements are hand-written (store/sql.py) and run on the driver's cursor;
the rest is SQLAlchemy Core. Driver errors become the engine's errors through
store/driver_errors.py, naming the cases this unit of work read or wrote.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, insert, select
from sqlalchemy.exc import DBAPIError

from drejebog.app.ports import AppliedEvent, DueTimer, HistoryNote, OutboxRow, StoredCase
from drejebog.app.recipients import Directory
from drejebog.engine.codec import snapshot_from_json
from drejebog.engine.cpr import InvalidCpr, parse_cpr
from drejebog.engine.errors import NotFound, StoreError
from drejebog.engine.model import Drejebog
from drejebog.engine.runtime import Step
from drejebog.engine.shown import shown_name
from drejebog.store import firing_store, sql
from drejebog.store.drejebog_cache import DrejebogCache
from drejebog.store.driver_errors import translate, translating
from drejebog.store.fastsql import fetch_all, fetch_one
from drejebog.store.step_writes import StepWrites
from drejebog.store.tables import ASSIGNMENT, CASE, CITIZEN, HISTORY, VERSION, WORKER

_APPLIED_EVENT = select(HISTORY.c.case_id, HISTORY.c.event).where(
    HISTORY.c.event_id == bindparam("b_event_id")
)


_MAX_KEY = 2**31 - 1  # the id columns are INTEGER: a larger number is no case on any database


def case_key(case_id: str) -> int:
    text = str(case_id).strip().removeprefix("S").removeprefix("s")
    if not (text.isascii() and text.isdigit()):
        raise NotFound("sag", shown_name(str(case_id)), " (et sagsnummer er et tal, fx 17)")
    if len(text) > 10 or int(text) > _MAX_KEY:
        raise NotFound("sag", shown_name(str(case_id)))
    return int(text)


class SqlUnitOfWork:
    def __init__(self, engine: Engine, cache: DrejebogCache) -> None:
        self._engine = engine
        self._cache = cache
        self._database = str(engine.url)  # rendering the URL costs ~10 µs: once, not per case
        self._connection: Connection | None = None
        self._cases: set[str] = set()  # the cases read or written: an error names them

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            raise RuntimeError("SqlUnitOfWork must be used in a with-block")
        return self._connection

    def __enter__(self) -> SqlUnitOfWork:
        try:
            self._connection = self._engine.connect()
            self._connection.begin()
        except DBAPIError as exc:
            raise StoreError(f"databasen kan ikke nås: {exc.orig}", retryable=True) from exc
        return self

    def __exit__(self, *exc_info: object) -> None:
        connection = self._connection
        self._connection = None
        self._cases = set()
        if connection is None:
            return
        try:
            if connection.in_transaction():
                connection.rollback()
        finally:
            connection.close()

    def commit(self) -> None:
        try:
            self.connection.commit()
        except DBAPIError as exc:
            raise translate(exc, self._cases) from exc

    # -- drejebøger ------------------------------------------------------------------------

    def drejebog_version(self, version_key: int) -> Drejebog:
        known = self._cache.by_key(self._database, version_key)
        if known is not None:
            return known
        # read while a batch is being fired (a version not yet in the cache): a driver error
        # here must reach the sweep as ours, so it falls back to one timer at a time
        with translating(lambda: self._cases):
            row = self.connection.execute(
                select(VERSION.c.content_hash, VERSION.c.source_name, VERSION.c.source_text).where(
                    VERSION.c.id == version_key
                )
            ).one()
        drejebog = self._cache.get(row.content_hash, row.source_name, row.source_text)
        self._cache.remember_key(self._database, version_key, drejebog)
        return drejebog

    def drejebog_version_keys(self) -> list[int]:
        return list(self.connection.execute(select(VERSION.c.id).order_by(VERSION.c.id)).scalars())

    def drejebog_by_version(self, drejebog_id: str, version: str) -> tuple[int, Drejebog]:
        row = self.connection.execute(
            select(VERSION.c.id).where(
                VERSION.c.drejebog_id == drejebog_id, VERSION.c.version == version
            )
        ).first()
        if row is None:
            versions = self.connection.execute(
                select(VERSION.c.version)
                .where(VERSION.c.drejebog_id == drejebog_id)
                .order_by(VERSION.c.id)
            ).scalars()
            known = ", ".join(versions) or "ingen"
            raise NotFound("version", f"{drejebog_id} {version}", f" (indlæste versioner: {known})")
        return row.id, self.drejebog_version(row.id)

    def running_cases(self, drejebog_id: str) -> list[tuple[str, int, str]]:
        rows = self.connection.execute(
            select(CASE.c.id, CASE.c.drejebog_version_id, CASE.c.state)
            .where(CASE.c.drejebog_id == drejebog_id, CASE.c.closed_at.is_(None))
            .order_by(CASE.c.id)
        )
        return [(str(r.id), r.drejebog_version_id, r.state) for r in rows]

    def latest_drejebog(self, drejebog_id: str) -> tuple[int, Drejebog]:
        row = self.connection.execute(
            select(VERSION.c.id)
            .where(VERSION.c.drejebog_id == drejebog_id)
            .order_by(VERSION.c.id.desc())
            .limit(1)
        ).first()
        if row is None:
            known = self.connection.execute(select(VERSION.c.drejebog_id).distinct()).scalars()
            names = ", ".join(sorted(known)) or "ingen; kør 'drejebog load workflows/'"
            raise NotFound("drejebog", drejebog_id, f" (indlæste drejebøger: {names})")
        return row.id, self.drejebog_version(row.id)

    # -- cases -----------------------------------------------------------------------------

    def citizen_id(self, citizen_ref: str) -> tuple[int, str]:
        try:
            cpr = parse_cpr(citizen_ref).formatted
        except InvalidCpr as exc:
            raise NotFound("borger", "?", f": {exc}") from exc
        row = self.connection.execute(
            select(CITIZEN.c.id, CITIZEN.c.name).where(CITIZEN.c.cpr == cpr)
        ).first()
        if row is None:
            raise NotFound("borger", parse_cpr(cpr).masked, " (opret borgeren først)")
        return row.id, row.name

    def create_case(
        self, citizen_ref: str, version_key: int, drejebog_id: str, at: datetime
    ) -> tuple[str, str]:
        citizen, name = self.citizen_id(citizen_ref)
        result = self.connection.execute(
            insert(CASE).values(
                citizen_id=citizen,
                drejebog_id=drejebog_id,
                drejebog_version_id=version_key,
                state="",
                facts={},
                runtime={},
                opened_at=at,
                entered_at=at,
                lock_version=0,
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        self._cases.add(str(key[0]))
        return str(key[0]), name

    def worker_id(self, handle: str) -> int:
        row = self.connection.execute(select(WORKER.c.id).where(WORKER.c.handle == handle)).first()
        if row is None:
            raise NotFound("medarbejder", handle, " (se 'drejebog worker list')")
        return int(row.id)

    def assign(self, case_id: str, role: str, worker_ref: str) -> None:
        key = case_key(case_id)
        worker = self.worker_id(worker_ref)
        self.connection.execute(
            delete(ASSIGNMENT).where(ASSIGNMENT.c.case_id == key, ASSIGNMENT.c.role == role)
        )
        self.connection.execute(insert(ASSIGNMENT).values(case_id=key, role=role, worker_id=worker))

    def assignee(self, case_id: str, role: str) -> str | None:
        return self.connection.execute(
            select(WORKER.c.handle)
            .join(ASSIGNMENT, ASSIGNMENT.c.worker_id == WORKER.c.id)
            .where(ASSIGNMENT.c.case_id == case_key(case_id), ASSIGNMENT.c.role == role)
        ).scalar()

    def load_case(self, case_id: str) -> StoredCase:
        key = case_key(case_id)
        self._cases.add(str(key))
        try:
            row = fetch_one(self.connection, sql.LOAD_CASE, {"key": key})
        except DBAPIError as exc:
            raise translate(exc, [key]) from exc
        if row is None:
            raise NotFound("sag", str(case_id))
        return self._stored(key, row)

    def load_cases(self, keys: Collection[int], lock: bool = False) -> dict[int, StoredCase]:
        """Several cases in one query; with `lock`, PostgreSQL holds their rows until commit
        (a lock wait that times out is a ConcurrencyConflict naming the cases)."""
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        self._cases.update(map(str, wanted))
        query = sql.load_cases(len(wanted), lock and self.connection.dialect.name == "postgresql")
        params = {f"k{i}": key for i, key in enumerate(wanted)}
        names = [name for name, _ in query.columns]
        with translating(wanted):
            rows = fetch_all(self.connection, query, params)
        return {row[0]: self._stored(row[0], dict(zip(names, row, strict=True))) for row in rows}

    def _stored(self, key: int, row: Mapping[Any, Any]) -> StoredCase:
        drejebog = self.drejebog_version(row["drejebog_version_id"])
        snapshot = snapshot_from_json(
            drejebog,
            str(key),
            row["state"],
            row["facts"],
            row["runtime"],
            row["entered_at"],
            row["citizen_name"],
        )
        return StoredCase(snapshot, drejebog, row["drejebog_version_id"], row["lock_version"])

    def applied_event(self, event_id: str) -> AppliedEvent | None:
        row = self.connection.execute(_APPLIED_EVENT, {"b_event_id": event_id}).first()
        return AppliedEvent(str(row.case_id), row.event) if row is not None else None

    def save_step(
        self, case: StoredCase, step: Step, note: HistoryNote, version_key: int | None = None
    ) -> None:
        writes = self.step_writes()
        writes.add(case_key(step.case.id), case, step, note, version_key or case.version_key)
        writes.flush()

    def step_writes(self) -> StepWrites:
        return StepWrites(self.connection, self.drejebog_version)

    # -- the sweep (store/firing_store.py) -----------------------------------------------------

    def claim_due(
        self, now: datetime, limit: int, passing_over: Collection[int] = ()
    ) -> list[DueTimer]:
        return firing_store.claim_due(self.connection, now, limit, passing_over)

    def mark_fired(self, claimed: Sequence[DueTimer], now: datetime) -> list[DueTimer]:
        return firing_store.mark_fired(self.connection, claimed, now)

    def directory(self, case_keys: Collection[int]) -> Directory:
        return firing_store.load_directory(self.connection, case_keys)

    def write_outbox(self, rows: Sequence[OutboxRow]) -> None:
        firing_store.write_outbox(self.connection, rows)

    def next_due(self) -> datetime | None:
        return firing_store.next_due(self.connection)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        with translating(lambda: self._cases):
            nested = self.connection.begin_nested()
        try:
            yield
        except BaseException:
            nested.rollback()
            raise
        nested.commit()
