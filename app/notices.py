"""What a fired timer says and to whom: its notifications as outbox rows, and the history note.

Pure given a `Directory` (app/recipients.py): no query per notification, so the sweep can
compose a whole batch from what it read in a few queries.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

from drejebog.app.ports import SYSTEM_ACTOR, HistoryNote, OutboxRow, StoredCase
from drejebog.app.recipients import Directory, Recipient, Unreachable
from drejebog.engine.deadlines import COPENHAGEN, local_date
from drejebog.engine.model import AtLeast, Drejebog, Message, Rule, Task
from drejebog.engine.runtime import CaseSnapshot, Record, Step
from drejebog.engine.templates import danish_date
from drejebog.engine.timers import Timer, missed_in_all
from drejebog.notifications.channels import CITIZEN, INBOX_ROUTE, ROUTES, STAFF, Route
from drejebog.notifications.render import Rendered, render, render_default

log = logging.getLogger(__name__)

LATE_NOTE_AFTER_SECONDS = 3600


@dataclass(frozen=True)
class Channels:
    """The channels that are set up, by their routes (notifications/channels.py), in the order
    a citizen's message tries them. The inbox is always there and is not listed."""

    routes: tuple[Route, ...] = ()

    @classmethod
    def named(cls, *names: str) -> Channels:
        """The channels of these names ("email", "staff_webhook", "sms"), in registry order."""
        unknown = set(names) - set(ROUTES)
        if unknown:
            raise ValueError(f"ukendte kanaler: {', '.join(sorted(unknown))}")
        return cls(tuple(route for name, route in ROUTES.items() if name in names))

    @property
    def email(self) -> bool:
        """E-mail is set up (the daily digest goes by e-mail too)."""
        return any(route.channel == "email" for route in self.routes)


@dataclass
class Notices:
    """A fired timer's outbox rows and what the case history says was sent and not sent."""

    rows: list[OutboxRow]
    sent: list[dict[str, str]]
    not_sent: list[dict[str, str]]
    template_error: str = ""  # the drejebog's template failed; the default text went out
    # more for the history row (the messages of a task a `mangler_i_træk` rung created)
    extra: dict[str, object] = field(default_factory=dict)

    def history_note(
        self,
        timer: Timer,
        case: StoredCase,
        now: datetime,
        more: dict[str, object] | None = None,
    ) -> HistoryNote:
        """The fired timer's history row; `more` adds keys after the timer's own."""
        return HistoryNote(
            now,
            SYSTEM_ACTOR,
            timer.kind.danish,
            event=timer.rule,
            from_state=case.snapshot.state,
            to_state=case.snapshot.state,
            data={
                "trin": timer.step,
                "frist": timer.due_date.isoformat(),
                "sendt": self.sent,
                "ikke_sendt": self.not_sent,
                "forsinket_sekunder": int(max(0.0, (now - timer.due_at).total_seconds())),
                **({"skabelonfejl": self.template_error} if self.template_error else {}),
                **(more or {}),
            },
        )


def late_note(timer: Timer, now: datetime) -> str:
    return _late_note(timer.due_at, now)


