"""Tables in dicts and transactions on them: the machinery under the in-memory store (memory.py).

Each `MemoryTable` reads its rules from the SQLAlchemy `Table` of store/tables.py, so the
columns, defaults, NOT NULL, UNIQUE constraints, foreign keys, JSON columns and aware UTC
datetimes are defined once, there. A stored row is a dict that is never changed in place: an
update stores a new dict, so copying a table copies references only, and a `Transaction` keeps
the rows it began with to see, at commit, whether another transaction changed them meanwhile
(then the commit is a ConcurrencyConflict: the first committer wins).

A transaction copies a table once, on its first write to it, then changes its copy in place
and logs how to undo each change: a savepoint (`mark()`) is a position in that log, so many
small all-or-nothing writes in one transaction (the sweep's one-by-one path) copy nothing more.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from typing import Any, Self

from sqlalchemy import JSON, Table, UniqueConstraint

from drejebog.engine.errors import ConcurrencyConflict, StoreError, ordered_ids, shown
from drejebog.store.driver_errors import EVENT_ID_TAKEN
from drejebog.store.types import UTCDateTime

Row = dict[str, Any]  # one row: column name -> value; never changed in place once stored


@dataclass(frozen=True)
class Schema:
    """What a table's rows must satisfy, read from its SQLAlchemy `Table`."""

    name: str
    columns: frozenset[str]
    defaults: Mapping[str, object]
    required: frozenset[str]  # NOT NULL and no default
    unique: tuple[tuple[str, ...], ...]
    unique_names: tuple[str, ...]  # each constraint's name, as PostgreSQL names it
    json: frozenset[str]
    utc: frozenset[str]
    references: tuple[tuple[str, str], ...]  # (column, referenced table)

    @classmethod
    def of(cls, table: Table) -> Schema:
        columns = [c for c in table.columns if c.name != "id"]
        unique = [
            (constraint, tuple(c.name for c in constraint.columns))
            for constraint in table.constraints
            if isinstance(constraint, UniqueConstraint)
        ]
        return cls(
            name=table.name,
            columns=frozenset(c.name for c in columns),
            defaults={c.name: getattr(c.default, "arg", None) for c in columns if c.default},
            required=frozenset(c.name for c in columns if not c.nullable and c.default is None),
            unique=tuple(names for _, names in unique),
            unique_names=tuple(
                constraint.name
                if isinstance(constraint.name, str)
                else f"{table.name}_{'_'.join(names)}_key"
                for constraint, names in unique
            ),
            json=frozenset(c.name for c in columns if isinstance(c.type, JSON)),
            utc=frozenset(c.name for c in columns if isinstance(c.type, UTCDateTime)),
            references=tuple((k.parent.name, k.column.table.name) for k in table.foreign_keys),
        )

    def row(self, key: int, values: Mapping[str, object]) -> Row:
        """A new row: defaults filled in, values kept as the database would give them back."""
        self.check_columns(values)
        row: Row = {"id": key, **dict.fromkeys(self.columns), **self.defaults, **values}
        missing = sorted(c for c in self.required if row.get(c) is None)
        if missing:
            raise StoreError(f"{self.name}: {', '.join(missing)} skal have en værdi (NOT NULL)")
        return self.stored(row, row.keys())

    def check_columns(self, values: Mapping[str, object]) -> None:
        unknown = set(values) - self.columns
        if unknown:
            raise StoreError(f"tabellen {self.name} har ingen kolonne {', '.join(sorted(unknown))}")

    def stored(self, row: Row, changed: Any) -> Row:
        """`row` with its `changed` columns as a column of their type gives them back: JSON
        through json, datetimes aware and in UTC (naive ones are refused)."""
        for name in self.json.intersection(changed):
            row[name] = json.loads(json.dumps(row[name]))
        for name in self.utc.intersection(changed):
            value = row[name]
            if value is not None:
                if value.tzinfo is None:
                    raise StoreError(f"naivt tidspunkt kan ikke gemmes: {value.isoformat()}")
                row[name] = value.astimezone(UTC)
        return row


class Refused(Exception):
    """A row broke a UNIQUE constraint (the caller says which case that concerns)."""

    def __init__(self, schema: Schema, index: int, row: Row) -> None:
        self.constraint = schema.unique_names[index]
        self.columns = schema.unique[index]
        self.row = row
        values = ", ".join(repr(row[c]) for c in self.columns)
        super().__init__(
            f"UNIQUE ({', '.join(self.columns)}) = ({values}) findes allerede i {schema.name}"
        )


def refusal(exc: Refused, case_ids: Iterable[object]) -> ConcurrencyConflict | StoreError:
    """A UNIQUE violation as store/driver_errors.translate says it on the databases: the event
    id taken on one of the cases is a ConcurrencyConflict (the same event applied twice at
    once: a retry finds it applied), any other constraint a StoreError."""
    ids = ordered_ids(case_ids)
    if exc.constraint == EVENT_ID_TAKEN and ids:
        return ConcurrencyConflict(*ids)
    where = f"sag {shown(ids)}: " if ids else ""
    return StoreError(f"{where}databasen afviste ændringen ({exc.constraint}): {exc}")


