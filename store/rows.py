"""The ports' dataclasses read from table rows, each mapping written once for the SQL store
(which passes a result row's `._mapping`) and the in-memory store (whose rows are dicts).
The keys are the column names of store/tables.py."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drejebog.app.ports import ClaimedMessage, InboxMessage, OutboxEntry
from drejebog.app.recipients import StaffMember

# a row from either store: RowMapping's keys are typed Any
TableRow = Mapping[Any, Any]


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


def claimed_message(row: TableRow) -> ClaimedMessage:
    """An outbox row claimed for delivery."""
    return ClaimedMessage(
        id=row["id"],
        case_id=row["case_id"],
        kind=row["kind"],
        role=row["role"],
        channel=row["channel"],
        recipient=row["recipient"],
        subject=row["subject"],
        text=row["body_text"],
    )


def outbox_entry(row: TableRow) -> OutboxEntry:
    """An outbox row as `drejebog outbox` lists it."""
    return OutboxEntry(
        id=row["id"],
        case_id=row["case_id"],
        channel=row["channel"],
        recipient=row["recipient"],
        subject=row["subject"],
        status=row["status"],
        attempts=row["attempts"],
        last_error=row["last_error"],
        next_attempt_at=row["next_attempt_at"],
    )


def inbox_message(row: TableRow) -> InboxMessage:
    """An outbox row of a worker's inbox."""
    return InboxMessage(
        id=row["id"],
        case_id=row["case_id"],
        kind=row["kind"],
        subject=row["subject"],
        text=row["body_text"],
        created_at=row["created_at"],
        read_at=row["read_at"],
    )
