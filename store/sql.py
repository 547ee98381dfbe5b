"""Every hand-written SQL statement of the store, in one place.

Hand-written because they are the hot paths, where measurement said so: building and
compiling a Core statement per call cost more than running it (store/fastsql.py runs these on
the driver's cursor). Everything else in the store is SQLAlchemy Core. Each statement names
its `Table`: a bind parameter named like one of its columns is written with that column's
type, and a query's result columns are read with their columns' types, so no type is listed
by hand. Insert statements are generated from their column lists, the timer's from the
engine's Timer (store/timer_rows.py).

Bind parameter names carry a b_ prefix, or another name, where a column of the same name is
also assigned in the statement (`:expected` is the lock version read, `:key` a row's id).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from sqlalchemy import Column, Table

from drejebog.store.fastsql import FastQuery, FastStatement
from drejebog.store.tables import CASE, CITIZEN, HISTORY, OUTBOX, TASK, TIMER
from drejebog.store.timer_rows import CLAIM_COLUMNS, INSERT_COLUMNS


def _quoted(table: Table) -> str:
    return f'"{table.name}"' if table.name == "case" else table.name  # CASE is a keyword


def insert(table: Table, columns: Iterable[str], constants: Mapping[str, str] | None = None) -> str:
    """INSERT INTO table (columns, constants) VALUES (:columns, constant SQL values)."""
    names = list(columns)
    constants = constants or {}
    return (
        f"INSERT INTO {_quoted(table)} ({', '.join([*names, *constants])}) "
        f"VALUES ({', '.join([*(':' + name for name in names), *constants.values()])})"
    )


# -- SQLite connections -------------------------------------------------------------------

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA busy_timeout={busy_timeout_ms}",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA cache_size=-16384",  # 16 MiB of page cache per connection
    "PRAGMA temp_store=MEMORY",
    # checkpoint every ~40 MiB of WAL instead of ~4 MiB: fewer, larger copies into the db file
    "PRAGMA wal_autocheckpoint=10000",
)
SQLITE_BEGIN = "BEGIN"
# https://sqlite.org/lang_analyze.html: bound each ANALYZE to about 1,000 rows per index (the
# statistics stay as good for planning), then refresh the tables whose statistics are stale
# on closing a connection: never wait for another's lock (the next close will do it)
SQLITE_OPTIMIZE = ("PRAGMA busy_timeout=0", "PRAGMA analysis_limit=1000", "PRAGMA optimize")
SQLITE_ANALYZE = ("PRAGMA analysis_limit=1000", "ANALYZE")

# -- cases --------------------------------------------------------------------------------

_CASE_COLUMNS: list[Column[Any] | tuple[str, Column[Any]]] = [
    CASE.c.state,
    CASE.c.facts,
    CASE.c.runtime,
    CASE.c.entered_at,
    CASE.c.drejebog_version_id,
    CASE.c.lock_version,
    ("citizen_name", CITIZEN.c.name),
]
_CASE_SELECT = """c.state, c.facts, c.runtime, c.entered_at, c.drejebog_version_id,
    c.lock_version, p.name FROM "case" c JOIN citizen p ON p.id = c.citizen_id"""
LOAD_CASE = FastQuery(f"SELECT {_CASE_SELECT} WHERE c.id = :key", _CASE_COLUMNS)


@lru_cache(maxsize=64)
def load_cases(count: int, lock: bool) -> FastQuery:
    """The batch query for `count` cases (a batch has one size, its last one another); with
    `lock` (PostgreSQL), their rows are held until commit."""
    keys = ", ".join(f":k{i}" for i in range(count))
    sql = f"SELECT c.id, {_CASE_SELECT} WHERE c.id IN ({keys})"
    if lock:  # in id order, so two daemons locking overlapping batches cannot deadlock
        sql += " ORDER BY c.id FOR UPDATE OF c"
    return FastQuery(sql, [CASE.c.id, *_CASE_COLUMNS])


UPDATE_CASE = FastStatement(
    """UPDATE "case" SET state = :state, facts = :facts, runtime = :runtime,
       entered_at = :entered_at, closed_at = :closed_at, lock_version = :lock_version,
       drejebog_version_id = :drejebog_version_id
       WHERE id = :key AND lock_version = :expected""",
    CASE,
)
# a Step that left the case as it was (a reminder, an escalation) only moves the lock on
BUMP_CASE = FastStatement(
    """UPDATE "case" SET lock_version = :lock_version
       WHERE id = :key AND lock_version = :expected""",
    CASE,
)
INSERT_HISTORY = FastStatement(
    insert(
        HISTORY,
        [
            "case_id",
            "seq",
            "at",
            "actor",
            "kind",
            "event",
            "event_id",
            "from_state",
            "to_state",
            "data",
        ],
    ),
    HISTORY,
)

# -- tasks --------------------------------------------------------------------------------

INSERT_TASK = FastStatement(
    insert(
        TASK,
        [
            "case_id",
            "rule",
            "occurrence",
            "role",
            "title",
            "state",
            "optional",
            "due_date",
            "created_at",
        ],
        {"status": "'open'"},
    ),
    TASK,
)
CLOSE_TASK = FastStatement(
    """UPDATE task SET status = :status, closed_at = :closed_at, in_time = :in_time
       WHERE case_id = :key AND rule = :rule AND status = 'open'""",
    TASK,
)

# -- timers -------------------------------------------------------------------------------

INSERT_TIMER = FastStatement(insert(TIMER, INSERT_COLUMNS, {"status": "'pending'"}), TIMER)
# A cancelled timer leaves no row: it never fires, nothing reads it, and kept it made two
# thirds of the timer table (issue 12 point 3). Only pending rows go, so a timer a daemon has
# claimed (PostgreSQL: a locked row; SQLite: one writer) is fired or deleted, never both;
# fired rows stay and keep the natural key from planning the same step twice.
CANCEL_RULE = FastStatement(
    """DELETE FROM timer
       WHERE case_id = :key AND rule = :rule AND status = 'pending'""",
    TIMER,
)
CANCEL_FROM = FastStatement(
    """DELETE FROM timer
       WHERE case_id = :key AND status = 'pending' AND due_at >= :due_from""",
    TIMER,
    {"due_from": TIMER.c.due_at.type},
)
_CLAIM_SQL = (
    f"SELECT {', '.join(CLAIM_COLUMNS)} FROM timer "
    "WHERE status = 'pending' AND due_at <= :now ORDER BY due_at, id LIMIT :limit"
)
_CLAIMED = [TIMER.c[name] for name in CLAIM_COLUMNS]
CLAIM = FastQuery(_CLAIM_SQL, _CLAIMED, TIMER, {"now": TIMER.c.due_at.type})
# PostgreSQL: rows another daemon holds are skipped, not waited for
CLAIM_SHARED = FastQuery(
    _CLAIM_SQL + " FOR UPDATE SKIP LOCKED", _CLAIMED, TIMER, {"now": TIMER.c.due_at.type}
)

# -- notifications ------------------------------------------------------------------------

INSERT_OUTBOX = FastStatement(
    insert(
        OUTBOX,
        [
            "case_id",
            "timer_id",
            "kind",
            "rule",
            "role",
            "channel",
            "recipient",
            "worker_id",
            "subject",
            "body_text",
            "created_at",
            "status",
            "next_attempt_at",
            "sent_at",
        ],
        {"attempts": "0", "last_error": "''"},
    ),
    OUTBOX,
)
