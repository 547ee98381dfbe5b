"""The store back-ends the behavioural suite runs on: in memory, SQLite and PostgreSQL.

A test written against a `Backend` does not know where the rows live: it gets the case service
and the unit of work, sets up staff, citizens and drejebøger, and reads committed rows by
table name (the schema's columns, store/tables.py) to compare before and after. What only SQL
can show (a statement, a driver error, two connections' locks) is tested on the `App` instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy import MetaData, create_engine, select

from drejebog.app.admin import Admin
from drejebog.app.cases import CaseService
from drejebog.app.inbox import Inbox
from drejebog.app.ports import CaseUnitOfWork, DeliveryStatistics, DigestUnitOfWork, Outbox
from drejebog.app.reports import Reports
from drejebog.app.settings import Settings
from drejebog.bootstrap import App, bootstrap
from drejebog.engine.clock import SimulatedClock
from drejebog.store.memory import MemoryStore
from drejebog.store.memory_delivery import MemoryDigestUnitOfWork, MemoryOutbox
from drejebog.store.memory_reads import MemoryReads
from drejebog.store.tables import (
    ASSIGNMENT,
    CASE,
    CITIZEN,
    HISTORY,
    OUTBOX,
    TASK,
    TIMER,
    VERSION,
    WORKER,
)

_TABLES = {
    t.name: t for t in (WORKER, CITIZEN, VERSION, CASE, ASSIGNMENT, HISTORY, TIMER, TASK, OUTBOX)
}


class Backend(Protocol):
    name: str
    clock: SimulatedClock

    def unit_of_work(self) -> CaseUnitOfWork: ...

    @property
    def cases(self) -> CaseService: ...

    @property
    def admin(self) -> Admin: ...

    def rows(self, table: str, **where: object) -> list[dict[str, Any]]:
        """The committed rows of a table matching `where`, by id."""
        ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def inbox(self) -> Inbox: ...

    def digest_unit_of_work(self) -> DigestUnitOfWork: ...

    @property
    def reports(self) -> Reports:
        """A case in full and the open tasks (app/reports.py)."""
        ...

    @property
    def statistics(self) -> DeliveryStatistics:
        """What the demo counts."""
        ...

    def insert(self, table: str, **values: object) -> None:
        """Insert one row and commit it (a test's way around the use cases)."""
        ...

    def update(self, table: str, values: dict[str, object], **where: object) -> None:
        """Change the rows matching `where` and commit (a test's way around the use cases)."""
        ...

    def close(self) -> None:
        """Let go of connections (the data stays)."""
        ...


class SqlBackend:
    """SQLite or PostgreSQL, through the wired application."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.name = app.engine.dialect.name
        self.clock: SimulatedClock = app.clock  # type: ignore[assignment]

    def unit_of_work(self) -> CaseUnitOfWork:
        return self.app.unit_of_work()

    @property
    def cases(self) -> CaseService:
        return self.app.cases

    @property
    def admin(self) -> Admin:
        return self.app.admin

    def rows(self, table: str, **where: object) -> list[dict[str, Any]]:
        columns = _TABLES[table].c
        query = select(_TABLES[table]).where(*(columns[k] == v for k, v in where.items()))
        with self.app.engine.connect() as connection:
            return [dict(r._mapping) for r in connection.execute(query.order_by(columns.id))]

    @property
    def outbox(self) -> Outbox:
        return self.app.outbox

    @property
    def inbox(self) -> Inbox:
        return self.app.inbox

    def digest_unit_of_work(self) -> DigestUnitOfWork:
        return self.app.digest_unit_of_work()

    @property
    def reports(self) -> Reports:
        return self.app.reports

    @property
    def statistics(self) -> DeliveryStatistics:
        return self.app.statistics

    def insert(self, table: str, **values: object) -> None:
        with self.app.engine.begin() as connection:
            connection.execute(_TABLES[table].insert().values(**values))

    def update(self, table: str, values: dict[str, object], **where: object) -> None:
        columns = _TABLES[table].c
        query = _TABLES[table].update().where(*(columns[k] == v for k, v in where.items()))
        with self.app.engine.begin() as connection:
            connection.execute(query.values(**values))

    def close(self) -> None:
        self.app.close()


class MemoryBackend:
    """The in-memory store (store/memory.py)."""

    name = "memory"

    def __init__(self, store: MemoryStore, clock: SimulatedClock) -> None:
        self.store = store
        self.clock = clock

    def unit_of_work(self) -> CaseUnitOfWork:
        return self.store.unit_of_work()

    @property
    def cases(self) -> CaseService:
        return CaseService(self.unit_of_work, self.clock)

    @property
    def admin(self) -> Admin:
        return Admin(self.store, self.unit_of_work, self.clock)

    def rows(self, table: str, **where: object) -> list[dict[str, Any]]:
        return [
            row
            for row in self.store.rows(table)
            if all(row[column] == value for column, value in where.items())
        ]

    @property
    def outbox(self) -> Outbox:
        return MemoryOutbox(self.store)

    @property
    def inbox(self) -> Inbox:
        return Inbox(MemoryReads(self.store), self.clock)

    def digest_unit_of_work(self) -> DigestUnitOfWork:
        return MemoryDigestUnitOfWork(self.store)

    @property
    def reports(self) -> Reports:
        return Reports(MemoryReads(self.store), self.clock)

    @property
    def statistics(self) -> DeliveryStatistics:
        return MemoryReads(self.store)

    def insert(self, table: str, **values: object) -> None:
        with self.store.unit_of_work() as uow:
            uow.insert(table, values)
            uow.commit()

    def update(self, table: str, values: dict[str, object], **where: object) -> None:
        with self.store.unit_of_work() as uow:
            for row in uow.table(table).where(**where):
                uow.update(table, row, **values)
            uow.commit()

    def close(self) -> None:
        pass


Connect = Callable[[SimulatedClock], Backend]  # a (new) connection to one store


def sql_connection(url: str) -> Connect:
    """Connect to the database at `url`, its schema created (by migrations) the first time."""
    created = False

    def connect(clock: SimulatedClock) -> Backend:
        nonlocal created
        app = bootstrap(Settings(url), clock)
        if not created:
            app.upgrade_schema()
            created = True
        return SqlBackend(app)

    return connect


def memory_connection(store: MemoryStore) -> Connect:
    return lambda clock: MemoryBackend(store, clock)


def case_rows(backend: Backend, case_id: str) -> dict[str, object]:
    """Every row that belongs to the case, for before/after comparisons."""
    key = int(case_id)
    (case,) = backend.rows("case", id=key)
    return {
        "case": case,
        "timers": backend.rows("timer", case_id=key),
        "tasks": backend.rows("task", case_id=key),
        "history": sorted(backend.rows("case_history", case_id=key), key=_seq),
    }


def _seq(row: dict[str, Any]) -> int:
    return int(row["seq"])


def race(workers: int, change: Callable[[int], object]) -> list[str]:
    """Run change(0..workers-1) in threads released at once; each outcome is "ok", or
    "conflict" where it raised ConcurrencyConflict (anything else fails the test)."""
    from drejebog.engine.errors import ConcurrencyConflict

    barrier = threading.Barrier(workers)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(index: int) -> None:
        barrier.wait()
        try:
            change(index)
            outcome = "ok"
        except ConcurrencyConflict:
            outcome = "conflict"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table in the database at `url` (the schema's own bookkeeping
    included), each table ordered by its primary key: two dumps are equal when nothing
    changed."""
    engine = create_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            return {
                name: [
                    tuple(row)
                    for row in connection.execute(
                        select(table).order_by(*(table.primary_key.columns or table.columns))
                    )
                ]
                for name, table in sorted(metadata.tables.items())
            }
    finally:
        engine.dispose()
