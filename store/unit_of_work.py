"""The SQL implementation of the engine's CaseUnitOfWork: one instance, one transaction.

Hot path statements are SQLAlchemy Core (one event is a handful of indexed statements);
driver errors are translated into the engine's errors here.
"""

from __future__ import annotations

from datetime import datetime
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from engine.codec import facts_to_json, runtime_to_json, snapshot_from_json
from engine.cpr import InvalidCpr, parse_cpr
from engine.errors import ConcurrencyConflict, NotFound, StoreError
from engine.model import Drejebog
from engine.ports import AppliedEvent, HistoryNote, StoredCase
from engine.runtime import Step
from store.drejebog_cache import DrejebogCache
from store.tables import ASSIGNMENT, CASE, CITIZEN, HISTORY, TASK, TIMER, VERSION, WORKER


def case_key(case_id: str) -> int:
    text = str(case_id).strip().removeprefix("S").removeprefix("s")
    if not text.isdigit():
        raise NotFound("sag", str(case_id), " (et sagsnummer er et tal, fx 17)")
    return int(text)


def is_conflict(exc: DBAPIError) -> bool:
    """A lost race with another writer: retrying the whole operation can succeed."""
    text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
    return any(
        marker in text
        for marker in ("database is locked", "could not serialize", "deadlock detected")
    )


