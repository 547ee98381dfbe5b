"""The hand-written SQL's typing: every value written and read through the processor
SQLAlchemy itself would use, asked for in one place (`fastsql.processors`)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import Column
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlmodel import SQLModel

from drejebog.store import sql
from drejebog.store.fastsql import FastQuery, FastStatement, processors
from drejebog.store.tables import CASE, TIMER
from tests.store.conftest import ANNA_CPR
from tests.store.test_case_service import REHAB

DIALECTS = [sqlite.dialect(), postgresql.psycopg.dialect()]
COLUMNS = [
    pytest.param(column, id=f"{table.name}.{column.name}")
    for table in SQLModel.metadata.sorted_tables
    for column in table.columns
]


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
@pytest.mark.parametrize("column", COLUMNS)
def test_processors_are_sqlalchemys_own(column: Column[Any], dialect: Dialect) -> None:
    """`processors()` asks SQLAlchemy's public `dialect_impl()`; SQLAlchemy's compiled
    statements use its private per-dialect cache. If a release of SQLAlchemy makes the two
    differ (or renames the private ones), this fails, loudly, before a row is written wrong."""
    bind, result = processors(column.type, dialect)
    own_bind = column.type._cached_bind_processor(dialect)
    own_result = column.type._cached_result_processor(dialect, None)
    assert (bind is None) == (own_bind is None)
    assert (result is None) == (own_result is None)
    if bind is not None and own_bind is not None:
        assert getattr(bind, "__code__", bind) == getattr(own_bind, "__code__", own_bind)
    if result is not None and own_result is not None:
        assert getattr(result, "__code__", result) == getattr(own_result, "__code__", own_result)


def test_a_parameter_named_like_a_column_takes_the_columns_type() -> None:
    statement = FastStatement(
        "UPDATE timer SET fired_at = :fired_at, status = :status WHERE due_at < :now",
        TIMER,
        {"now": TIMER.c.due_at.type},
    )
    assert statement.types == {
        "fired_at": TIMER.c.fired_at.type,
        "status": TIMER.c.status.type,
        "now": TIMER.c.due_at.type,
    }


def test_a_query_reads_each_result_column_as_its_column() -> None:
    query = FastQuery("SELECT id, facts AS f FROM case", [CASE.c.id, ("f", CASE.c.facts)])
    assert query.columns == [("id", CASE.c.id.type), ("f", CASE.c.facts.type)]


def test_every_statement_binds_only_names_it_has_types_or_plain_values_for() -> None:
    """A typo in a parameter name would bind untyped: every typed name is in the SQL."""
    statements = [value for value in vars(sql).values() if isinstance(value, FastStatement)]
    assert len(statements) >= 10
    for statement in statements:
        for name in statement.types:
            assert f":{name}" in statement.sql, (statement.sql, name)


def test_json_columns_are_stored_compact_with_danish_letters_as_themselves(staffed_backend):
    if staffed_backend.name == "memory":
        pytest.skip("the in-memory store keeps Python objects, not JSON text")
    case_id = staffed_backend.cases.open_case(
        ANNA_CPR, "mini", "anna_s", assignments={"sagsbehandler": "anna_s"}
    ).case_id
    staffed_backend.cases.apply_event(
        case_id, "rehab_holdt", REHAB, "anna_s", reason="mødet blev holdt på rådhuset"
    )
    with staffed_backend.app.engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT CAST(data AS TEXT) FROM case_history").all()
    assert stored
    for (text,) in stored:
        assert ": " not in text and ", " not in text and "\\u" not in text, text
        json.loads(text)
    assert any("mødet blev holdt på rådhuset" in text for (text,) in stored)
