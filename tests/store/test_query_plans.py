"""The hot statements' plans on SQLite: the index each one must use, on a database without
statistics (grown through the product, which never ran ANALYZE), with the statistics of an
empty database (`db upgrade` analyzes it when it is new) and with current statistics.

A plan that falls back to a scan or to another index fails here. Without statistics SQLite
once closed a task through the open-tasks index (a scan of every open task per close), so a
database grown through CaseService got slower as 1/N (migration 0007). PostgreSQL chooses by
its own statistics, which autovacuum keeps.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.dialects import sqlite

from drejebog.store import sql
from drejebog.store.fastsql import FastStatement
from drejebog.store.migrate_schema import upgrade
from drejebog.store.queries import open_tasks_query
from drejebog.store.step_writes import _LOCK_VERSIONS
from drejebog.store.unit_of_work import _APPLIED_EVENT

CASES = 300
TASKS_PER_CASE = 10  # half of them open: the open-tasks index holds 1,500 rows
TIMERS_PER_CASE = 10

BY_KEY = "SEARCH {} USING INTEGER PRIMARY KEY (rowid=?)"
# statement -> its plan, line by line (EXPLAIN QUERY PLAN's detail column)
HOT: dict[str, tuple[object, list[str]]] = {
    "load a case": (sql.LOAD_CASE, [BY_KEY.format("c"), BY_KEY.format("p")]),
    "load a batch of cases": (
        sql.load_cases(3, False),
        [BY_KEY.format("c"), BY_KEY.format("p")],
    ),
    "update a case": (sql.UPDATE_CASE, [BY_KEY.format("case")]),
    "bump a case's lock": (sql.BUMP_CASE, [BY_KEY.format("case")]),
    "read lock versions": (
        _LOCK_VERSIONS.params(keys=[1, 2, 3]),
        [BY_KEY.format("case")],
    ),
    "event already applied?": (
        _APPLIED_EVENT.params(b_event_id="e-1"),
        ["SEARCH case_history USING INDEX sqlite_autoindex_case_history_2 (event_id=?)"],
    ),
    "close a task": (
        sql.CLOSE_TASK,
        ["SEARCH task USING INDEX sqlite_autoindex_task_1 (case_id=? AND rule=?)"],
    ),
    "cancel a rule's timers": (
        sql.CANCEL_RULE,
        ["SEARCH timer USING INDEX sqlite_autoindex_timer_1 (case_id=? AND rule=?)"],
    ),
    "cancel timers from a day": (
        sql.CANCEL_FROM,
        ["SEARCH timer USING INDEX sqlite_autoindex_timer_1 (case_id=?)"],
    ),
    "claim due timers": (sql.CLAIM, ["SEARCH timer USING INDEX ix_timer_due (due_at<?)"]),
}


def _fill(path: Path) -> None:
    """Cases with their tasks (half open), timers (half pending) and history, in the shape
    the engine writes them."""
    connection = sqlite3.connect(path)
    connection.executemany(
        "INSERT INTO citizen (id, cpr, name, email, phone) VALUES (?, ?, 'B', '', '')",
        [(case, f"010170-{case:04d}") for case in range(1, CASES + 1)],
    )
    connection.execute(
        "INSERT INTO drejebog_version (id, drejebog_id, version, title, content_hash,"
        " source_name, source_text, loaded_at) VALUES (1, 'd', '1', 't', 'h', 'n', '', '2027')"
    )
    connection.executemany(
        'INSERT INTO "case" (id, citizen_id, drejebog_id, drejebog_version_id, state, facts,'
        " runtime, opened_at, entered_at, lock_version) VALUES (?, ?, 'd', 1, 's', '{}', '{}',"
        " '2027', '2027', 1)",
        [(case, case) for case in range(1, CASES + 1)],
    )
    connection.executemany(
        "INSERT INTO task (case_id, rule, occurrence, role, title, state, optional, due_date,"
        " status, created_at) VALUES (?, ?, '', ?, 't', 's', 0, ?, ?, '2027')",
        [
            (
                case,
                f"r{i}",
                f"role{i % 3}",
                date(2027, 1, 1 + i).isoformat(),
                "open" if i % 2 else "done",
            )
            for case in range(1, CASES + 1)
            for i in range(TASKS_PER_CASE)
        ],
    )
    connection.executemany(
        "INSERT INTO timer (case_id, drejebog_version_id, rule, occurrence, step, kind, roles,"
        " due_at, due_date, idx, anchor, k, status) VALUES (?, 1, ?, '', 's', 'reminder', '[]',"
        " ?, '2027-01-01', 0, '2027-01-01', 0, ?)",
        [
            (case, f"r{i}", f"2027-01-{1 + i:02d} 08:00:00.000000", "pending" if i % 2 else "fired")
            for case in range(1, CASES + 1)
            for i in range(TIMERS_PER_CASE)
        ],
    )
    connection.executemany(
        "INSERT INTO case_history (case_id, seq, at, actor, kind, event_id, data)"
        " VALUES (?, ?, '2027', 'a', 'hændelse', ?, '{}')",
        [(case, seq, f"{case}-{seq}") for case in range(1, CASES + 1) for seq in range(3)],
    )
    connection.commit()
    connection.close()


@pytest.fixture(params=["no statistics", "statistics of an empty database", "statistics"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "plans.db"
    engine = create_engine(f"sqlite:///{path}")
    upgrade(engine)  # analyzes the new, empty database
    engine.dispose()
    if request.param == "no statistics":
        with sqlite3.connect(path) as connection:
            connection.execute("DELETE FROM sqlite_stat1")
    _fill(path)
    with sqlite3.connect(path) as connection:
        if request.param == "statistics":
            connection.execute("ANALYZE")
        analyzed = connection.execute("SELECT idx FROM sqlite_stat1 WHERE tbl = 'task'").fetchall()
    assert bool(analyzed) == (request.param == "statistics"), analyzed
    yield path


def _plan(path: Path, statement: object) -> list[str]:
    if isinstance(statement, FastStatement):
        text = statement.sql
        params: dict[str, object] | tuple[object, ...] = dict.fromkeys(sql_names(text), None)
    else:
        compiled = statement.compile(  # type: ignore[attr-defined]
            dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}
        )
        text, params = str(compiled), ()
    connection = sqlite3.connect(path)  # a new connection reads the statistics as they are
    try:
        return [str(row[-1]) for row in connection.execute(f"EXPLAIN QUERY PLAN {text}", params)]
    finally:
        connection.close()


def sql_names(text: str) -> set[str]:
    return set(re.findall(r"(?<!:):(\w+)", text))


@pytest.mark.parametrize("name", list(HOT))
def test_each_hot_statement_uses_its_index(database: Path, name: str):
    statement, expected = HOT[name]
    assert _plan(database, statement) == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (
            "role1",
            "SEARCH task USING INDEX ix_task_open_role (role=?)",
        ),
        (None, "SCAN task USING INDEX ix_task_open_role"),
    ],
    ids=["one role", "every role"],
)
def test_the_open_task_list_reads_the_partial_index(database: Path, role, expected):
    plan = _plan(database, open_tasks_query(role=role))
    assert plan[0] == expected, plan
