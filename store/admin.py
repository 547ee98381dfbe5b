"""Staff, citizens and stored drejebog versions in SQL: the `AdminStore` port of app/ports.py.
The rules (valid handles, a version never changes) are app/admin.py's."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import asdict
from datetime import datetime

from sqlalchemy import insert, select, tuple_
from sqlalchemy.exc import IntegrityError

from drejebog.app.ports import NewVersion, NewWorker, WorkerListing
from drejebog.engine.errors import NotFound
from drejebog.store.driver_errors import constraint_name, translate
from drejebog.store.queries import WorkerLookup
from drejebog.store.tables import CITIZEN, VERSION, WORKER

__all__ = ["CPR_TAKEN", "HANDLE_TAKEN", "SqlAdmin"]

HANDLE_TAKEN = "worker_handle_key"  # UNIQUE(worker.handle), as store/driver_errors.py names it
CPR_TAKEN = "citizen_cpr_key"  # UNIQUE(citizen.cpr)


class SqlAdmin(WorkerLookup):
    """The `AdminStore` port; worker_key is WorkerLookup's."""

    def workers(self) -> list[WorkerListing]:
        leader = WORKER.alias("leader")
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(WORKER, leader.c.handle.label("leader_handle"))
                .outerjoin(leader, leader.c.id == WORKER.c.leader_id)
                .order_by(WORKER.c.handle)
            ).all()
        return [
            WorkerListing(r.handle, r.name, r.role, r.team, r.email, r.leader_handle) for r in rows
        ]

    def add_worker(self, worker: NewWorker) -> int | None:
        values = asdict(worker)
        leader = values.pop("leader")
        try:
            with self._engine.begin() as connection:
                leader_id = None
                if leader:
                    leader_id = connection.execute(
                        select(WORKER.c.id).where(WORKER.c.handle == leader)
                    ).scalar()
                    if leader_id is None:
                        raise NotFound("leder", leader, " (opret lederen først)")
                result = connection.execute(
                    insert(WORKER).values(**values, leader_id=leader_id, active=True)
                )
        except IntegrityError as exc:
            if constraint_name(exc) == HANDLE_TAKEN:
                return None
            raise translate(exc, ()) from exc
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def add_citizen(self, cpr: str, name: str, email: str, phone: str) -> bool:
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    insert(CITIZEN).values(cpr=cpr, name=name, email=email, phone=phone)
                )
        except IntegrityError as exc:
            if constraint_name(exc) == CPR_TAKEN:
                return False
            raise translate(exc, ()) from exc
        return True

    def content_hashes(self, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], str]:
        if not keys:
            return {}
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(VERSION.c.drejebog_id, VERSION.c.version, VERSION.c.content_hash).where(
                    tuple_(VERSION.c.drejebog_id, VERSION.c.version).in_(list(keys))
                )
            ).all()
        return {(r.drejebog_id, r.version): r.content_hash for r in rows}

    def store_versions(self, versions: Sequence[NewVersion], now: datetime) -> None:
        with self._engine.begin() as connection:
            for item in versions:
                connection.execute(
                    insert(VERSION).values(
                        drejebog_id=item.drejebog.id,
                        version=item.drejebog.version,
                        title=item.drejebog.title,
                        content_hash=item.drejebog.content_hash,
                        source_name=item.source_name,
                        source_text=item.source_text,
                        loaded_at=now,
                        loaded_by=item.loaded_by,
                    )
                )
