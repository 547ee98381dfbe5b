"""The engine's Timer as a row of the timer table, both ways, from one field list.

`dataclasses.fields(Timer)` is the list: each field is stored in the column of its name
(`TIMER_RENAMED` in store/tables.py names the exceptions), so the insert statement and the
claim query (store/sql.py), the row written and the Timer read back all follow the dataclass.
Three fields change type on the way (`_CONVERTED`): the case id (text in the engine, the
case's integer key in the table), the kind (an enum, stored as its value) and the roles (a
tuple, stored as a JSON list).

Both mappings read and build the plain fields in one C-level step each (`attrgetter`,
`itemgetter`, `zip`) and convert the three others by hand: about 1.3 µs per row written and
5.4 µs per claimed timer on this machine, against 0.6 and 4.9 µs for source generated with
`exec` (the way `dataclasses` writes `__init__`), which the project does not use.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date, datetime
from operator import attrgetter, itemgetter
from typing import Any, TypedDict, cast

from drejebog.app.ports import DueTimer
from drejebog.engine.timers import Timer, TimerKind
from drejebog.store.tables import TIMER, TIMER_RENAMED

# a field marked `stored: False` (why the calendar moved a date, for the simulator) has no column
TIMER_FIELDS: tuple[str, ...] = tuple(
    field.name for field in dataclasses.fields(Timer) if field.metadata.get("stored", True)
)
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
# the fields whose value changes type between the Timer and its row (see the docstring)
_CONVERTED = ("case_id", "kind", "roles")
_PLAIN_FIELDS = tuple(field for field in TIMER_FIELDS if field not in _CONVERTED)
_PLAIN_COLUMNS = tuple(
    column
    for field, column in zip(TIMER_FIELDS, TIMER_COLUMNS, strict=True)
    if field in _PLAIN_FIELDS
)
_read_plain_fields = attrgetter(*_PLAIN_FIELDS)
# positions in a claimed row (CLAIM_COLUMNS): the key and version first, then the fields
_POSITION = {field: i for i, field in enumerate(TIMER_FIELDS, start=2)}
_pick_plain_columns = itemgetter(*(_POSITION[field] for field in _PLAIN_FIELDS))
_CASE, _KIND, _ROLES = (_POSITION[field] for field in _CONVERTED)


def timer_row(case_key: int, version_key: int, timer: Timer) -> TimerInsert:
    """The row that stores `timer` of the case with store key `case_key`, planned under the
    drejebog version `version_key`."""
    row: dict[str, Any] = dict(zip(_PLAIN_COLUMNS, _read_plain_fields(timer), strict=True))
    row["case_id"] = case_key
    row["kind"] = timer.kind.value
    row["roles"] = list(timer.roles)
    row["drejebog_version_id"] = version_key
    return cast(TimerInsert, row)  # built from the columns TimerInsert lists


def due_timer(row: Sequence[Any]) -> DueTimer:
    """A claimed row (its columns in CLAIM_COLUMNS' order) as a DueTimer."""
    plain = dict(zip(_PLAIN_FIELDS, _pick_plain_columns(row), strict=True))
    timer = Timer(
        case_id=str(row[_CASE]), kind=_KINDS[row[_KIND]], roles=tuple(row[_ROLES]), **plain
    )
    return DueTimer(id=row[0], version_key=row[1], timer=timer)
