"""The timer row is defined once: the engine's Timer, mapped to the timer table's columns."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from typing import get_type_hints

from drejebog.engine.timers import Timer, TimerKind
from drejebog.store import sql
from drejebog.store.tables import TIMER, TIMER_RENAMED
from drejebog.store.timer_rows import (
    CLAIM_COLUMNS,
    INSERT_COLUMNS,
    TIMER_COLUMNS,
    TimerInsert,
    due_timer,
    timer_row,
)

TIMER_ = Timer(
    due_at=datetime(2027, 3, 12, 7, tzinfo=UTC),
    case_id="17",
    rule="overdragelse",
    occurrence="p3",
    step="påmindelse.1",
    kind=TimerKind.REMINDER,
    roles=("sagsbehandler", "borger"),
    due_date=date(2027, 3, 15),
    index=1,
    anchor=date(2027, 3, 1),
    k=2,
)


def test_every_field_of_the_timer_has_its_column() -> None:
    fields = [field.name for field in dataclasses.fields(Timer)]
    # why the calendar moved a date is for the simulator's eyes only (engine/timers.py)
    unstored = {"due_moved", "day_moved"}
    stored = [name for name in fields if name not in unstored]
    assert list(TIMER_COLUMNS) == [TIMER_RENAMED.get(name, name) for name in stored]
    assert set(CLAIM_COLUMNS) <= set(TIMER.c.keys())
    assert set(TIMER.c.keys()) - set(CLAIM_COLUMNS) == {"status", "fired_at"}


def test_the_typed_row_is_the_insert_statements_columns() -> None:
    assert set(get_type_hints(TimerInsert)) == set(INSERT_COLUMNS)
    for column in INSERT_COLUMNS:
        assert f":{column}" in sql.INSERT_TIMER.sql


def test_a_timer_written_and_claimed_back_is_the_same_timer() -> None:
    row = timer_row(17, 4, TIMER_)
    assert row["case_id"] == 17 and row["idx"] == 1 and row["kind"] == "reminder"
    assert row["roles"] == ["sagsbehandler", "borger"] and row["drejebog_version_id"] == 4
    claimed = due_timer([99, row["drejebog_version_id"], *(row[c] for c in TIMER_COLUMNS)])
    assert (claimed.id, claimed.version_key, claimed.timer) == (99, 4, TIMER_)
    assert claimed.case_key == 17
