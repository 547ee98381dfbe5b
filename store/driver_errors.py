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
    OperationalError, SQLite cannot write or open      StoreError, not retryable, in Danish
        the file: SQLITE_READONLY, SQLITE_CANTOPEN
    any other DBAPIError                               StoreError, retryable

A connection that cannot be made at all (`cannot_connect`, hooked into every engine by
store/db.py) is a StoreError in Danish saying why, as far as the driver tells: a SQLite file
whose folder is missing or is a file, a PostgreSQL server that does not answer, a refused
login, a missing database. So is any statement on a SQLite database that is read-only or
cannot be opened (`sqlite_unusable`, by the same hook), wherever in the store it runs.

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
from pathlib import Path

from sqlalchemy import URL, MetaData, UniqueConstraint
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlmodel import SQLModel

from drejebog.engine.errors import ConcurrencyConflict, StoreError, ordered_ids, shown

LOST_RACE_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
SQLITE_BUSY, SQLITE_LOCKED = 5, 6  # primary result codes (the low byte of an extended one)
SQLITE_READONLY, SQLITE_CANTOPEN = 8, 14
LOGIN_REFUSED_SQLSTATES = frozenset({"28000", "28P01"})  # invalid authorization, password
NO_SUCH_DATABASE_SQLSTATE = "3D000"
# libpq's words for a connection that never opened (no SQLSTATE then), in order of checking
_LIBPQ_WORDS = (
    ("login", ('role "', "password authentication failed", "no password supplied")),
    ("database", ('" does not exist',)),  # FATAL:  database "x" does not exist
    ("server", ("Connection refused", "timeout expired", "could not translate host name")),
)
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
    if unusable := sqlite_unusable(exc.orig):
        return StoreError(f"{where}{unusable}")
    return StoreError(f"{where}databasefejl: {exc.orig}", retryable=True)


def _sqlite_code(orig: BaseException | None) -> int | None:
    code = getattr(orig, "sqlite_errorcode", None)  # sqlite3 (Python 3.11+)
    return code & 0xFF if isinstance(code, int) else None


def sqlite_unusable(orig: BaseException | None) -> str | None:
    """Why no statement can succeed on this SQLite database (read-only, cannot be opened),
    in Danish; None for any other error (trying again cannot help with these)."""
    code = _sqlite_code(orig)
    if code == SQLITE_READONLY:
        return "SQLite-databasen er skrivebeskyttet: filen (eller dens mappe) må ikke ændres"
    if code == SQLITE_CANTOPEN:
        return "SQLite-databasens fil kan ikke åbnes eller oprettes (tjek rettighederne)"
    return None


def cannot_connect(orig: BaseException, url: URL) -> StoreError:
    """The engine's error for a connection to `url` that could not be made (`orig` is the
    driver's error): Danish, naming the database (no password) and, as far as can be told,
    why; retryable when the server may come back."""
    if url.get_backend_name() == "sqlite":
        return StoreError(f"SQLite-databasen {url.database} kan ikke åbnes: {_sqlite_why(url)}")
    shown = url.render_as_string(hide_password=True)
    why = _postgresql_why(orig)
    if why == "login":
        return StoreError(f"databasen {shown} afviste login: tjek bruger og adgangskode")
    if why == "database":
        return StoreError(f"databasen {shown} findes ikke på serveren: opret den først")
    if why == "server":
        return StoreError(
            f"databasen {shown} kan ikke nås: serveren svarer ikke (kører PostgreSQL, og er "
            "vært og port i DATABASE_URL rigtige?)",
            retryable=True,
        )
    return StoreError(
        f"databasen {shown} kan ikke nås (tjek vært, port, bruger og database i DATABASE_URL)",
        retryable=True,
    )


def _postgresql_why(orig: BaseException) -> str:
    """'login', 'database', 'server' or '' for a failed PostgreSQL connection. By SQLSTATE
    where the driver gives one; psycopg gives none for a connection that never opened, and
    there (only there) libpq's words are matched."""
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate in LOGIN_REFUSED_SQLSTATES:
        return "login"
    if sqlstate == NO_SUCH_DATABASE_SQLSTATE:
        return "database"
    text = str(orig)
    for why, words in _LIBPQ_WORDS:
        if any(word in text for word in words):
            return why
    return ""


def _sqlite_why(url: URL) -> str:
    """Why a SQLite file cannot be opened, judged from the file system."""
    path = Path(url.database or "")
    folder = path.parent
    if not folder.exists():
        return f"mappen {folder} findes ikke (opret den, eller ret DATABASE_URL)"
    if not folder.is_dir():
        return f"{folder} er en fil, ikke en mappe (ret DATABASE_URL)"
    if path.is_dir():
        return "det er en mappe, ikke en fil (ret DATABASE_URL)"
    return "filen kan ikke oprettes eller skrives her (tjek rettighederne)"


@contextmanager
def translating(case_ids: Collection[object] | Callable[[], Iterable[object]]) -> Iterator[None]:
    """Driver errors raised in the block as the engine's errors (`case_ids` may be a function,
    called only when there is an error to name them in)."""
    try:
        yield
    except DBAPIError as exc:
        raise translate(exc, case_ids() if callable(case_ids) else case_ids) from exc
