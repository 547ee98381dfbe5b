"""Accounts, team scoping and the access log in SQL: the `AccountStore` and `AccessStore`
ports of app/ports.py. The rules (who may see a case, password hashing) are app/accounts.py's
and app/access.py's; the access log is only ever inserted into and read here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, insert, or_, select
from sqlalchemy.exc import IntegrityError

from drejebog.app.ports import AccessEntry, CaseParties, CaseSummary, StoredAccount, TeamMember
from drejebog.engine.errors import NotFound
from drejebog.store.driver_errors import translate
from drejebog.store.queries import WorkerLookup
from drejebog.store.tables import ACCESS_LOG, ACCOUNT, ASSIGNMENT, CASE, CITIZEN, WORKER
from drejebog.store.unit_of_work import case_key


class SqlAccess(WorkerLookup):
    """Both ports over one Engine, each call a short transaction of its own."""

    # -- accounts ----------------------------------------------------------------------------

    def account(self, handle: str) -> StoredAccount | None:
        with self._engine.connect() as connection:
            row = connection.execute(select(ACCOUNT).where(ACCOUNT.c.handle == handle)).first()
        if row is None:
            return None
        return StoredAccount(row.handle, row.password_hash, row.role, bool(row.disabled))

    def add_account(self, handle: str, password_hash: str, role: str, at: datetime) -> bool:
        try:
            with self._engine.begin() as connection:
                known = connection.execute(
                    select(WORKER.c.id).where(WORKER.c.handle == handle)
                ).first()
                if known is None:
                    raise NotFound("medarbejder", handle, " (opret medarbejderen først)")
                taken = connection.execute(
                    select(ACCOUNT.c.handle).where(ACCOUNT.c.handle == handle)
                ).first()
                if taken is not None:
                    return False
                connection.execute(
                    insert(ACCOUNT).values(
                        handle=handle,
                        password_hash=password_hash,
                        role=role,
                        created_at=at,
                        disabled=False,
                    )
                )
        except IntegrityError as exc:  # two at once: the primary key keeps one
            raise translate(exc, ()) from exc
        return True

    # -- team scoping ------------------------------------------------------------------------

    def team_member(self, handle: str) -> TeamMember | None:
        with self._engine.connect() as connection:
            row = connection.execute(
                select(WORKER.c.id, WORKER.c.handle, WORKER.c.leader_id).where(
                    WORKER.c.handle == handle
                )
            ).first()
        return None if row is None else TeamMember(row.id, row.handle, row.leader_id)

    def team(self, lead_id: int) -> list[TeamMember]:
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(WORKER.c.id, WORKER.c.handle, WORKER.c.leader_id)
                .where(
                    or_(WORKER.c.id == lead_id, WORKER.c.leader_id == lead_id),
                    WORKER.c.active.is_(True),
                )
                .order_by(WORKER.c.handle)
            ).all()
        return [TeamMember(r.id, r.handle, r.leader_id) for r in rows]

    def case_parties(self, case_id: str) -> CaseParties:
        key = case_key(case_id)
        with self._engine.connect() as connection:
            citizen = connection.execute(select(CASE.c.citizen_id).where(CASE.c.id == key)).scalar()
            if citizen is None:
                raise NotFound("sag", str(key))
            rows = connection.execute(
                select(WORKER.c.id, WORKER.c.handle, WORKER.c.leader_id)
                .join(ASSIGNMENT, ASSIGNMENT.c.worker_id == WORKER.c.id)
                .where(ASSIGNMENT.c.case_id == key)
                .order_by(WORKER.c.id)
            ).all()
        workers = tuple(TeamMember(r.id, r.handle, r.leader_id) for r in rows)
        return CaseParties(key, int(citizen), workers)

    # -- the access log: insert and read, nothing else ---------------------------------------

    def log_access(self, entry: AccessEntry) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                insert(ACCESS_LOG).values(
                    at=entry.at,
                    handle=entry.handle,
                    case_id=entry.case_id,
                    citizen_id=entry.citizen_id,
                    action=entry.action,
                    source=entry.source,
                )
            )

    def access_log(self, case_id: int) -> list[AccessEntry]:
        return self._entries(ACCESS_LOG.c.case_id == case_id)

    def _entries(self, where: ColumnElement[bool]) -> list[AccessEntry]:
        """The access log's rows that `where` picks, oldest first."""
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(ACCESS_LOG).where(where).order_by(ACCESS_LOG.c.at, ACCESS_LOG.c.id)
            ).all()
        return [
            AccessEntry(r.at, r.handle, r.case_id, r.citizen_id, r.action, r.source) for r in rows
        ]

    def cases_of(self, handle: str) -> list[CaseSummary]:
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(
                    CASE.c.id,
                    CITIZEN.c.name,
                    CASE.c.drejebog_id,
                    CASE.c.state,
                    ASSIGNMENT.c.role,
                )
                .join(ASSIGNMENT, ASSIGNMENT.c.case_id == CASE.c.id)
                .join(WORKER, WORKER.c.id == ASSIGNMENT.c.worker_id)
                .join(CITIZEN, CITIZEN.c.id == CASE.c.citizen_id)
                .where(WORKER.c.handle == handle, CASE.c.closed_at.is_(None))
                .order_by(CASE.c.id, ASSIGNMENT.c.role)
            ).all()
        return [CaseSummary(r.id, r.name, r.drejebog_id, r.state, r.role) for r in rows]