class MemoryTable:
    """One table: rows by id, and an index per UNIQUE constraint (NULLs are never equal)."""

    def __init__(
        self,
        schema: Schema,
        rows: dict[int, Row] | None = None,
        unique: list[dict[tuple[object, ...], int]] | None = None,
    ) -> None:
        self.schema = schema
        self.rows = rows if rows is not None else {}
        self.unique = unique if unique is not None else [{} for _ in schema.unique]

    def copy(self) -> MemoryTable:
        return MemoryTable(self.schema, dict(self.rows), [dict(index) for index in self.unique])

    def reset(self, key: int, row: Row | None) -> None:
        """Put back the row `key` had (None: none), unchecked: undoing a put or a remove."""
        self.remove(key)
        if row is not None:
            self._index(row)

    def find(self, columns: tuple[str, ...], values: tuple[object, ...]) -> Row | None:
        """The row with these values in the columns of a UNIQUE constraint."""
        key = self.unique[self.schema.unique.index(columns)].get(values)
        return self.rows[key] if key is not None else None

    def where(self, **equal: object) -> list[Row]:
        """The rows whose columns equal the values given, by id (a scan)."""
        found = [
            row
            for row in self.rows.values()
            if all(row[column] == value for column, value in equal.items())
        ]
        return sorted(found, key=_id)

    def put(self, row: Row) -> None:
        """Insert or replace the row with its id. Raises Refused for a UNIQUE violation."""
        for number, (columns, index) in enumerate(
            zip(self.schema.unique, self.unique, strict=True)
        ):
            values = tuple(row[c] for c in columns)
            holder = index.get(values)
            if holder is not None and holder != row["id"] and None not in values:
                raise Refused(self.schema, number, row)
        old = self.rows.get(row["id"])
        if old is not None:
            self._unindex(old)
        self._index(row)

    def _index(self, row: Row) -> None:
        for columns, index in zip(self.schema.unique, self.unique, strict=True):
            values = tuple(row[c] for c in columns)
            if None not in values:
                index[values] = row["id"]
        self.rows[row["id"]] = row

    def remove(self, key: int) -> None:
        old = self.rows.pop(key, None)
        if old is not None:
            self._unindex(old)

    def _unindex(self, row: Row) -> None:
        for columns, index in zip(self.schema.unique, self.unique, strict=True):
            values = tuple(row[c] for c in columns)
            if index.get(values) == row["id"]:
                del index[values]


class MemoryDatabase:
    """Committed tables, shared by the transactions made on it. A commit replaces the tables
    it changed with new ones (never changing a published table), so a snapshot is a dict of
    references, taken under the lock."""

    def __init__(self, tables: Sequence[Table]) -> None:
        self._lock = threading.Lock()
        self.tables = {t.name: MemoryTable(Schema.of(t)) for t in tables}
        self._ids = {name: itertools.count(1) for name in self.tables}

    def rows(self, table: str) -> list[Row]:
        """The committed rows of a table, by id (copies: for tests and reports)."""
        return [dict(row) for row in self.tables[table].where()]

    def snapshot(self) -> dict[str, MemoryTable]:
        with self._lock:
            return dict(self.tables)

    def next_id(self, table: str) -> int:
        """The next id of the table, as a sequence hands it out: never the same twice."""
        with self._lock:
            return next(self._ids[table])

    def committed(self, table: str, key: int) -> Row | None:
        """The row as committed now (read without the lock: a dict lookup is atomic)."""
        return self.tables[table].rows.get(key)

    def commit(
        self,
        base: Mapping[str, MemoryTable],
        tables: Mapping[str, MemoryTable],
        written: Mapping[str, Mapping[int, Row | None]],
    ) -> None:
        """Apply a transaction's writes, or none if a row it wrote was committed meanwhile.

        `base` is the snapshot the transaction began with, `tables` what it sees now, and
        `written` the rows it wrote, each as it was in `base` (None: inserted)."""
        with self._lock:
            changed: dict[str, MemoryTable] = {}
            for name, originals in written.items():
                committed, mine = self.tables[name], tables[name]
                stale = [
                    original or mine.rows.get(key) or {"id": key}
                    for key, original in originals.items()
                    if committed.rows.get(key) is not original
                ]
                if stale:
                    raise ConcurrencyConflict(*_cases(name, stale))
                if committed is base[name]:  # nobody committed to this table meanwhile
                    changed[name] = mine
                    continue
                merged = committed.copy()
                for key in originals:
                    merged.remove(key)
                try:
                    for key in originals:
                        if key in mine.rows:
                            merged.put(mine.rows[key])
                except Refused as exc:  # a concurrent insert took the same unique key
                    column = "id" if name == "case" else "case_id"
                    raise refusal(exc, [exc.row[column]] if column in exc.row else []) from exc
                changed[name] = merged
            self.tables.update(changed)


