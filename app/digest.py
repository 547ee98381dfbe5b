"""The daily digest: on working days, one message per worker with their tasks due today, those
overdue, and their citizens whose check-in is missing (or a short "nothing today").

Read and written in one transaction through the `DigestUnitOfWork` port (store/digest.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from drejebog.app.notices import Channels
from drejebog.app.ports import DigestUnitOfWork, DueTask, MissingNotice, OutboxRow
from drejebog.engine.calendar import WorkingCalendar
from drejebog.engine.deadlines import local_date
from drejebog.engine.model import Drejebog
from drejebog.notifications.render import render_default

_CALENDAR = WorkingCalendar()
Items = dict[int, dict[str, list[dict[str, Any]]]]  # worker key -> section -> lines


def digest_key(day: date) -> str:
    return f"overblik-{day.isoformat()}"


def _tasks(due: list[DueTask], today: date) -> Items:
    result: Items = defaultdict(lambda: {"due_today": [], "overdue": [], "missing": []})
    for task in due:
        item = {
            "titel": task.title,
            "borger": task.citizen,
            "sag": task.case_id,
            "frist": task.due_date,
        }
        result[task.worker_id]["due_today" if task.due_date == today else "overdue"].append(item)
    return result


def missing_window(versions: dict[int, Drejebog]) -> int:
    """The longest period plus grace of any check-in rule, in days."""
    return max(
        (
            rule.period.most_days() + rule.grace.most_days()
            for drejebog in versions.values()
            for state in (*drejebog.states.values(), drejebog.whole_case)
            for rule in state.recurring
        ),
        default=0,
    )


def _missing(notices: list[MissingNotice], into: Items, versions: dict[int, Drejebog]) -> None:
    """Fired 'mangler' notices whose cycle is still the case's current one: not reported yet.

    While a check-in stays missing, a new notice fires every period (late after downtime, but
    fired then), so the newest one fired at most a period and its grace ago: only those are
    read (`missing_window`), as a range of a partial index on the firing time."""
    seen: set[tuple[int, int, str]] = set()
    for notice in notices:
        cycle = (notice.runtime or {}).get("cycles", {}).get(notice.rule)
        if not cycle or not notice.occurrence.startswith(cycle["occurrence"] + "."):
            continue
        key = (notice.worker_id, notice.case_id, notice.rule)
        if key in seen:
            continue
        seen.add(key)
        _, rule = versions[notice.version_key].rule(notice.rule)
        into[notice.worker_id]["missing"].append(
            {
                "titel": rule.title,
                "borger": notice.citizen,
                "sag": notice.case_id,
                "frist": notice.due_date,
            }
        )


def send_digests(
    unit_of_work: Callable[[], DigestUnitOfWork], now: datetime, channels: Channels
) -> int:
    """Write today's digest for every active worker; returns how many were written."""
    today = local_date(now)
    if not _CALENDAR.is_working_day(today):
        return 0
    key = digest_key(today)
    written = 0
    with unit_of_work() as uow:
        versions = uow.drejebog_versions()
        items = _tasks(uow.tasks_due(today), today)
        since = now - timedelta(days=missing_window(versions) + 1)
        _missing(uow.missing_notices(since), items, versions)
        already = uow.digests_written(key)
        rows: list[OutboxRow] = []
        for worker in uow.active_staff():
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
                    }
                )
            written += 1
        if rows:
            uow.write_digests(rows)
        uow.commit()
    return written