class SqlUnitOfWork:
    def __init__(self, engine: Engine, cache: DrejebogCache) -> None:
        self._engine = engine
        self._cache = cache
        self._connection: Connection | None = None

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            raise RuntimeError("SqlUnitOfWork must be used in a with-block")
        return self._connection

    def __enter__(self) -> SqlUnitOfWork:
        try:
            self._connection = self._engine.connect()
            self._connection.begin()
        except DBAPIError as exc:
            raise StoreError(f"databasen kan ikke nås: {exc.orig}", retryable=True) from exc
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        connection = self._connection
        self._connection = None
        if connection is None:
            return
        try:
            if connection.in_transaction():
                connection.rollback()
        finally:
            connection.close()

    def commit(self) -> None:
        try:
            self.connection.commit()
        except OperationalError as exc:
            if is_conflict(exc):
                raise ConcurrencyConflict("?") from exc
            raise StoreError(f"databasefejl ved commit: {exc.orig}", retryable=True) from exc

    # -- drejebøger ------------------------------------------------------------------------

    def drejebog_version(self, version_key: int) -> Drejebog:
        row = self.connection.execute(
            select(VERSION.c.content_hash, VERSION.c.source_name, VERSION.c.source_text).where(
                VERSION.c.id == version_key
            )
        ).one()
        return self._cache.get(row.content_hash, row.source_name, row.source_text)

    def drejebog_by_version(self, drejebog_id: str, version: str) -> tuple[int, Drejebog]:
        row = self.connection.execute(
            select(VERSION.c.id).where(
                VERSION.c.drejebog_id == drejebog_id, VERSION.c.version == version
            )
        ).first()
        if row is None:
            versions = self.connection.execute(
                select(VERSION.c.version)
                .where(VERSION.c.drejebog_id == drejebog_id)
                .order_by(VERSION.c.id)
            ).scalars()
            known = ", ".join(versions) or "ingen"
            raise NotFound("version", f"{drejebog_id} {version}", f" (indlæste versioner: {known})")
        return row.id, self.drejebog_version(row.id)

    def running_cases(self, drejebog_id: str) -> list[tuple[str, int, str]]:
        rows = self.connection.execute(
            select(CASE.c.id, CASE.c.drejebog_version_id, CASE.c.state)
            .where(CASE.c.drejebog_id == drejebog_id, CASE.c.closed_at.is_(None))
            .order_by(CASE.c.id)
        )
        return [(str(r.id), r.drejebog_version_id, r.state) for r in rows]

    def latest_drejebog(self, drejebog_id: str) -> tuple[int, Drejebog]:
        row = self.connection.execute(
            select(VERSION.c.id)
            .where(VERSION.c.drejebog_id == drejebog_id)
            .order_by(VERSION.c.id.desc())
            .limit(1)
        ).first()
        if row is None:
            known = self.connection.execute(select(VERSION.c.drejebog_id).distinct()).scalars()
            names = ", ".join(sorted(known)) or "ingen; kør 'drejebog load workflows/'"
            raise NotFound("drejebog", drejebog_id, f" (indlæste drejebøger: {names})")
        return row.id, self.drejebog_version(row.id)

    # -- cases -----------------------------------------------------------------------------

    def citizen_id(self, citizen_ref: str) -> tuple[int, str]:
        try:
            cpr = parse_cpr(citizen_ref).formatted
        except InvalidCpr as exc:
            raise NotFound("borger", "?", f": {exc}") from exc
        row = self.connection.execute(
            select(CITIZEN.c.id, CITIZEN.c.name).where(CITIZEN.c.cpr == cpr)
        ).first()
        if row is None:
            raise NotFound("borger", parse_cpr(cpr).masked, " (opret borgeren først)")
        return row.id, row.name

    def create_case(
        self, citizen_ref: str, version_key: int, drejebog_id: str, at: datetime
    ) -> tuple[str, str]:
        citizen, name = self.citizen_id(citizen_ref)
        result = self.connection.execute(
            insert(CASE).values(
                citizen_id=citizen,
                drejebog_id=drejebog_id,
                drejebog_version_id=version_key,
                state="",
                facts={},
                runtime={},
                opened_at=at,
                entered_at=at,
                lock_version=0,
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        return str(key[0]), name

    def worker_id(self, handle: str) -> int:
        row = self.connection.execute(select(WORKER.c.id).where(WORKER.c.handle == handle)).first()
        if row is None:
            raise NotFound("medarbejder", handle, " (se 'drejebog worker list')")
        return int(row.id)

    def assign(self, case_id: str, role: str, worker_ref: str) -> None:
        key = case_key(case_id)
        worker = self.worker_id(worker_ref)
        self.connection.execute(
            delete(ASSIGNMENT).where(ASSIGNMENT.c.case_id == key, ASSIGNMENT.c.role == role)
        )
        self.connection.execute(insert(ASSIGNMENT).values(case_id=key, role=role, worker_id=worker))

    def load_case(self, case_id: str) -> StoredCase:
        key = case_key(case_id)
        row = self.connection.execute(
            select(CASE, CITIZEN.c.name.label("citizen_name"))
            .join(CITIZEN, CITIZEN.c.id == CASE.c.citizen_id)
            .where(CASE.c.id == key)
        ).first()
        if row is None:
            raise NotFound("sag", str(case_id))
        drejebog = self.drejebog_version(row.drejebog_version_id)
        snapshot = snapshot_from_json(
            drejebog,
            str(key),
            row.state,
            row.facts,
            row.runtime,
            row.entered_at,
            row.citizen_name,
        )
        return StoredCase(snapshot, drejebog, row.drejebog_version_id, row.lock_version)

    def applied_event(self, event_id: str) -> AppliedEvent | None:
        row = self.connection.execute(
            select(HISTORY.c.case_id, HISTORY.c.event).where(HISTORY.c.event_id == event_id)
        ).first()
        return AppliedEvent(str(row.case_id), row.event) if row is not None else None

    def save_step(
        self, case: StoredCase, step: Step, note: HistoryNote, version_key: int | None = None
    ) -> None:
        try:
            self._save_step(case, step, note, version_key or case.version_key)
        except IntegrityError as exc:
            if "event_id" in str(exc.orig):
                raise ConcurrencyConflict(case.snapshot.id) from exc
            raise StoreError(
                f"sag {case.snapshot.id}: databasen afviste ændringen: {exc.orig}"
            ) from exc
        except OperationalError as exc:
            if is_conflict(exc):
                raise ConcurrencyConflict(case.snapshot.id) from exc
            raise StoreError(f"databasefejl: {exc.orig}", retryable=True) from exc

    def _save_step(self, case: StoredCase, step: Step, note: HistoryNote, version_key: int) -> None:
        key = case_key(step.case.id)
        new = step.case
        drejebog = (
            case.drejebog if version_key == case.version_key else self.drejebog_version(version_key)
        )
        final = drejebog.states[new.state].final
        changed = self.connection.execute(
            update(CASE)
            .where(CASE.c.id == key, CASE.c.lock_version == case.lock_version)
            .values(
                state=new.state,
                facts=facts_to_json(dict(new.facts)),
                runtime=runtime_to_json(new),
                entered_at=new.entered_at,
                closed_at=note.at if final else None,
                lock_version=case.lock_version + 1,
                drejebog_version_id=version_key,
            )
        )
        if changed.rowcount != 1:
            raise ConcurrencyConflict(step.case.id)
        if step.cancel_due_from is not None:
            self.connection.execute(
                update(TIMER)
                .where(
                    TIMER.c.case_id == key,
                    TIMER.c.status == "pending",
                    TIMER.c.due_at >= step.cancel_due_from,
                )
                .values(status="cancelled")
            )
        if step.cancel_rules:
            self.connection.execute(
                update(TIMER)
                .where(
                    TIMER.c.case_id == key,
                    TIMER.c.status == "pending",
                    TIMER.c.rule.in_(sorted(set(step.cancel_rules))),
                )
                .values(status="cancelled")
            )
        if step.schedule:
            self.connection.execute(
                insert(TIMER),
                [self._timer_row(key, version_key, t) for t in step.schedule],
            )
        self._write_tasks(key, step, drejebog, note.at)
        self.connection.execute(
            insert(HISTORY).values(
                case_id=key,
                seq=case.lock_version + 1,
                at=note.at,
                actor=note.actor,
                kind=note.kind,
                event=note.event,
                event_id=note.event_id,
                from_state=note.from_state,
                to_state=note.to_state,
                data=dict(note.data),
            )
        )

    @staticmethod
    def _timer_row(case_key_: int, version_key: int, timer: Any) -> dict[str, Any]:
        return {
            "case_id": case_key_,
            "drejebog_version_id": version_key,
            "rule": timer.rule,
            "occurrence": timer.occurrence,
            "step": timer.step,
            "kind": timer.kind.value,
            "roles": list(timer.roles),
            "due_at": timer.due_at,
            "due_date": timer.due_date,
            "idx": timer.index,
            "anchor": timer.anchor,
            "k": timer.k,
            "status": "pending",
        }

    def _write_tasks(self, key: int, step: Step, drejebog: Drejebog, at: datetime) -> None:
        rows = []
        for record in step.records:
            if record.kind != "task":
                continue
            _, task = drejebog.rule(record.name)
            rows.append(
                {
                    "case_id": key,
                    "rule": record.name,
                    "occurrence": step.case.open_tasks[record.name].occurrence,
                    "role": record.role or "",
                    "title": record.title,
                    "state": record.state,
                    "optional": bool(getattr(task, "optional", False)),
                    "due_date": record.due_date,
                    "status": "open",
                    "created_at": at,
                }
            )
        if rows:
            self.connection.execute(insert(TASK), rows)
        for result in step.results:
            status = "done" if result.outcome == "opfyldt" else "lapsed"
            self.connection.execute(
                update(TASK)
                .where(
                    and_(TASK.c.case_id == key, TASK.c.rule == result.rule, TASK.c.status == "open")
                )
                .values(status=status, closed_at=at, in_time=result.in_time)
            )
