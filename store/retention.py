"""Retention in SQL: the `RetentionStore` port of app/retention.py.

Which closed cases are due is the app's rule (the drejebog's `opbevaring`); here are the
queries that find them through `ix_case_retention` (the closed cases still kept, by closing
time) and the one transaction that anonymises a batch of them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, case, func, insert, select, update

from drejebog.app.ports import ANONYMISED_NAME, KEPT_HISTORY_KEYS, DueCase, Removed
from drejebog.engine.model import Drejebog
from drejebog.store.citizen_numbers import anonymous_cpr, shown_cpr
from drejebog.store.drejebog_cache import DrejebogCache
from drejebog.store.tables import CASE, CITIZEN, HISTORY, OUTBOX
from drejebog.store.unit_of_work import SqlUnitOfWork

CITIZEN_CHANNELS = ("email", "sms")  # where an outbox row's recipient may be the citizen's


class SqlRetention:
    def __init__(self, engine: Engine, cache: DrejebogCache) -> None:
        self._engine = engine
        self._cache = cache

    def versions_with_kept_closed_cases(self) -> list[int]:
        kept = and_(CASE.c.closed_at.is_not(None), CASE.c.anonymised_at.is_(None))
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(CASE.c.drejebog_version_id).where(kept).distinct()
            ).all()
        return sorted(int(row[0]) for row in rows)

    def drejebog_version(self, version_key: int) -> Drejebog:
        with SqlUnitOfWork(self._engine, self._cache) as uow:
            return uow.drejebog_version(version_key)

    def due_cases(self, version_key: int, closed_before: datetime, limit: int) -> list[DueCase]:
        query = (
            select(
                CASE.c.id,
                CASE.c.drejebog_id,
                CASE.c.closed_at,
                CITIZEN.c.cpr,
            )
            .join(CITIZEN, CITIZEN.c.id == CASE.c.citizen_id)
            .where(
                CASE.c.closed_at.is_not(None),
                CASE.c.anonymised_at.is_(None),
                CASE.c.closed_at < closed_before,
                CASE.c.drejebog_version_id == version_key,
            )
            .order_by(CASE.c.closed_at, CASE.c.id)
            .limit(limit)
        )
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        return [
            DueCase(int(row.id), row.drejebog_id, row.closed_at, shown_cpr(row.cpr)) for row in rows
        ]

    def anonymise(
        self,
        kept_facts: Mapping[int, Collection[str]],
        now: datetime,
        actor: str,
        note: Mapping[int, Mapping[str, object]],
    ) -> Removed:
        """Anonymise the cases `kept_facts` names (case key -> the facts it may keep), in one
        transaction: free-text facts, history data beyond KEPT_HISTORY_KEYS, event ids and
        the text and citizen addresses of its messages go; a citizen with no kept case left
        loses CPR, name, e-mail and phone. One history row per case records it."""
        keys = sorted(kept_facts)
        removed = Removed()
        if not keys:
            return removed
        with self._engine.begin() as connection:
            self._facts(connection, kept_facts, now, removed)
            self._history(connection, keys, removed)
            removed.messages += self._messages(connection, keys)
            removed.citizens += self._citizens(connection, keys)
            self._note(connection, keys, now, actor, note)
        return removed

    @staticmethod
    def _facts(
        connection: Connection,
        kept_facts: Mapping[int, Collection[str]],
        now: datetime,
        removed: Removed,
    ) -> None:
        rows = connection.execute(
            select(CASE.c.id, CASE.c.facts).where(CASE.c.id.in_(list(kept_facts)))
        ).all()
        changes = []
        for row in rows:
            facts: dict[str, Any] = dict(row.facts or {})
            kept = {k: v for k, v in facts.items() if k in kept_facts[row.id]}
            removed.facts += len(facts) - len(kept)
            changes.append({"key": row.id, "facts": kept})
        connection.execute(
            update(CASE)
            .where(CASE.c.id == bindparam("key"))
            .values(
                facts=bindparam("facts"),
                anonymised_at=now,
                lock_version=CASE.c.lock_version + 1,  # a stale writer conflicts
            ),
            changes,
        )
        removed.cases += len(changes)

    @staticmethod
    def _history(connection: Connection, keys: list[int], removed: Removed) -> None:
        rows = connection.execute(
            select(HISTORY.c.id, HISTORY.c.data, HISTORY.c.event_id).where(
                HISTORY.c.case_id.in_(keys)
            )
        ).all()
        changes = []
        for row in rows:
            data = dict(row.data or {})
            kept = {k: v for k, v in data.items() if k in KEPT_HISTORY_KEYS}
            if kept != data or row.event_id is not None:
                changes.append({"key": row.id, "data": kept})
        if changes:
            connection.execute(
                update(HISTORY)
                .where(HISTORY.c.id == bindparam("key"))
                .values(data=bindparam("data"), event_id=None),
                changes,
            )
        removed.history_rows += len(changes)

    @staticmethod
    def _messages(connection: Connection, keys: list[int]) -> int:
        result = connection.execute(
            update(OUTBOX)
            .where(OUTBOX.c.case_id.in_(keys))
            .values(
                subject="",
                body_text="",
                last_error="",
                recipient=case(
                    (OUTBOX.c.channel.in_(CITIZEN_CHANNELS), ""), else_=OUTBOX.c.recipient
                ),
                # an undelivered message of a long-closed case is not sent without its text
                status=case((OUTBOX.c.status == "pending", "dead"), else_=OUTBOX.c.status),
            )
        )
        return int(result.rowcount or 0)

    @staticmethod
    def _citizens(connection: Connection, keys: list[int]) -> int:
        citizens = {
            int(row[0])
            for row in connection.execute(
                select(CASE.c.citizen_id).where(CASE.c.id.in_(keys)).distinct()
            )
        }
        still_kept = {
            int(row[0])
            for row in connection.execute(
                select(CASE.c.citizen_id)
                .where(CASE.c.citizen_id.in_(citizens), CASE.c.anonymised_at.is_(None))
                .distinct()
            )
        }
        gone = sorted(citizens - still_kept)
        if gone:
            connection.execute(
                update(CITIZEN)
                .where(CITIZEN.c.id == bindparam("key"), CITIZEN.c.name != ANONYMISED_NAME)
                .values(cpr=bindparam("cpr"), name=ANONYMISED_NAME, email="", phone=""),
                [{"key": key, "cpr": anonymous_cpr(key)} for key in gone],
            )
        return len(gone)

    @staticmethod
    def _note(
        connection: Connection,
        keys: list[int],
        now: datetime,
        actor: str,
        note: Mapping[int, Mapping[str, object]],
    ) -> None:
        last = dict(
            connection.execute(
                select(HISTORY.c.case_id, func.max(HISTORY.c.seq))
                .where(HISTORY.c.case_id.in_(keys))
                .group_by(HISTORY.c.case_id)
            ).all()
        )
        connection.execute(
            insert(HISTORY),
            [
                {
                    "case_id": key,
                    "seq": int(last.get(key) or 0) + 1,
                    "at": now,
                    "actor": actor,
                    "kind": "anonymiseret",
                    "data": dict(note.get(key, {})),
                }
                for key in keys
            ],
        )
