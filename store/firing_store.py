"""The sweep's reads and writes (app/firing.py, through the FiringUnitOfWork port).

Claiming is one indexed range query (ix_timer_due). On PostgreSQL the claimed rows are locked
FOR UPDATE SKIP LOCKED, so several daemons share the due timers without waiting for each
other. A timer is marked fired only while still pending: an event that cancelled it in
between wins. The recipients of a whole batch are read in a few queries.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import Connection, bindparam, func, select, update

from drejebog.app.ports import DueTimer, OutboxRow
from drejebog.app.recipients import CitizenContact, Directory
from drejebog.store import sql
from drejebog.store.driver_errors import translating
from drejebog.store.fastsql import fetch_all, run_many
from drejebog.store.rows import staff_member
from drejebog.store.tables import ASSIGNMENT, CASE, CITIZEN, TIMER, WORKER
from drejebog.store.timer_rows import due_timer

_MARK_FIRED = (
    update(TIMER)
    .where(TIMER.c.id.in_(bindparam("ids", expanding=True)), TIMER.c.status == "pending")
    .values(status="fired", fired_at=bindparam("now"))
    .returning(TIMER.c.id)
)
_NEXT_DUE = select(func.min(TIMER.c.due_at)).where(TIMER.c.status == "pending")
_ASSIGNMENTS = select(ASSIGNMENT.c.case_id, ASSIGNMENT.c.role, ASSIGNMENT.c.worker_id).where(
    ASSIGNMENT.c.case_id.in_(bindparam("keys", expanding=True))
)
_STAFF = select(
    WORKER.c.id,
    WORKER.c.handle,
    WORKER.c.name,
    WORKER.c.email,
    WORKER.c.role,
    WORKER.c.leader_id,
    WORKER.c.active,
).where(WORKER.c.id.in_(bindparam("ids", expanding=True)))
_FIRST_LEADER = (
    select(WORKER.c.id)
    .where(WORKER.c.role == "leder", WORKER.c.active.is_(True))
    .order_by(WORKER.c.id)
    .limit(1)
)
_CITIZENS = (
    select(CASE.c.id, CITIZEN.c.name, CITIZEN.c.email, CITIZEN.c.phone)
    .join(CITIZEN, CITIZEN.c.id == CASE.c.citizen_id)
    .where(CASE.c.id.in_(bindparam("keys", expanding=True)))
)


def claim_due(
    connection: Connection, now: datetime, limit: int, passing_over: Collection[int] = ()
) -> list[DueTimer]:
    """Up to `limit` due timers, soonest first, passing over the ids given (and still locking
    them on PostgreSQL: they come first, so they are read, then left)."""
    query = sql.CLAIM_SHARED if connection.dialect.name == "postgresql" else sql.CLAIM
    with translating(()):  # on no case in particular
        rows = fetch_all(connection, query, {"now": now, "limit": limit + len(passing_over)})
    return [due_timer(row) for row in rows if row[0] not in passing_over][:limit]


def mark_fired(
    connection: Connection, claimed: Sequence[DueTimer], now: datetime
) -> list[DueTimer]:
    """The claimed timers still pending, now marked fired (a lock wait that times out or a
    deadlock is a ConcurrencyConflict naming their cases)."""
    with translating(lambda: [due.timer.case_id for due in claimed]):
        marked = set(
            connection.execute(
                _MARK_FIRED, {"ids": [due.id for due in claimed], "now": now}
            ).scalars()
        )
    return [due for due in claimed if due.id in marked]


def next_due(connection: Connection) -> datetime | None:
    due: datetime | None = connection.execute(_NEXT_DUE).scalar()
    return due


def write_outbox(connection: Connection, rows: Sequence[OutboxRow]) -> None:
    if rows:
        with translating(lambda: [row["case_id"] for row in rows]):
            run_many(connection, sql.INSERT_OUTBOX, rows)


def load_directory(connection: Connection, case_keys: Collection[int]) -> Directory:
    """Who can be reached on the cases: the assigned workers and the first active leder,
    then the leaders of those, and the citizens' contact details."""
    keys = sorted(set(case_keys))
    with translating(keys):
        directory = Directory()
        for case_key, role, worker_id in connection.execute(_ASSIGNMENTS, {"keys": keys}):
            directory.assigned.setdefault(case_key, {})[role] = worker_id
        wanted = {w for roles in directory.assigned.values() for w in roles.values()}
        first_leader = connection.execute(_FIRST_LEADER).scalar()
        if first_leader is not None:
            wanted.add(first_leader)
        _load_staff(connection, directory, wanted)
        _load_staff(
            connection,
            directory,
            {s.leader_id for s in directory.staff.values() if s.leader_id is not None},
        )
        if first_leader is not None:
            directory.fallback_leader = directory.staff.get(first_leader)
        for case_key, name, email, phone in connection.execute(_CITIZENS, {"keys": keys}):
            directory.citizens[case_key] = CitizenContact(name=name, email=email, phone=phone)
    return directory


def _load_staff(connection: Connection, directory: Directory, ids: set[int]) -> None:
    missing = sorted(ids - directory.staff.keys())
    if not missing:
        return
    for row in connection.execute(_STAFF, {"ids": missing}):
        directory.staff[row.id] = staff_member(row._mapping)
