"""The daily digest: on working days, one message per worker with their tasks due today, those
overdue, and their citizens whose check-in is missing (or a short "nothing today")."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Select, select, text

from drejebog.app.firing import Channels
from drejebog.engine.calendar import WorkingCalendar
from drejebog.engine.deadlines import local_date
from drejebog.engine.model import Drejebog
from drejebog.notifications.render import render_default
from drejebog.store.tables import (
    ASSIGNMENT,
    CASE,
    CITIZEN,
    DIGESTS,
    MISSING_NOTICES,
    OUTBOX,
    TASK,
    TIMER,
    WORKER,
)

_CALENDAR = WorkingCalendar()


def digest_key(day: date) -> str:
    return f"overblik-{day.isoformat()}"


def _tasks(connection: Connection, today: date) -> dict[int, dict[str, list[dict[str, Any]]]]:
    rows = connection.execute(
        select(
            ASSIGNMENT.c.worker_id,
            TASK.c.case_id,
            TASK.c.title,
            TASK.c.due_date,
            CITIZEN.c.name,
        )
        .join(
            ASSIGNMENT,
            (ASSIGNMENT.c.case_id == TASK.c.case_id) & (ASSIGNMENT.c.role == TASK.c.role),
        )
        .join(CASE, CASE.c.id == TASK.c.case_id)
        .join(CITIZEN, CITIZEN.c.id == CASE.c.citizen_id)
        .where(TASK.c.status == "open", TASK.c.due_date <= today)
        .order_by(TASK.c.due_date, TASK.c.case_id)
    )
    result: dict[int, dict[str, list[dict[str, Any]]]] = defaultdict(
        lambda: {"due_today": [], "overdue": [], "missing": []}
    )
    for row in rows:
        item = {"titel": row.title, "borger": row.name, "sag": row.case_id, "frist": row.due_date}
        result[row.worker_id]["due_today" if row.due_date == today else "overdue"].append(item)
    return result


def digests_written(key: str) -> Select[Any]:
    """The workers who already have today's digest, through the digests' partial index."""
    return select(OUTBOX.c.worker_id).where(text(DIGESTS), OUTBOX.c.rule == key)


def missing_notices(since: datetime) -> Select[Any]:
    """'Mangler' notices fired from `since` on, with their case, citizen and workers. The
    partial index's condition is repeated word for word: SQLite uses it only then."""
    return (
        select(
            TIMER.c.case_id,
            TIMER.c.rule,
            TIMER.c.occurrence,
            TIMER.c.due_date,
            TIMER.c.drejebog_version_id,
            CASE.c.runtime,
            CITIZEN.c.name,
            ASSIGNMENT.c.worker_id,
        )
        .join(CASE, CASE.c.id == TIMER.c.case_id)
        .join(CITIZEN, CITIZEN.c.id == CASE.c.citizen_id)
        .join(ASSIGNMENT, ASSIGNMENT.c.case_id == TIMER.c.case_id)
        .where(text(MISSING_NOTICES), TIMER.c.fired_at >= since, CASE.c.closed_at.is_(None))
        .order_by(TIMER.c.fired_at.desc(), TIMER.c.case_id)
    )


def _missing(
    connection: Connection,
    into: dict[int, dict[str, list[dict[str, Any]]]],
    versions: dict[int, Drejebog],
    now: datetime,
) -> None:
    """Fired 'mangler' notices whose cycle is still the case's current one: not reported yet.

    While a check-in stays missing, a new notice fires every period (late after downtime, but
    fired then), so the newest one fired at most a period and its grace ago: only those are
    read, as a range of a partial index on the firing time."""
    window = max(
        (
            rule.period.most_days() + rule.grace.most_days()
            for drejebog in versions.values()
            for state in drejebog.states.values()
            for rule in state.recurring
        ),
        default=0,
    )
    rows = connection.execute(missing_notices(now - timedelta(days=window + 1)))
    seen: set[tuple[int, int, str]] = set()
    for row in rows:
        cycle = (row.runtime or {}).get("cycles", {}).get(row.rule)
        if not cycle or not row.occurrence.startswith(cycle["occurrence"] + "."):
            continue
        key = (row.worker_id, row.case_id, row.rule)
        if key in seen:
            continue
        seen.add(key)
        _, rule = versions[row.drejebog_version_id].rule(row.rule)
        into[row.worker_id]["missing"].append(
            {"titel": rule.title, "borger": row.name, "sag": row.case_id, "frist": row.due_date}
        )


def send_digests(app: Any, now: datetime, channels: Channels) -> int:
    """Write today's digest for every active worker; returns how many were written."""
    today = local_date(now)
    if not _CALENDAR.is_working_day(today):
        return 0
    key = digest_key(today)
    written = 0
    with app.unit_of_work() as uow:
        connection = uow.connection
        versions = {v: uow.drejebog_version(v) for v in uow.drejebog_version_keys()}
        items = _tasks(connection, today)
        _missing(connection, items, versions, now)
        already = set(connection.execute(digests_written(key)).scalars())
        workers = connection.execute(
            select(WORKER.c.id, WORKER.c.handle, WORKER.c.name, WORKER.c.email, WORKER.c.role)
            .where(WORKER.c.active.is_(True))
            .order_by(WORKER.c.id)
        ).all()
        rows = []
        for worker in workers:
            if worker.id in already:
                continue
            mine = items.get(worker.id)
            if mine is None or not any(mine.values()):
                continue  # nothing today: no message
            rendered = render_default(
                "digest",
                {"dato": today, "modtager": {"navn": worker.name}, **mine},
            )
            deliveries = [("inbox", worker.handle)]
            if channels.email and worker.email:
                deliveries.append(("email", worker.email))
            for channel, address in deliveries:
                rows.append(
                    {
                        "case_id": None,
                        "timer_id": None,
                        "kind": "digest",
                        "rule": key,
                        "role": worker.role,
                        "channel": channel,
                        "recipient": address,
                        "worker_id": worker.id,
                        "subject": rendered.subject,
                        "body_text": rendered.text,
                        "created_at": now,
                        "status": "sent" if channel == "inbox" else "pending",
                        "sent_at": now if channel == "inbox" else None,
                        "next_attempt_at": now,
                        "attempts": 0,
                        "last_error": "",
                    }
                )
            written += 1
        if rows:
            connection.execute(OUTBOX.insert(), rows)
        uow.commit()
    return written
