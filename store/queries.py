"""Read models: what a case worker or leader looks at. Every listing is an indexed query."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Select, select

from drejebog.app.ports import TaskView
from drejebog.engine.errors import NotFound
from drejebog.store.rows import CaseRows, case_view, task_view
from drejebog.store.tables import ASSIGNMENT, CASE, CITIZEN, HISTORY, TASK, TIMER, VERSION, WORKER
from drejebog.store.unit_of_work import case_key


class WorkerLookup:
    """The base of the stores that run each call on an Engine of their own (SqlAdmin,
    SqlReads): both look a worker up by handle."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def worker_key(self, handle: str) -> int | None:
        """The worker's store key, None if there is no such worker."""
        with self._engine.connect() as connection:
            row = connection.execute(select(WORKER.c.id).where(WORKER.c.handle == handle)).first()
        return None if row is None else int(row.id)


def open_tasks(
    connection: Connection,
    today: date,
    worker: str | None = None,
    role: str | None = None,
    overdue: bool = False,
) -> list[TaskView]:
    """Open tasks, soonest deadline first (tasks without a deadline last)."""
    worker_key = None
    if worker is not None:
        row = connection.execute(select(WORKER.c.id).where(WORKER.c.handle == worker)).first()
        if row is None:
            raise NotFound("medarbejder", worker, " (se 'drejebog worker list')")
        worker_key = row.id
    query = open_tasks_query(worker_key, role, today if overdue else None)
    return [task_view(r._mapping, today) for r in connection.execute(query)]


def open_tasks_query(
    worker_key: int | None = None, role: str | None = None, due_before: date | None = None
) -> Select[Any]:
    """The query of `open_tasks`: through the partial index of open tasks (by role and
    deadline; tests/store/test_query_plans.py)."""
    query = (
        select(
            TASK.c.id,
            TASK.c.case_id,
            TASK.c.rule,
            TASK.c.title,
            TASK.c.role,
            TASK.c.due_date,
            TASK.c.optional,
            CITIZEN.c.name.label("citizen"),
            WORKER.c.handle.label("worker"),
        )
        .join(CASE, CASE.c.id == TASK.c.case_id)
        .join(CITIZEN, CITIZEN.c.id == CASE.c.citizen_id)
        .outerjoin(
            ASSIGNMENT,
            (ASSIGNMENT.c.case_id == TASK.c.case_id) & (ASSIGNMENT.c.role == TASK.c.role),
        )
        .outerjoin(WORKER, WORKER.c.id == ASSIGNMENT.c.worker_id)
        .where(TASK.c.status == "open")
    )
    if worker_key is not None:
        query = query.where(ASSIGNMENT.c.worker_id == worker_key)
    if role is not None:
        query = query.where(TASK.c.role == role)
    if due_before is not None:
        query = query.where(TASK.c.due_date < due_before)
    return query.order_by(TASK.c.due_date.is_(None), TASK.c.due_date, TASK.c.id)


def case_details(connection: Connection, case_id: str, now: datetime) -> dict[str, Any]:
    """Everything `drejebog case show` prints, as JSON-safe data (CPR masked)."""
    key = case_key(case_id)
    row = connection.execute(
        select(CASE, CITIZEN.c.name, CITIZEN.c.cpr, VERSION.c.version, VERSION.c.title)
        .join(CITIZEN, CITIZEN.c.id == CASE.c.citizen_id)
        .join(VERSION, VERSION.c.id == CASE.c.drejebog_version_id)
        .where(CASE.c.id == key)
    ).first()
    if row is None:
        raise NotFound("sag", str(case_id))
    assignments = (
        select(ASSIGNMENT.c.role, WORKER.c.handle, WORKER.c.name)
        .join(WORKER, WORKER.c.id == ASSIGNMENT.c.worker_id)
        .where(ASSIGNMENT.c.case_id == key)
        .order_by(ASSIGNMENT.c.role)
    )
    timers = (
        select(TIMER.c.rule, TIMER.c.step, TIMER.c.kind, TIMER.c.roles, TIMER.c.due_at)
        .where(TIMER.c.case_id == key, TIMER.c.status == "pending")
        .order_by(TIMER.c.due_at, TIMER.c.id)  # those due at once in the order planned
    )
    tasks = (
        select(TASK.c.rule, TASK.c.title, TASK.c.role, TASK.c.due_date, TASK.c.status)
        .where(TASK.c.case_id == key)
        .order_by(TASK.c.created_at, TASK.c.id)
    )
    history = select(HISTORY).where(HISTORY.c.case_id == key).order_by(HISTORY.c.seq)
    rows = CaseRows(
        case=row._mapping,
        assignments=connection.execute(assignments).mappings().all(),
        timers=connection.execute(timers).mappings().all(),
        tasks=connection.execute(tasks).mappings().all(),
        history=connection.execute(history).mappings().all(),
    )
    return case_view(rows, now)
