"""The ports' dataclasses read from table rows, each mapping written once for the SQL store
(which passes a result row's `._mapping`) and the in-memory store (whose rows are dicts).
The keys are the column names of store/tables.py."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar

from drejebog.app.ports import ClaimedMessage, InboxMessage, OutboxEntry
from drejebog.app.recipients import StaffMember

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

# a row from either store: RowMapping's keys are typed Any
TableRow = Mapping[Any, Any]
T = TypeVar("T", bound="DataclassInstance")


def staff_member(row: TableRow) -> StaffMember:
    """A worker row as the recipients' directory and the digest see it."""
    return StaffMember(
        id=row["id"],
        handle=row["handle"],
        name=row["name"],
        email=row["email"],
        role=row["role"],
        leader_id=row["leader_id"],
        active=bool(row["active"]),
    )


def _reader(cls: type[T], **columns: str) -> Callable[[TableRow], T]:
    """A function reading a `cls` from a row, each field from the column of its name, or of
    the name given in `columns`; the field list is the dataclass's, written nowhere else."""
    pairs = tuple((f.name, columns.get(f.name, f.name)) for f in fields(cls))

    def read(row: TableRow) -> T:
        return cls(**{name: row[column] for name, column in pairs})

    read.__doc__ = f"A {cls.__name__} read from a row."
    return read


claimed_message = _reader(ClaimedMessage, text="body_text")
outbox_entry = _reader(OutboxEntry)
inbox_message = _reader(InboxMessage, text="body_text")
