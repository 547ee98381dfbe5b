"""Connections: SQLite as a file in WAL mode with a busy timeout and foreign keys, or
PostgreSQL chosen by DATABASE_URL (the SQLite pragmas are in store/sql.py; driver errors are
translated in store/driver_errors.py)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from sqlalchemy import Engine, ExceptionContext, create_engine, event

from drejebog.app.settings import Settings
from drejebog.engine.errors import StoreError
from drejebog.store import sql
from drejebog.store.driver_errors import cannot_connect, sqlite_unusable

SQLITE_BUSY_TIMEOUT_MS = 5000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's BEGIN start transactions instead of the driver's implicit ones.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in sql.SQLITE_PRAGMAS:  # WAL, busy timeout, foreign keys, cache sizes
        cursor.execute(pragma.format(busy_timeout_ms=SQLITE_BUSY_TIMEOUT_MS))
    cursor.close()


def _sqlite_optimize_on_close(dbapi_connection: Any, _record: Any) -> None:
    """SQLite's advice for a connection that is closed: `PRAGMA optimize` refreshes the
    statistics (ANALYZE, bounded by `analysis_limit`) of the tables this connection's queries
    would have planned better with fresh ones. The hot statements' plans do not depend on
    statistics (tests/store/test_query_plans.py); the reports' queries may. Best effort: a
    database another process holds locked is left for the next close."""
    try:
        for pragma in sql.SQLITE_OPTIMIZE:
            dbapi_connection.execute(pragma)
    except sqlite3.Error:
        pass


def analyze(engine: Engine) -> None:
    """Refresh SQLite's statistics of every table, bounded by `analysis_limit` (after `db
    upgrade` and bulk writes, which change every table: `PRAGMA optimize` before SQLite 3.46
    only looks at the tables the closing connection queried); nothing on PostgreSQL, whose
    autovacuum keeps its own."""
    if engine.dialect.name != "sqlite":
        return
    with engine.begin() as connection:
        for statement in sql.SQLITE_ANALYZE:
            connection.exec_driver_sql(statement)


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql(sql.SQLITE_BEGIN)


def _database_unusable(context: ExceptionContext) -> BaseException | None:
    """A connection that could not be made at all (not a pre-ping, which SQLAlchemy answers
    by reconnecting), or a statement on a SQLite file that is read-only or cannot be opened,
    becomes the engine's Danish StoreError wherever it happens; any other error is left to
    store/driver_errors.py `translate`, where the statement's cases are known."""
    if context.is_pre_ping or context.engine is None:
        return None
    if context.connection is None:
        return cannot_connect(context.original_exception, context.engine.url)
    unusable = sqlite_unusable(context.original_exception)
    return StoreError(unusable) if unusable else None


def compact_json(value: object) -> str:
    """JSON as the JSON columns store it: no spaces after separators, and letters such as
    æ, ø, å as themselves (2 bytes in UTF-8) rather than as \\u escapes (6 bytes). The
    history, facts and runtime snapshots are most of a case's bytes (issue 12 point 3);
    every reader parses the JSON, so rows written before read the same."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def make_engine(settings: Settings, **kwargs: Any) -> Engine:
    url = settings.database_url
    kwargs.setdefault("json_serializer", compact_json)
    if url.startswith("sqlite"):
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "close", _sqlite_optimize_on_close)
    else:
        engine = create_engine(url, pool_pre_ping=True, **kwargs)
    event.listen(engine, "handle_error", _database_unusable)
    return engine