@lru_cache(maxsize=1024)  # a batch's timers share a handful of due instants and one `now`
def _late_note(due_at: datetime, now: datetime) -> str:
    late = (now - due_at).total_seconds()
    if late < LATE_NOTE_AFTER_SECONDS:
        return ""
    planned = due_at.astimezone(COPENHAGEN)
    days, hours = int(late // 86400), int(late % 86400 // 3600)
    amount = f"{days} dag{'e' if days != 1 else ''} og {hours} time{'r' if hours != 1 else ''}"
    return (
        f"Bemærk: beskeden skulle være sendt {danish_date(planned.date())} kl. "
        f"{planned:%H:%M} og kommer {amount} for sent."
    )


_local_date = lru_cache(maxsize=16)(local_date)


def compose(
    directory: Directory,
    case: StoredCase,
    drejebog: Drejebog,
    timer: Timer,
    timer_id: int,
    records: Sequence[Record],
    now: datetime,
    channels: Channels,
) -> Notices:
    """Render the notifications of one fired timer for each recipient and channel: one per
    record of the timer (its Step's records of the timer's kind)."""
    case_key = int(timer.case_id)
    _, rule = drejebog.rule(timer.rule)
    owner = rule.owner
    snapshot = case.snapshot
    base_scope = _scope(drejebog, snapshot, rule, timer, _local_date(now))
    message = rule.message_for(timer.kind, timer.index)
    note = late_note(timer, now)
    notices = Notices([], [], [])
    seen: set[tuple[str, str]] = set()
    for record in records:
        role = record.role or owner
        target = directory.resolve(case_key, role, owner)
        if isinstance(target, Unreachable):
            notices.not_sent.append({"rolle": role, "grund": target.reason})
            continue
        deliveries = _deliveries(target, channels)
        if not deliveries:
            notices.not_sent.append({"rolle": role, "grund": "ingen kanal til borgeren er sat op"})
            continue
        scope = {**base_scope, "modtager": _addressee(drejebog, target, role)}
        rendered, error = _rendered(
            drejebog, message, timer.kind.value, scope, note, snapshot.id, timer.rule
        )
        if error:
            notices.template_error = error
        for row in _outbox_rows(
            target,
            deliveries,
            seen,
            rendered,
            case_key,
            timer_id,
            timer.kind.value,
            timer.rule,
            role,
            now,
        ):
            notices.rows.append(row)
            notices.sent.append(
                {"rolle": role, "til": target.handle or target.name, "kanal": row["channel"]}
            )
    return notices


def _scope(
    drejebog: Drejebog, snapshot: CaseSnapshot, rule: Rule, timer: Timer, today: date
) -> dict[str, object]:
    """The names a message's template may use, all but `modtager` (workflows/README.md 2.4)."""
    return {
        **_case_scope(drejebog, snapshot),
        "frist": {
            "titel": rule.title,
            "dato": timer.due_date,
            "klokken": f"{rule.time_of_day:%H:%M}",
            "dage_tilbage": max((timer.due_date - today).days, 0),
            "dage_over": max((today - timer.due_date).days, 0),
            # a missing notice: how many occurrences it stands for (more after a catch-up)
            "mangler_i_alt": missed_in_all(timer),
            # a recurring duty: how many occurrences in a row are missing now
            "i_træk": _in_a_row(snapshot, rule.name),
            **_counted(snapshot, rule),
        },
        "opgave": {"titel": rule.title} if rule.is_task else None,
    }


def _counted(snapshot: CaseSnapshot, rule: Rule) -> dict[str, int]:
    """A `mindst` rule's message: how many events were counted (`talt`), of how many
    (`mindst`); other rules have neither."""
    if not isinstance(rule, AtLeast) or rule.name not in snapshot.open_rules:
        return {}
    count_from = snapshot.open_rules[rule.name].count_from
    return {"talt": rule.counted(snapshot.facts, count_from), "mindst": rule.count}


def _in_a_row(snapshot: CaseSnapshot, rule: str) -> int:
    cycle = snapshot.cycles.get(rule)
    return cycle.in_a_row if cycle is not None else 0


def _case_scope(drejebog: Drejebog, snapshot: CaseSnapshot) -> dict[str, object]:
    """The names every message's template may use about the case: its facts, `sag`, `borger`
    and `drejebog` (workflows/README.md 2.4)."""
    return {
        **snapshot.facts,
        "sag": {
            "id": snapshot.id,
            "tilstand": snapshot.state,
            "tilstand_titel": drejebog.states[snapshot.state].title,
        },
        "borger": {"navn": snapshot.citizen_name},
        "drejebog": {"titel": drejebog.title},
    }


def _addressee(drejebog: Drejebog, target: Recipient, role: str) -> dict[str, str]:
    """`modtager` in a message's template."""
    return {"navn": target.name, "rolle": role, "rolle_titel": drejebog.role_title(role)}


def _rendered(
    drejebog: Drejebog,
    message: Message | None,
    kind: str,
    scope: dict[str, object],
    note: str,
    case_id: str,
    rule: str,
) -> tuple[Rendered, str]:
    """The message rendered, and "" or the error of the drejebog's own template: a template
    that fails on this case's data sends the default text instead (and the history says so)."""
    try:
        return render(drejebog, message, kind, scope, note), ""
    except Exception as exc:  # a drejebog's own template failed on this case's data
        error = f"{type(exc).__name__}: {exc}"
        log.warning(
            "sag %s, %s: drejebogens skabelon fejlede (%s); standardteksten blev sendt",
            case_id,
            rule,
            error,
        )
        return render_default(kind, scope, note), error


def _outbox_rows(
    target: Recipient,
    deliveries: list[tuple[str, str]],
    seen: set[tuple[str, str]],
    rendered: Rendered,
    case_key: int,
    timer_id: int | None,
    kind: str,
    rule: str,
    role: str,
    now: datetime,
) -> list[OutboxRow]:
    """One recipient's outbox rows, one per channel and address not already in `seen`; the
    inbox's row is delivered as it is written."""
    text = f"{target.note}\n\n{rendered.text}" if target.note else rendered.text
    rows: list[OutboxRow] = []
    for channel, address in deliveries:
        if (channel, address) in seen:
            continue
        seen.add((channel, address))
        inbox = channel == INBOX_ROUTE.channel
        rows.append(
            {
                "case_id": case_key,
                "timer_id": timer_id,
                "kind": kind,
                "rule": rule,
                "role": role,
                "channel": channel,
                "recipient": address,
                "worker_id": target.worker_id,
                "subject": rendered.subject,
                "body_text": text,
                "created_at": now,
                "status": "sent" if inbox else "pending",
                "sent_at": now if inbox else None,
                "next_attempt_at": now,
            }
        )
    return rows


def _deliveries(target: Recipient, channels: Channels) -> list[tuple[str, str]]:
    """(channel, address) pairs for one recipient. A citizen (no worker behind the recipient)
    gets the first citizen channel that has an address for them; a worker gets the inbox and
    every staff channel. A channel's route says whom it serves, so a staff-only channel is
    never handed a citizen's name or phone number."""
    if target.worker_id is None:
        for route in channels.routes:
            address = _address(target, route)
            if CITIZEN in route.audience and address:
                return [(route.channel, address)]
        return []
    deliveries = [(INBOX_ROUTE.channel, target.handle)]
    for route in channels.routes:
        address = _address(target, route)
        if STAFF in route.audience and address:
            deliveries.append((route.channel, address))
    return deliveries


def _address(target: Recipient, route: Route) -> str:
    return str(getattr(target, route.address, "") or "")


TASK_KIND = "task"  # the outbox kind of a task's message, written when the task is created


@dataclass
class TaskMessages:
    """The messages of the tasks a Step created: their outbox rows and what the history row
    of the change says was sent and not sent (each entry names its task, `opgave`)."""

    rows: list[OutboxRow]
    sent: list[dict[str, str]]
    not_sent: list[dict[str, str]]
    template_errors: list[str]

    def history_data(self) -> dict[str, object]:
        """The keys the change's history row gets; none when no task had a message, so a
        drejebog without task messages records exactly what it did before."""
        if not (self.sent or self.not_sent):
            return {}
        data: dict[str, object] = {"sendt": self.sent, "ikke_sendt": self.not_sent}
        if self.template_errors:
            data["skabelonfejl"] = "; ".join(self.template_errors)
        return data


def has_message(message: Message) -> bool:
    """A task says something when it is created: a named template, or subject and body."""
    return bool(message.template) or (message.subject is not None and message.body is not None)


def compose_task_messages(
    directory: Directory,
    drejebog: Drejebog,
    case_key: int,
    snapshot: CaseSnapshot,
    step: Step,
    now: datetime,
    channels: Channels,
) -> TaskMessages:
    """Render the message of each task the Step created (`besked` on the task) for the task's
    role: its worker (or the leader, as for a reminder), or the citizen where the role is
    `borger`, on the same channels and by the same recipient rules as a fired timer's."""
    messages = TaskMessages([], [], [], [])
    today = _local_date(now)
    for record in step.records:
        if record.kind != "task":
            continue
        _, task = drejebog.rule(record.name)
        if not isinstance(task, Task) or not has_message(task.message):
            continue
        role = task.role
        target = directory.resolve(case_key, role, role)
        if isinstance(target, Unreachable):
            messages.not_sent.append({"opgave": task.name, "rolle": role, "grund": target.reason})
            continue
        deliveries = _deliveries(target, channels)
        if not deliveries:
            messages.not_sent.append(
                {"opgave": task.name, "rolle": role, "grund": "ingen kanal til borgeren er sat op"}
            )
            continue
        scope = {
            **_task_scope(drejebog, snapshot, task, record.due_date, today),
            "modtager": _addressee(drejebog, target, role),
        }
        rendered, error = _rendered(
            drejebog, task.message, TASK_KIND, scope, "", snapshot.id, task.name
        )
        if error:
            messages.template_errors.append(f"{task.name}: {error}")
        seen: set[tuple[str, str]] = set()
        for row in _outbox_rows(
            target, deliveries, seen, rendered, case_key, None, TASK_KIND, task.name, role, now
        ):
            messages.rows.append(row)
            messages.sent.append(
                {
                    "opgave": task.name,
                    "rolle": role,
                    "til": target.handle or target.name,
                    "kanal": row["channel"],
                }
            )
    return messages


def _task_scope(
    drejebog: Drejebog, snapshot: CaseSnapshot, task: Task, due: date | None, today: date
) -> dict[str, object]:
    """The names a task's message may use, all but `modtager` (workflows/README.md 2.4):
    `frist` only when the task has a deadline."""
    deadline = task.deadline
    return {
        **_case_scope(drejebog, snapshot),
        "frist": (
            {
                "titel": deadline.title,
                "dato": due,
                "klokken": f"{task.time_of_day:%H:%M}",
                "dage_tilbage": max((due - today).days, 0),
                "dage_over": max((today - due).days, 0),
            }
            if deadline is not None and due is not None
            else None
        ),
        "opgave": {"titel": task.title},
    }
