"""The SQL implementation of the engine's CaseUnitOfWork: one instance, one transaction.

Hot path statements are SQLAlchemy Core (one event is a handful of indexed statements);
driver errors are translated into the engine's errors here.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from drejebog.app.ports import AppliedEvent, HistoryNote, StoredCase
from drejebog.engine.codec import snapshot_from_json
from drejebog.engine.cpr import InvalidCpr, parse_cpr
from drejebog.engine.errors import ConcurrencyConflict, NotFound, StoreError
from drejebog.engine.model import Drejebog
from drejebog.engine.runtime import Step
from drejebog.store.drejebog_cache import DrejebogCache
from drejebog.store.fastsql import FastQuery, fetch_all, fetch_one
from drejebog.store.step_writes import StepWrites
from drejebog.store.tables import ASSIGNMENT, CASE, CITIZEN, HISTORY, VERSION, WORKER

# The hot path's statements are built once: constructing and compiling a Core statement
# per call cost more than running it. Bind parameter names carry a b_ prefix where a column
# of the same name is also assigned.
_LOAD_CASE = FastQuery(
    """SELECT c.state, c.facts, c.runtime, c.entered_at, c.drejebog_version_id,
       c.lock_version, p.name
       FROM "case" c JOIN citizen p ON p.id = c.citizen_id WHERE c.id = :key""",
    [
        ("state", CASE.c.state.type),
        ("facts", CASE.c.facts.type),
        ("runtime", CASE.c.runtime.type),
        ("entered_at", CASE.c.entered_at.type),
        ("drejebog_version_id", CASE.c.drejebog_version_id.type),
        ("lock_version", CASE.c.lock_version.type),
        ("citizen_name", CITIZEN.c.name.type),
    ],
)
_LOAD_CASES_SQL = """SELECT c.id, c.state, c.facts, c.runtime, c.entered_at,
    c.drejebog_version_id, c.lock_version, p.name
    FROM "case" c JOIN citizen p ON p.id = c.citizen_id WHERE c.id IN ({keys})"""


@lru_cache(maxsize=64)
def _load_cases(count: int, lock: bool) -> FastQuery:
    """The batch query for `count` cases (a batch has one size, its last one another)."""
    sql = _LOAD_CASES_SQL.format(keys=", ".join(f":k{i}" for i in range(count)))
    if lock:  # in id order, so two daemons locking overlapping batches cannot deadlock
        sql += " ORDER BY c.id FOR UPDATE OF c"
    return FastQuery(sql, [("id", CASE.c.id.type), *_LOAD_CASE.columns])


_APPLIED_EVENT = select(HISTORY.c.case_id, HISTORY.c.event).where(
    HISTORY.c.event_id == bindparam("b_event_id")
)


def case_key(case_id: str) -> int:
    text = str(case_id).strip().removeprefix("S").removeprefix("s")
    if not text.isdigit():
        raise NotFound("sag", str(case_id), " (et sagsnummer er et tal, fx 17)")
    return int(text)


def is_conflict(exc: DBAPIError) -> bool:
    """A lost race with another writer: retrying the whole operation can succeed."""
    text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
    return any(
        marker in text
        for marker in ("database is locked", "could not serialize", "deadlock detected")
    )


def translate_driver_error(exc: Exception, case_id: str) -> Exception:
    """A driver error from the fast path as the engine's error."""
    text = str(exc).lower()
    if "event_id" in text:
        return ConcurrencyConflict(case_id)
    if any(m in text for m in ("database is locked", "could not serialize", "deadlock")):
        return ConcurrencyConflict(case_id)
    if type(exc).__name__ in ("IntegrityError", "UniqueViolation", "ForeignKeyViolation"):
        return StoreError(f"sag {case_id}: databasen afviste ændringen: {exc}")
    return StoreError(f"databasefejl: {exc}", retryable=True)


class SqlUnitOfWork:
    def __init__(self, engine: Engine, cache: DrejebogCache) -> None:
        self._engine = engine
        self._cache = cache
        self._database = str(engine.url)  # rendering the URL costs ~10 µs: once, not per case
        self._connection: Connection | None = None

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

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        connection = self._connection
        self._connection = None
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
        except OperationalError as exc:
            if is_conflict(exc):
                raise ConcurrencyConflict("?") from exc
            raise StoreError(f"databasefejl ved commit: {exc.orig}", retryable=True) from exc

    # -- drejebøger ------------------------------------------------------------------------

    def drejebog_version(self, version_key: int) -> Drejebog:
        known = self._cache.by_key(self._database, version_key)
        if known is not None:
            return known
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

    def load_case(self, case_id: str) -> StoredCase:
        key = case_key(case_id)
        row = fetch_one(self.connection, _LOAD_CASE, {"key": key})
        if row is None:
            raise NotFound("sag", str(case_id))
        return self._stored(key, row)

    def load_cases(self, keys: Collection[int], lock: bool = False) -> dict[int, StoredCase]:
        """Several cases in one query; with `lock`, PostgreSQL holds their rows until commit."""
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        query = _load_cases(len(wanted), lock and self.connection.dialect.name == "postgresql")
        params = {f"k{i}": key for i, key in enumerate(wanted)}
        names = [name for name, _ in query.columns]
        return {
            row[0]: self._stored(row[0], dict(zip(names, row, strict=True)))
            for row in fetch_all(self.connection, query, params)
        }

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
        with self.translating_errors(case.snapshot.id):
            writes.add(case_key(step.case.id), case, step, note, version_key or case.version_key)
            writes.flush()

    def step_writes(self) -> StepWrites:
        return StepWrites(self.connection, self.drejebog_version)

    @contextmanager
    def translating_errors(self, case_id: str) -> Iterator[None]:
        """Driver errors of a write as the engine's errors (a lost race is a conflict)."""
        dbapi = self._engine.dialect.loaded_dbapi
        try:
            yield
        except dbapi.Error as exc:  # raised by the raw cursor of the fast path
            raise translate_driver_error(exc, case_id) from exc
        except IntegrityError as exc:
            if "event_id" in str(exc.orig):
                raise ConcurrencyConflict(case_id) from exc
            raise StoreError(f"sag {case_id}: databasen afviste ændringen: {exc.orig}") from exc
        except OperationalError as exc:
            if is_conflict(exc):
                raise ConcurrencyConflict(case_id) from exc
            raise StoreError(f"databasefejl: {exc.orig}", retryable=True) from exc
