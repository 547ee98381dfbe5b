"""Driver errors as the engine's errors: the one place that tells them apart.

Every statement of the store raises SQLAlchemy's exception classes (store/fastsql.py raises
them for the raw cursor too), with the driver's own error as `orig`. They are told apart by
class, then by what the driver says in fields, never by matching message text where a field
exists:

    IntegrityError on UNIQUE(case_history.event_id)   ConcurrencyConflict: the same event was
                                                       being applied at the same time; a retry
                                                       finds it applied
    IntegrityError (any other constraint)              StoreError, not retryable: the database
                                                       refuses the change, trying again will not
    OperationalError, lost race                        ConcurrencyConflict, retryable
        PostgreSQL: SQLSTATE 40001 serialization failure, 40P01 deadlock, 55P03 lock not
        available; SQLite: SQLITE_BUSY or SQLITE_LOCKED ("database is locked")
    any other DBAPIError                               StoreError, retryable

The constraint comes from psycopg's `diag.constraint_name`. SQLite names no constraint in
its errors (its error code says only SQLITE_CONSTRAINT_UNIQUE): there, and only there, the
message's column list ("UNIQUE constraint failed: case_history.event_id") is matched against
the UNIQUE constraints of the schema, so both back-ends give the same name.

Errors carry the ids of the cases involved, as the caller knows them: a ConcurrencyConflict
as data (`case_ids`), a StoreError in its message (shortened there by engine.errors.shown).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from functools import cache

from sqlalchemy import MetaData, UniqueConstraint
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlmodel import SQLModel

from drejebog.engine.errors import ConcurrencyConflict, StoreError, ordered_ids, shown

LOST_RACE_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
SQLITE_BUSY, SQLITE_LOCKED = 5, 6  # primary result codes (the low byte of an extended one)
EVENT_ID_TAKEN = "case_history_event_id_key"  # PostgreSQL's name for UNIQUE(event_id)
_SQLITE_UNIQUE = "UNIQUE constraint failed: "


def unique_constraints(metadata: MetaData) -> dict[str, str]:
    """SQLite's column list ('timer.case_id, timer.rule, ...') -> the constraint's name (its
    own, else the one PostgreSQL gives an unnamed one: table_col1_col2_key)."""
    names: dict[str, str] = {}
    for table in metadata.tables.values():
        for constraint in table.constraints:
            if isinstance(constraint, UniqueConstraint):
                columns = [column.name for column in constraint.columns]
                name = constraint.name
                if not isinstance(name, str):
                    name = f"{table.name}_{'_'.join(columns)}_key"
                names[", ".join(f"{table.name}.{column}" for column in columns)] = name
    return names


@cache
def _sqlite_constraints() -> dict[str, str]:
    return unique_constraints(SQLModel.metadata)


def constraint_name(exc: IntegrityError) -> str | None:
    """The name of the constraint the database enforced, if it says."""
    diag = getattr(exc.orig, "diag", None)  # psycopg
    if diag is not None:
        return getattr(diag, "constraint_name", None)
    text = str(exc.orig)
    if getattr(exc.orig, "sqlite_errorcode", None) is not None and text.startswith(_SQLITE_UNIQUE):
        return _sqlite_constraints().get(text.removeprefix(_SQLITE_UNIQUE))
    return None


def lost_race(exc: DBAPIError) -> bool:
    """Did the statement lose a race with another writer (so trying again can succeed)?"""
    sqlstate = getattr(exc.orig, "sqlstate", None)  # psycopg
    if sqlstate is not None:
        return sqlstate in LOST_RACE_SQLSTATES
    code = getattr(exc.orig, "sqlite_errorcode", None)  # sqlite3 (Python 3.11+)
    return isinstance(code, int) and code & 0xFF in (SQLITE_BUSY, SQLITE_LOCKED)


def translate(exc: DBAPIError, case_ids: Iterable[object]) -> ConcurrencyConflict | StoreError:
    """The engine's error for a driver error on the cases `case_ids` (none for a statement on
    no case in particular, such as claiming due timers: a lost race there is a StoreError
    that says to try again)."""
    ids = ordered_ids(case_ids)
    where = f"sag {shown(ids)}: " if ids else ""
    if isinstance(exc, IntegrityError):
        name = constraint_name(exc)
        if name == EVENT_ID_TAKEN and ids:
            return ConcurrencyConflict(*ids)
        return StoreError(f"{where}databasen afviste ændringen ({name or 'en regel'}): {exc.orig}")
    if isinstance(exc, OperationalError) and lost_race(exc):
        if ids:
            return ConcurrencyConflict(*ids)
        return StoreError(f"databasen var optaget af en anden; prøv igen: {exc.orig}", True)
    return StoreError(f"{where}databasefejl: {exc.orig}", retryable=True)


@contextmanager
def translating(case_ids: Collection[object] | Callable[[], Iterable[object]]) -> Iterator[None]:
    """Driver errors raised in the block as the engine's errors (`case_ids` may be a function,
    called only when there is an error to name them in)."""
    try:
        yield
    except DBAPIError as exc:
        raise translate(exc, case_ids() if callable(case_ids) else case_ids) from exc
