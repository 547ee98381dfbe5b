"""The engine's Timer as a row of the timer table, both ways, from one field list.

`dataclasses.fields(Timer)` is the list: each field is stored in the column of its name
(`TIMER_RENAMED` in store/tables.py names the exceptions), so the insert statement and the
claim query (store/sql.py), the row written and the Timer read back all follow the dataclass.
Three fields change type on the way: the case id (text in the engine, the case's integer key
in the table), the kind (an enum, stored as its value) and the roles (a tuple, stored as a
JSON list).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date, datetime
from operator import attrgetter
from typing import Any, TypedDict, cast

from drejebog.app.ports import DueTimer
from drejebog.engine.timers import Timer, TimerKind
from drejebog.store.tables import TIMER, TIMER_RENAMED

TIMER_FIELDS: tuple[str, ...] = tuple(field.name for field in dataclasses.fields(Timer))
# the column of each field, in the fields' order
TIMER_COLUMNS: tuple[str, ...] = tuple(TIMER_RENAMED.get(name, name) for name in TIMER_FIELDS)
# what the claim query reads: the row's key and planned version, then the timer's columns
CLAIM_COLUMNS: tuple[str, ...] = ("id", "drejebog_version_id", *TIMER_COLUMNS)
# what an insert writes: the timer's columns and its version (the status is 'pending')
INSERT_COLUMNS: tuple[str, ...] = (*TIMER_COLUMNS, "drejebog_version_id")

_missing = set(CLAIM_COLUMNS) - set(TIMER.c.keys())
if _missing:  # a field added to Timer needs its column (and a migration) first
    raise RuntimeError(f"tabellen timer mangler kolonner til Timer-felterne: {sorted(_missing)}")

_KINDS = {kind.value: kind for kind in TimerKind}
_values = attrgetter(*TIMER_FIELDS)


class TimerInsert(TypedDict):
    """One timer row to insert (tests/store/test_timer_rows.py keeps it equal to the
    columns above)."""

    due_at: datetime
    case_id: int
    rule: str
    occurrence: str
    step: str
    kind: str
    roles: list[str]
    due_date: date
    idx: int
    anchor: date
    k: int
    drejebog_version_id: int


def timer_row(case_key: int, version_key: int, timer: Timer) -> TimerInsert:
    """The row that stores `timer` of the case with store key `case_key`."""
    row: dict[str, Any] = dict(zip(TIMER_COLUMNS, _values(timer), strict=True))
    row["case_id"] = case_key
    row["kind"] = timer.kind.value
    row["roles"] = list(timer.roles)
    row["drejebog_version_id"] = version_key
    return cast(TimerInsert, row)


def due_timer(row: Sequence[Any]) -> DueTimer:
    """A claimed row (its columns in CLAIM_COLUMNS' order) as a DueTimer."""
    fields = dict(zip(TIMER_FIELDS, row[2:], strict=True))
    fields["case_id"] = str(fields["case_id"])
    fields["kind"] = _KINDS[fields["kind"]]
    fields["roles"] = tuple(fields["roles"])
    return DueTimer(row[0], row[1], Timer(**fields))
