"""Firing due timers, exactly once.

A sweep claims a bounded batch of due timers (PostgreSQL: FOR UPDATE SKIP LOCKED, so several
daemons share the work) and fires each inside one transaction with its consequences: the timer
is marked fired (only if still pending), its notifications are written to the outbox, the next
rung of its ladder or the next check-in occurrence is created, and the case history records
what was sent and what could not be. A crash before the commit leaves everything as it was; the
UNIQUE keys on timers and outbox rows make a second copy impossible.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from engine.deadlines import COPENHAGEN, local_date
from engine.errors import ConcurrencyConflict
from engine.model import Drejebog, Message, Recurring, Task
from engine.ports import HistoryNote, StoredCase
from engine.runtime import Record, Step
from engine.service import runtime_for
from engine.templates import danish_date
from engine.timers import Timer, TimerKind
from notifications.render import render
from store.recipients import Recipient, Unreachable, resolve
from store.tables import OUTBOX, TIMER
from store.unit_of_work import SqlUnitOfWork

KIND_DA = {"reminder": "påmindelse", "escalation": "eskalering", "checkin_missing": "mangler"}
LATE_NOTE_AFTER_SECONDS = 3600


@dataclass(frozen=True)
class Channels:
    """Which channels exist: the inbox always; e-mail and SMS/webhook when configured."""

    email: bool = False
    staff_webhook: bool = False
    citizen_webhook: bool = False


@dataclass
class SweepReport:
    fired: int = 0
    notifications: int = 0
    skipped: int = 0
    seconds: float = 0.0
    by_kind: dict[str, int] = field(default_factory=dict)


def timer_from_row(row: Any) -> Timer:
    return Timer(
        due_at=row.due_at,
        case_id=str(row.case_id),
        rule=row.rule,
        occurrence=row.occurrence,
        step=row.step,
        kind=TimerKind(row.kind),
        roles=tuple(row.roles),
        due_date=row.due_date,
        index=row.idx,
        anchor=row.anchor,
        k=row.k,
    )


def claim_due(connection: Connection, now: datetime, limit: int) -> list[Any]:
    query = (
        select(TIMER)
        .where(TIMER.c.status == "pending", TIMER.c.due_at <= now)
        .order_by(TIMER.c.due_at, TIMER.c.id)
        .limit(limit)
    )
    if connection.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(connection.execute(query))


def sweep(
    unit_of_work: Callable[[], SqlUnitOfWork],
    now: datetime,
    channels: Channels,
    batch_size: int = 500,
) -> SweepReport:
    """Fire every timer due at `now`, in batches; returns what was done."""
    report = SweepReport()
    started = time.perf_counter()
    while True:
        fired_before = report.fired
        with unit_of_work() as uow:
            rows = claim_due(uow.connection, now, batch_size)
            for row in rows:
                savepoint = uow.connection.begin_nested()
                try:
                    sent = fire_one(uow, row, now, channels)
                    savepoint.commit()
                except ConcurrencyConflict:
                    savepoint.rollback()
                    report.skipped += 1
                    continue
                if sent is None:
                    report.skipped += 1
                    continue
                report.fired += 1
                report.notifications += sent
                report.by_kind[row.kind] = report.by_kind.get(row.kind, 0) + 1
            uow.commit()
        progressed = report.fired > fired_before
        if not rows or not progressed:
            break
    report.seconds = time.perf_counter() - started
    return report


def message_for(rule: Any, timer: Timer) -> Message | None:
    deadline = rule.deadline if isinstance(rule, Task) else rule
    if timer.kind is TimerKind.REMINDER and deadline is not None:
        return deadline.reminders[timer.index].message
    if timer.kind is TimerKind.ESCALATION and deadline is not None:
        return deadline.escalation[timer.index].message
    if timer.kind is TimerKind.CHECKIN_MISSING and isinstance(rule, Recurring) and rule.missing:
        return rule.missing.message
    return None


def late_note(timer: Timer, now: datetime) -> str:
    late = (now - timer.due_at).total_seconds()
    if late < LATE_NOTE_AFTER_SECONDS:
        return ""
    planned = timer.due_at.astimezone(COPENHAGEN)
    days, hours = int(late // 86400), int(late % 86400 // 3600)
    amount = f"{days} dag{'e' if days != 1 else ''} og {hours} time{'r' if hours != 1 else ''}"
    return (
        f"Bemærk: beskeden skulle være sendt {danish_date(planned.date())} kl. "
        f"{planned:%H:%M} og kommer {amount} for sent."
    )


def fire_one(uow: SqlUnitOfWork, row: Any, now: datetime, channels: Channels) -> int | None:
    """Fire one claimed timer; returns the number of messages written, None if it was gone."""
    connection = uow.connection
    marked = connection.execute(
        update(TIMER)
        .where(TIMER.c.id == row.id, TIMER.c.status == "pending")
        .values(status="fired", fired_at=now)
    )
    if marked.rowcount != 1:
        return None
    stored = uow.load_case(str(row.case_id))
    timer = timer_from_row(row)
    if row.drejebog_version_id == stored.version_key:
        drejebog = stored.drejebog
        step = runtime_for(drejebog).fire(stored.snapshot, timer, now)
    else:
        # due before a migration: it fires once under the old version, without follow-ups
        drejebog = uow.drejebog_version(row.drejebog_version_id)
        _, rule = drejebog.rule(timer.rule)
        step = Step(case=stored.snapshot)
        for role in timer.roles or (None,):
            step.records.append(
                Record(
                    now,
                    timer.case_id,
                    timer.kind.value,
                    rule.name,
                    role,
                    stored.snapshot.state,
                    rule.title,
                    timer.due_date,
                    timer.step,
                )
            )
    sent, not_sent = _write_notifications(connection, stored, drejebog, timer, step, now, channels)
    note = HistoryNote(
        now,
        "system",
        KIND_DA[timer.kind.value],
        event=timer.rule,
        from_state=stored.snapshot.state,
        to_state=stored.snapshot.state,
        data={
            "trin": timer.step,
            "frist": timer.due_date.isoformat(),
            "sendt": sent,
            "ikke_sendt": not_sent,
            "forsinket_sekunder": int(max(0.0, (now - timer.due_at).total_seconds())),
        },
    )
    uow.save_step(stored, step, note)
    return len(sent)


def _write_notifications(
    connection: Connection,
    stored: StoredCase,
    drejebog: Drejebog,
    timer: Timer,
    step: Step,
    now: datetime,
    channels: Channels,
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    case_key = int(timer.case_id)
    _, rule = drejebog.rule(timer.rule)
    owner = rule.role if isinstance(rule, Task) else rule.owner
    today = local_date(now)
    snapshot = stored.snapshot
    base_scope: dict[str, object] = {
        **snapshot.facts,
        "sag": {
            "id": snapshot.id,
            "tilstand": snapshot.state,
            "tilstand_titel": drejebog.states[snapshot.state].title,
        },
        "borger": {"navn": snapshot.citizen_name},
        "drejebog": {"titel": drejebog.title},
        "frist": {
            "titel": rule.title,
            "dato": timer.due_date,
            "klokken": rule.time_of_day.strftime("%H:%M")
            if hasattr(rule, "time_of_day")
            else "08:00",
            "dage_tilbage": max((timer.due_date - today).days, 0),
            "dage_over": max((today - timer.due_date).days, 0),
        },
        "opgave": {"titel": rule.title} if isinstance(rule, Task) else None,
    }
    message = message_for(rule, timer)
    note = late_note(timer, now)
    sent: list[dict[str, str]] = []
    not_sent: list[dict[str, str]] = []
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for record in step.records:
        role = record.role or owner
        target = resolve(connection, case_key, role, owner)
        if isinstance(target, Unreachable):
            not_sent.append({"rolle": role, "grund": target.reason})
            continue
        scope = {
            **base_scope,
            "modtager": {
                "navn": target.name,
                "rolle": role,
                "rolle_titel": drejebog.role_title(role),
            },
        }
        rendered = render(drejebog, message, timer.kind.value, scope, note)
        text = f"{target.note}\n\n{rendered.text}" if target.note else rendered.text
        for channel, address in _deliveries(target, channels):
            if (channel, address) in seen:
                continue
            seen.add((channel, address))
            rows.append(
                {
                    "case_id": case_key,
                    "timer_id": None,
                    "kind": timer.kind.value,
                    "rule": timer.rule,
                    "role": role,
                    "channel": channel,
                    "recipient": address,
                    "worker_id": target.worker_id,
                    "subject": rendered.subject,
                    "body_text": text,
                    "body_html": rendered.html,
                    "created_at": now,
                    "status": "sent" if channel == "inbox" else "pending",
                    "sent_at": now if channel == "inbox" else None,
                    "next_attempt_at": now,
                    "attempts": 0,
                    "last_error": "",
                }
            )
            sent.append({"rolle": role, "til": target.handle or target.name, "kanal": channel})
        if not _deliveries(target, channels):
            not_sent.append({"rolle": role, "grund": "ingen kanal til borgeren er sat op"})
    if rows:
        timer_id = connection.execute(
            select(TIMER.c.id).where(
                TIMER.c.case_id == case_key,
                TIMER.c.rule == timer.rule,
                TIMER.c.occurrence == timer.occurrence,
                TIMER.c.step == timer.step,
            )
        ).scalar_one()
        for row in rows:
            row["timer_id"] = timer_id
        connection.execute(OUTBOX.insert(), rows)
    return sent, not_sent


def _deliveries(target: Recipient, channels: Channels) -> list[tuple[str, str]]:
    if target.role == "borger" and target.worker_id is None:
        if target.email and channels.email:
            return [("email", target.email)]
        if target.phone and channels.citizen_webhook:
            return [("webhook", target.phone)]
        return []
    deliveries = [("inbox", target.handle)]
    if target.email and channels.email:
        deliveries.append(("email", target.email))
    if channels.staff_webhook:
        deliveries.append(("webhook", target.handle))
    return deliveries
