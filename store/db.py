"""Connections: SQLite as a file in WAL mode with a busy timeout and foreign keys, or
PostgreSQL chosen by DATABASE_URL. Driver errors are translated here, at the boundary."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event

from drejebog.app.settings import Settings

SQLITE_BUSY_TIMEOUT_MS = 5000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's BEGIN start transactions instead of the driver's implicit ones.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB of page cache per connection
    cursor.execute("PRAGMA temp_store=MEMORY")
    # checkpoint every ~40 MiB of WAL instead of ~4 MiB: fewer, larger copies into the db file
    cursor.execute("PRAGMA wal_autocheckpoint=10000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


def make_engine(settings: Settings, **kwargs: Any) -> Engine:
    url = settings.database_url
    if url.startswith("sqlite"):
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
