"""The engine's Timer as a row of the timer table, both ways, from one field list.

`dataclasses.fields(Timer)` is the list: each field is stored in the column of its name
(`TIMER_RENAMED` in store/tables.py names the exceptions), so the insert statement and the
claim query (store/sql.py), the row written and the Timer read back all follow the dataclass.
Three fields change type on the way (`_CONVERTED`): the case id (text in the engine, the
case's integer key in the table), the kind (an enum, stored as its value) and the roles (a
tuple, stored as a JSON list).

The two mapping functions are generated from that list once, at import, as plain Python
source (the way `dataclasses` writes `__init__`): a loop over the fields at run time cost
1-1.5 µs more per timer than the written-out dict and call (measured), on a path that runs
for every timer an event plans and every timer the sweep claims.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, TypedDict

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


_KINDS = {kind.value: kind for kind in TimerKind}
# field -> (how the row gets it from `timer`, how the Timer gets it from the column `{}`)
_CONVERTED = {
    "case_id": ("case_key", "str({})"),  # the caller's key: the row's case, as an int
    "kind": ("timer.kind.value", "_KINDS[{}]"),
    "roles": ("list(timer.roles)", "tuple({})"),
}


def _generated(name: str, source: str) -> Callable[..., Any]:
    namespace: dict[str, Any] = {"DueTimer": DueTimer, "Timer": Timer, "_KINDS": _KINDS}
    # the source is built from the dataclass's field names and the literals above, nothing else
    exec(compile(source, f"<store.timer_rows.{name}>", "exec"), namespace)
    function: Callable[..., Any] = namespace[name]
    return function


def _row_source() -> str:
    items = [
        f"{column!r}: {_CONVERTED.get(field, (f'timer.{field}',))[0]}"
        for field, column in zip(TIMER_FIELDS, TIMER_COLUMNS, strict=True)
    ]
    items.append("'drejebog_version_id': version_key")
    return f"def timer_row(case_key, version_key, timer):\n    return {{{', '.join(items)}}}\n"


def _read(field: str, column: str) -> str:
    return _CONVERTED[field][1].format(column) if field in _CONVERTED else column


def _claim_source() -> str:
    arguments = [
        f"{field}={_read(field, f'row[{i}]')}" for i, field in enumerate(TIMER_FIELDS, start=2)
    ]
    return (
        "def due_timer(row):\n"
        f"    return DueTimer(id=row[0], version_key=row[1], timer=Timer({', '.join(arguments)}))\n"
    )


# timer_row(case_key, version_key, timer): the row that stores `timer` of the case with store
# key `case_key`, planned under the drejebog version `version_key`
timer_row: Callable[[int, int, Timer], TimerInsert] = _generated("timer_row", _row_source())
# due_timer(row): a claimed row (its columns in CLAIM_COLUMNS' order) as a DueTimer
due_timer: Callable[[Sequence[Any]], DueTimer] = _generated("due_timer", _claim_source())
