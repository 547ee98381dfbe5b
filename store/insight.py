"""The `InsightStore` port of app/ports.py in SQL: a citizen's data and the access log by
citizen. Reads only, except the access-log rows app/insight.py writes through `log_access`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from drejebog.app.ports import AccessEntry
from drejebog.engine.names import danish_status
from drejebog.store.access import SqlAccess
from drejebog.store.citizen_numbers import shown_cpr
from drejebog.store.tables import (
    ACCESS_LOG,
    ACCOUNT,
    ASSIGNMENT,
    CASE,
    CITIZEN,
    HISTORY,
    OUTBOX,
    TASK,
    WORKER,
)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


class SqlInsight(SqlAccess):
    def citizen_key(self, cpr: str) -> int | None:
        with self._engine.connect() as connection:
            key = connection.execute(select(CITIZEN.c.id).where(CITIZEN.c.cpr == cpr)).scalar()
        return None if key is None else int(key)

    def reader_roles(self, handle: str) -> tuple[str | None, str | None]:
        with self._engine.connect() as connection:
            worker = connection.execute(
                select(WORKER.c.role).where(WORKER.c.handle == handle)
            ).scalar()
            account = connection.execute(
                select(ACCOUNT.c.role).where(
                    ACCOUNT.c.handle == handle, ACCOUNT.c.disabled.is_(False)
                )
            ).scalar()
        return worker, account

    def access_entries(self, citizen_key: int) -> list[AccessEntry]:
        return self._entries(ACCESS_LOG.c.citizen_id == citizen_key)

    def case_keys(self, citizen_key: int) -> list[int]:
        with self._engine.connect() as connection:
            keys = connection.execute(
                select(CASE.c.id).where(CASE.c.citizen_id == citizen_key).order_by(CASE.c.id)
            ).scalars()
            return [int(key) for key in keys]

    def citizen_data(self, citizen_key: int) -> dict[str, object]:
        with self._engine.connect() as connection:
            citizen = connection.execute(select(CITIZEN).where(CITIZEN.c.id == citizen_key)).one()
            cases = connection.execute(
                select(CASE).where(CASE.c.citizen_id == citizen_key).order_by(CASE.c.id)
            ).all()
            keys = [case.id for case in cases]
            history = _grouped(
                connection.execute(
                    select(HISTORY).where(HISTORY.c.case_id.in_(keys)).order_by(HISTORY.c.seq)
                ).all()
            )
            tasks = _grouped(
                connection.execute(
                    select(TASK).where(TASK.c.case_id.in_(keys)).order_by(TASK.c.id)
                ).all()
            )
            messages = _grouped(
                connection.execute(
                    select(OUTBOX).where(OUTBOX.c.case_id.in_(keys)).order_by(OUTBOX.c.id)
                ).all()
            )
            assigned = _grouped(
                connection.execute(
                    select(ASSIGNMENT.c.case_id, ASSIGNMENT.c.role, WORKER.c.handle, WORKER.c.name)
                    .join(WORKER, WORKER.c.id == ASSIGNMENT.c.worker_id)
                    .where(ASSIGNMENT.c.case_id.in_(keys))
                    .order_by(ASSIGNMENT.c.role)
                ).all()
            )
        return {
            "stamdata": {
                "cpr": shown_cpr(citizen.cpr),
                "navn": citizen.name,
                "email": citizen.email,
                "telefon": citizen.phone,
            },
            "sager": [
                {
                    "sag": case.id,
                    "drejebog": case.drejebog_id,
                    "tilstand": case.state,
                    "fakta": dict(case.facts or {}),
                    "åbnet": _iso(case.opened_at),
                    "lukket": _iso(case.closed_at),
                    "anonymiseret": _iso(case.anonymised_at),
                    "tildelt": [
                        {"rolle": a.role, "medarbejder": a.handle, "navn": a.name}
                        for a in assigned.get(case.id, [])
                    ],
                    "forløb": [_history(row) for row in history.get(case.id, [])],
                    "opgaver": [_task(row) for row in tasks.get(case.id, [])],
                    "beskeder": [_message(row) for row in messages.get(case.id, [])],
                }
                for case in cases
            ],
        }


def _grouped(rows: Sequence[Any]) -> Mapping[int, list[Any]]:
    grouped: dict[int, list[Any]] = {}
    for row in rows:
        grouped.setdefault(row.case_id, []).append(row)
    return grouped


def _history(row: Any) -> dict[str, object]:
    return {
        "tidspunkt": _iso(row.at),
        "hvem": row.actor,
        "slags": row.kind,
        "hændelse": row.event,
        "fra": row.from_state,
        "til": row.to_state,
        "data": dict(row.data or {}),
    }


def _task(row: Any) -> dict[str, object]:
    return {
        "opgave": row.title,
        "rolle": row.role,
        "frist": None if row.due_date is None else row.due_date.isoformat(),
        "status": danish_status(row.status),
        "oprettet": _iso(row.created_at),
        "lukket": _iso(row.closed_at),
    }


def _message(row: Any) -> dict[str, object]:
    return {
        "oprettet": _iso(row.created_at),
        "kanal": row.channel,
        "til": row.recipient,
        "emne": row.subject,
        "tekst": row.body_text,
        "status": danish_status(row.status),
        "sendt": _iso(row.sent_at),
    }
