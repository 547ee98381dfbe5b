"""Connections: SQLite as a file in WAL mode with a busy timeout and foreign keys, or
PostgreSQL chosen by DATABASE_URL (the SQLite pragmas are in store/sql.py; driver errors are
translated in store/driver_errors.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event

from drejebog.app.settings import Settings
from drejebog.store import sql

SQLITE_BUSY_TIMEOUT_MS = 5000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's BEGIN start transactions instead of the driver's implicit ones.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in sql.SQLITE_PRAGMAS:  # WAL, busy timeout, foreign keys, cache sizes
        cursor.execute(pragma.format(busy_timeout_ms=SQLITE_BUSY_TIMEOUT_MS))
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql(sql.SQLITE_BEGIN)


def make_engine(settings: Settings, **kwargs: Any) -> Engine:
    url = settings.database_url
    if url.startswith("sqlite"):
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)
