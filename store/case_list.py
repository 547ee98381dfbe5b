"""The case list in SQL: the `CaseListStore` port of app/ports.py, for app/case_list.py.

One statement per page: the cases where a worker of the viewer's scope holds a role (through
the assignments' worker index, `ix_assignment_worker_id`), then the filters, newest first,
LIMIT/OFFSET bounded by the page size. The roles and the overdue counts of the page's cases
(at most a page) follow in one statement each, by the case keys. A CPR search is an equality
on the citizens' unique CPR index; a name search is a LIKE on the scoped rows only.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Select, exists, func, or_, select

from drejebog.app.ports import CaseListQuery, ListedCase
from drejebog.engine.cpr import parse_cpr
from drejebog.store.queries import WorkerLookup
from drejebog.store.tables import ASSIGNMENT, CASE, CITIZEN, TASK, VERSION, WORKER


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _overdue(query: CaseListQuery) -> tuple[Any, ...]:
    return (TASK.c.status == "open", TASK.c.due_date < query.today)


def case_list_query(query: CaseListQuery) -> Select[Any]:
    scoped = select(ASSIGNMENT.c.case_id).where(ASSIGNMENT.c.worker_id.in_(query.scope.worker_ids))
    statement = (
        select(
            CASE.c.id,
            CASE.c.citizen_id,
            CASE.c.drejebog_id,
            CASE.c.state,
            CASE.c.opened_at,
            CASE.c.closed_at,
            CITIZEN.c.name,
            CITIZEN.c.cpr,
        )
        .join(CITIZEN, CITIZEN.c.id == CASE.c.citizen_id)
        .where(CASE.c.id.in_(scoped))
    )
    if query.case_ids is not None:
        statement = statement.where(CASE.c.id.in_(query.case_ids))
    if not query.closed:
        statement = statement.where(CASE.c.closed_at.is_(None))
    if query.drejebog is not None:
        statement = statement.where(CASE.c.drejebog_id == query.drejebog)
    if query.version is not None:
        on_version = select(VERSION.c.id).where(VERSION.c.version == query.version)
        if query.drejebog is not None:
            on_version = on_version.where(VERSION.c.drejebog_id == query.drejebog)
        statement = statement.where(CASE.c.drejebog_version_id.in_(on_version))
    if query.state is not None:
        statement = statement.where(CASE.c.state == query.state)
    if query.worker is not None:
        held = (
            select(ASSIGNMENT.c.case_id)
            .join(WORKER, WORKER.c.id == ASSIGNMENT.c.worker_id)
            .where(WORKER.c.handle == query.worker)
        )
        statement = statement.where(CASE.c.id.in_(held))
    if query.overdue:
        statement = statement.where(exists().where(*_overdue(query), TASK.c.case_id == CASE.c.id))
    if query.cpr is not None:
        statement = statement.where(CITIZEN.c.cpr == query.cpr)
    if query.name is not None:
        words = [w for w in query.name.split() if w]
        statement = statement.where(
            *(CITIZEN.c.name.ilike(f"%{_escaped(word)}%", escape="\\") for word in words)
        )
    return statement.order_by(CASE.c.id.desc()).limit(query.limit).offset(query.offset)


class SqlCaseList(WorkerLookup):
    def team_ids(self, lead_id: int) -> tuple[int, ...]:
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(WORKER.c.id).where(
                    or_(WORKER.c.id == lead_id, WORKER.c.leader_id == lead_id)
                )
            ).all()
        return tuple(sorted(r.id for r in rows))

    def list_cases(self, query: CaseListQuery) -> list[ListedCase]:
        with self._engine.connect() as connection:
            rows = connection.execute(case_list_query(query)).all()
            keys = [r.id for r in rows]
            workers: dict[int, list[str]] = defaultdict(list)
            overdue: dict[int, int] = {}
            if keys:
                for case_id, role, handle in connection.execute(
                    select(ASSIGNMENT.c.case_id, ASSIGNMENT.c.role, WORKER.c.handle)
                    .join(WORKER, WORKER.c.id == ASSIGNMENT.c.worker_id)
                    .where(ASSIGNMENT.c.case_id.in_(keys))
                    .order_by(ASSIGNMENT.c.case_id, ASSIGNMENT.c.role)
                ):
                    workers[case_id].append(f"{role}: {handle}")
                overdue = {
                    case_id: count
                    for case_id, count in connection.execute(
                        select(TASK.c.case_id, func.count())
                        .where(TASK.c.case_id.in_(keys), *_overdue(query))
                        .group_by(TASK.c.case_id)
                    )
                }
        return [
            ListedCase(
                case_id=r.id,
                citizen_id=r.citizen_id,
                citizen=r.name,
                cpr_masked=parse_cpr(r.cpr).masked,
                drejebog_id=r.drejebog_id,
                state=r.state,
                opened_at=r.opened_at,
                closed=r.closed_at is not None,
                workers=tuple(workers[r.id]),
                overdue_tasks=overdue.get(r.id, 0),
            )
            for r in rows
        ]
