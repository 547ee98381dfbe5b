"""Running hand-written SQL (store/sql.py) on the raw driver cursor, for the hot paths.

SQLAlchemy Core spends more time preparing a small statement than SQLite spends running it
(measured: ~40 µs of Python per statement against ~15 µs in the database). The statements
keep SQLAlchemy's column types: a bind parameter named like a column of the statement's
`Table` is written with that column's type, a result column is read with its column's type,
each value through the very processor SQLAlchemy itself would use (`processors()`), so rows
written here and rows written through Core are identical (the store tests run both paths on
SQLite and PostgreSQL). A driver error is raised as SQLAlchemy's own exception class
(IntegrityError, OperationalError, ...), so store/driver_errors.py translates both paths alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any, cast

from sqlalchemy import Column, Connection, Date, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import TypeEngine

_NAMED = re.compile(r"(?<!:):(\w+)")

Processor = Callable[[Any], Any]


def processors(
    type_: TypeEngine[Any], dialect: Dialect
) -> tuple[Processor | None, Processor | None]:
    """The (bind, result) processors SQLAlchemy applies to a value of `type_` on `dialect`.

    The one place that asks SQLAlchemy for them: through its public `dialect_impl()`, which
    is what its own private per-dialect cache (`_cached_bind_processor`,
    `_cached_result_processor`) is filled from. tests/store/test_fastsql.py compares the two
    for every column of the schema, so a change in SQLAlchemy fails there, loudly.
    """
    impl = type_.dialect_impl(dialect)
    return (
        cast(Processor | None, impl.bind_processor(dialect)),
        cast(Processor | None, impl.result_processor(dialect, None)),
    )


def _iso_text(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _iso_day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _sqlite_date_writer(type_: TypeEngine[Any], dialect: Dialect) -> Processor | None:
    """SQLite keeps a DATE as 'YYYY-MM-DD' text: `isoformat` writes exactly what SQLAlchemy's
    own processor writes, without its per-value format dict (tests/test_store_types.py)."""
    return _iso_text if dialect.name == "sqlite" and type(type_) is Date else None


def _sqlite_date_reader(type_: TypeEngine[Any], dialect: Dialect) -> Processor | None:
    return _iso_day if dialect.name == "sqlite" and type(type_) is Date else None


def _bind(type_: TypeEngine[Any], dialect: Dialect) -> Processor | None:
    return _sqlite_date_writer(type_, dialect) or processors(type_, dialect)[0]


def _result(type_: TypeEngine[Any], dialect: Dialect) -> Processor | None:
    return _sqlite_date_reader(type_, dialect) or processors(type_, dialect)[1]


class FastStatement:
    """A statement with named parameters (`:name`). A parameter named like a column of
    `table` takes that column's type; `types` gives the others that need one (say `:now`
    compared with a timestamp column)."""

    def __init__(
        self,
        sql: str,
        table: Table | None = None,
        types: Mapping[str, TypeEngine[Any]] | None = None,
    ) -> None:
        self.sql = " ".join(sql.split())
        self.types: dict[str, TypeEngine[Any]] = {}
        if table is not None:
            names = set(_NAMED.findall(self.sql))
            self.types.update((c.name, c.type) for c in table.columns if c.name in names)
        self.types.update(types or {})
        self._compiled: dict[str, tuple[str, dict[str, Processor]]] = {}

    def compiled(self, dialect: Dialect) -> tuple[str, dict[str, Processor]]:
        known = self._compiled.get(dialect.name)
        if known is None:
            text = self.sql
            if dialect.paramstyle in ("pyformat", "format"):
                text = _NAMED.sub(r"%(\1)s", text.replace("%", "%%"))
            writers: dict[str, Processor] = {}
            for name, type_ in self.types.items():
                writer = _bind(type_, dialect)
                if writer is not None:
                    writers[name] = writer
            known = (text, writers)
            self._compiled[dialect.name] = known
        return known


def _process_rows(
    rows: Sequence[Mapping[str, Any]], writers: Mapping[str, Processor]
) -> list[dict[str, Any]]:
    """Every row through the processors; a value that is the very object of the row before
    (the batch's `now` in every outbox row) is converted once (measured: 9 → 3 µs a row)."""
    if not writers:
        return [dict(row) for row in rows]
    last: dict[str, tuple[Any, Any]] = {}
    processed = []
    for row in rows:
        item = dict(row)
        for key, writer in writers.items():
            if key not in item:
                continue
            value = item[key]
            seen = last.get(key)
            if seen is None or seen[0] is not value:
                seen = (value, writer(value))
                last[key] = seen
            item[key] = seen[1]
        processed.append(item)
    return processed


def _as_sqlalchemy_error(exc: Exception, text: str, dialect: Dialect) -> Exception:
    """A driver error as the SQLAlchemy class Core would raise for it (IntegrityError for a
    sqlite3.IntegrityError or a psycopg UniqueViolation, ...), the driver's error as `orig`."""
    dbapi = dialect.loaded_dbapi
    if isinstance(exc, dbapi.Error):
        return DBAPIError.instance(text, None, exc, dbapi.Error, dialect=dialect)
    return exc


def run(connection: Connection, statement: FastStatement, params: Mapping[str, Any]) -> Any:
    """Execute once; returns the DBAPI cursor (rowcount, fetch*)."""
    dialect = connection.dialect
    text, bind = statement.compiled(dialect)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(text, _process_rows([params], bind)[0])
    except Exception as exc:
        raise _as_sqlalchemy_error(exc, text, dialect) from exc
    return cursor


def run_many(
    connection: Connection, statement: FastStatement, rows: Sequence[Mapping[str, Any]]
) -> int:
    """Execute once per row; returns the rows changed in all (sqlite3 and psycopg sum them)."""
    dialect = connection.dialect
    text, bind = statement.compiled(dialect)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(text, _process_rows(rows, bind))
    except Exception as exc:
        raise _as_sqlalchemy_error(exc, text, dialect) from exc
    changed = int(cursor.rowcount)
    cursor.close()
    return changed


def run_all(
    connection: Connection, batches: Sequence[tuple[FastStatement, Sequence[Mapping[str, Any]]]]
) -> tuple[list[int], Exception | None]:
    """Several executemany's, in order: the rows each changed (-1: it failed or did not
    run), and the first error (as `run_many` raises it) or None. SQLite runs them one after
    the other and stops at an error. PostgreSQL sends them all in one pipeline and waits for
    the server once instead of once or more per statement (measured on an event: 13.5 driver
    waits → 6.5); after an error the server skips the rest, and the counts read before it
    stay valid."""
    dialect = connection.dialect
    driver = connection.connection.driver_connection
    prepared = []
    for statement, rows in batches:
        text, bind = statement.compiled(dialect)
        prepared.append((text, _process_rows(rows, bind)))
    cursors: list[Any] = []
    current = ""
    try:
        if dialect.name == "postgresql":
            with driver.pipeline():  # type: ignore[union-attr]
                for text, rows in prepared:
                    current = text
                    cursors.append(driver.cursor())  # type: ignore[union-attr]
                    cursors[-1].executemany(text, rows)
        else:
            for text, rows in prepared:
                current = text
                cursors.append(driver.cursor())  # type: ignore[union-attr]
                cursors[-1].executemany(text, rows)
    except Exception as exc:  # a statement that failed or never ran counts -1
        counts = [int(cursor.rowcount) for cursor in cursors]
        return counts, _as_sqlalchemy_error(exc, current, dialect)
    counts = [int(cursor.rowcount) for cursor in cursors]
    for cursor in cursors:
        cursor.close()
    return counts, None


class FastQuery(FastStatement):
    """A SELECT whose result columns, in order, read as the `columns` given (by the column's
    name, or under a name of their own), through SQLAlchemy's result processors."""

    def __init__(
        self,
        sql: str,
        columns: Iterable[Column[Any] | tuple[str, Column[Any]]],
        table: Table | None = None,
        types: Mapping[str, TypeEngine[Any]] | None = None,
    ) -> None:
        super().__init__(sql, table, types)
        self.columns: list[tuple[str, TypeEngine[Any]]] = [
            (item[0], item[1].type) if isinstance(item, tuple) else (item.name, item.type)
            for item in columns
        ]
        self._readers: dict[str, list[tuple[str, Processor | None]]] = {}

    def readers(self, dialect: Dialect) -> list[tuple[str, Processor | None]]:
        known = self._readers.get(dialect.name)
        if known is None:
            known = [(name, _result(type_, dialect)) for name, type_ in self.columns]
            self._readers[dialect.name] = known
        return known


def fetch_all(
    connection: Connection, query: FastQuery, params: Mapping[str, Any]
) -> list[tuple[Any, ...]]:
    """Every row, each column through its result processor, as plain tuples."""
    cursor = run(connection, query, params)
    rows = cursor.fetchall()
    cursor.close()
    readers = [
        (index, reader)
        for index, (_, reader) in enumerate(query.readers(connection.dialect))
        if reader is not None
    ]
    if not readers:
        return [tuple(row) for row in rows]
    converted = []
    for row in rows:  # only the columns that need it: most come back from the driver as is
        values = list(row)
        for index, reader in readers:
            values[index] = reader(values[index])
        converted.append(tuple(values))
    return converted


def fetch_one(
    connection: Connection, query: FastQuery, params: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The first row (a query by key has one), by column name, or None."""
    rows = fetch_all(connection, query, params)
    if not rows:
        return None
    return dict(zip((name for name, _ in query.columns), rows[0], strict=True))