def _cases(table: str, rows: Sequence[Row]) -> list[str]:
    """The case ids of rows (a row of no case: its table and id)."""
    column = "id" if table == "case" else "case_id"
    return [str(row.get(column) or f"{table} {row['id']}") for row in rows]


@dataclass(frozen=True)
class Mark:
    """What a savepoint goes back to: a position in the transaction's undo log."""

    undo_length: int


class Transaction:
    """A transaction on a MemoryDatabase, used in a with-block: it reads the snapshot taken
    when the block begins and writes to its own copies of the tables (each copied on its
    first write, then changed in place with an undo log); `commit()` publishes them; leaving
    the block drops what was not committed."""

    def __init__(self, database: MemoryDatabase) -> None:
        self._database = database
        self._active = False
        self._begin()

    def _begin(self) -> None:
        self._base = self._database.snapshot()
        self._tables = dict(self._base)
        self._owned: set[str] = set()  # tables copied by this transaction: safe to change
        self._written: dict[str, dict[int, Row | None]] = {}  # table -> id -> row at begin
        self._undo: list[Callable[[], None]] = []  # how to take back each change, in order

    def __enter__(self) -> Self:
        self._begin()
        self._active = True
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._active = False
        self._begin()  # what was not committed is gone

    def commit(self) -> None:
        self._check_active()
        self._database.commit(self._base, self._tables, self._written)
        self._begin()

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested transaction: undone if the block raises (and the exception passed on)."""
        mark = self.mark()
        try:
            yield
        except BaseException:
            self.restore(mark)
            raise

    def mark(self) -> Mark:
        return Mark(len(self._undo))

    def restore(self, mark: Mark) -> None:
        """Take back every change made since `mark`, the latest first."""
        while len(self._undo) > mark.undo_length:
            self._undo.pop()()

    def table(self, name: str) -> MemoryTable:
        """A table as this transaction sees it (read it; write through insert and update)."""
        self._check_active()
        return self._tables[name]

    def base_row(self, name: str, key: int) -> Row | None:
        """The row as it was when the transaction began."""
        return self._base[name].rows.get(key)

    def insert(self, name: str, values: Mapping[str, object]) -> Row:
        """Insert a row. Raises Refused (UNIQUE), StoreError (NOT NULL, a foreign key)."""
        table = self._writable(name)
        row = table.schema.row(self._database.next_id(name), values)
        for column, referenced in table.schema.references:
            if row[column] is not None and row[column] not in self._tables[referenced].rows:
                raise StoreError(f"{name}.{column}: {referenced} {row[column]} findes ikke")
        self._put(name, table, row)
        self._wrote(name, row["id"], None)
        return row

    def update(self, name: str, row: Row, **changes: object) -> Row:
        """Store a changed copy of `row` (the row itself is never changed)."""
        table = self._writable(name)
        table.schema.check_columns(changes)
        new = table.schema.stored({**row, **changes}, changes)
        self._put(name, table, new)
        self._wrote(name, row["id"], self.base_row(name, row["id"]))
        return new

    def delete(self, name: str, row: Row) -> None:
        table = self._writable(name)
        old = table.rows.get(row["id"])
        table.remove(row["id"])
        self._undo.append(lambda: table.reset(row["id"], old))
        self._wrote(name, row["id"], self.base_row(name, row["id"]))

    def _put(self, name: str, table: MemoryTable, row: Row) -> None:
        old = table.rows.get(row["id"])
        table.put(row)  # raises Refused before changing anything
        self._undo.append(lambda: table.reset(row["id"], old))

    def _wrote(self, name: str, key: int, original: Row | None) -> None:
        """Note the row as written (with the row it was at begin), once."""
        written = self._written[name]
        if key not in written:
            written[key] = original
            self._undo.append(lambda: self._unwrite(name, key))

    def _unwrite(self, name: str, key: int) -> None:
        del self._written[name][key]

    def _writable(self, name: str) -> MemoryTable:
        """The table to change: this transaction's own copy, made on the first write."""
        self._check_active()
        if name not in self._owned:
            shared, first = self._tables[name], name not in self._written
            self._tables[name] = shared.copy()
            self._owned.add(name)
            self._written.setdefault(name, {})
            self._undo.append(lambda: self._unown(name, shared, first))
        return self._tables[name]

    def _unown(self, name: str, shared: MemoryTable, first: bool) -> None:
        self._tables[name] = shared
        self._owned.discard(name)
        if first:
            del self._written[name]

    def _check_active(self) -> None:
        if not self._active:
            raise RuntimeError(f"{type(self).__name__} must be used in a with-block")


def _id(row: Row) -> int:
    return int(row["id"])
