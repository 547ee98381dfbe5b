"""The leader's overview in SQL: the `TeamOverviewStore` port of app/ports.py. Three
statements: the team's open cases (through the assignments' worker index), then their roles
and their fired escalation steps by the cases' keys (the timers' natural key starts with the
case)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select

from drejebog.app.ports import TeamCase
from drejebog.store.queries import WorkerLookup
from drejebog.store.tables import ASSIGNMENT, CASE, CITIZEN, TIMER, WORKER


class SqlTeamOverview(WorkerLookup):
    def team_cases(self, worker_ids: tuple[int, ...], limit: int) -> list[TeamCase]:
        if not worker_ids:
            return []
        scoped = select(ASSIGNMENT.c.case_id).where(ASSIGNMENT.c.worker_id.in_(worker_ids))
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(CASE.c.id, CITIZEN.c.name, CASE.c.drejebog_id)
                .join(CITIZEN, CITIZEN.c.id == CASE.c.citizen_id)
                .where(CASE.c.id.in_(scoped), CASE.c.closed_at.is_(None))
                .order_by(CASE.c.id)
                .limit(limit)
            ).all()
            keys = [r.id for r in rows]
            roles: dict[int, list[tuple[str, str]]] = defaultdict(list)
            fired: dict[int, list[tuple[str, int]]] = defaultdict(list)
            for start in range(0, len(keys), 500):  # bounded IN lists
                chunk = keys[start : start + 500]
                for case_id, role, handle in connection.execute(
                    select(ASSIGNMENT.c.case_id, ASSIGNMENT.c.role, WORKER.c.handle)
                    .join(WORKER, WORKER.c.id == ASSIGNMENT.c.worker_id)
                    .where(ASSIGNMENT.c.case_id.in_(chunk))
                    .order_by(ASSIGNMENT.c.case_id, ASSIGNMENT.c.role)
                ):
                    roles[case_id].append((role, handle))
                for case_id, rule, count in connection.execute(
                    select(TIMER.c.case_id, TIMER.c.rule, func.count())
                    .where(
                        TIMER.c.case_id.in_(chunk),
                        TIMER.c.kind == "escalation",
                        TIMER.c.status == "fired",
                    )
                    .group_by(TIMER.c.case_id, TIMER.c.rule)
                    .order_by(TIMER.c.case_id, TIMER.c.rule)
                ):
                    fired[case_id].append((rule, int(count)))
        return [
            TeamCase(r.id, r.name, r.drejebog_id, tuple(roles[r.id]), tuple(fired[r.id]))
            for r in rows
        ]
