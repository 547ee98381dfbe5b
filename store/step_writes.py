"""Writing Steps: the rows a list of engine Steps changes, one executemany per statement.

An event writes one Step; the daemon's sweep writes the Steps of a whole batch of timers at
once. Both go through `StepWrites`, so a row is written the same way whichever path made it.
The statements are hand-written SQL run on the driver's cursor (store/fastsql.py): building
and compiling a Core statement per call cost more than running it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from drejebog.app.ports import HistoryNote, StoredCase
from drejebog.engine.codec import facts_to_json, runtime_to_json
from drejebog.engine.errors import ConcurrencyConflict
from drejebog.engine.model import Drejebog, Task
from drejebog.engine.runtime import Step
from drejebog.engine.timers import Timer
from drejebog.store.fastsql import FastStatement, run_many
from drejebog.store.tables import CASE, HISTORY, TASK, TIMER

# Bind parameter names carry a b_ prefix where a column of the same name is also assigned.
_UPDATE_CASE = FastStatement(
    """UPDATE "case" SET state = :state, facts = :facts, runtime = :runtime,
       entered_at = :entered_at, closed_at = :closed_at, lock_version = :lock_version,
       drejebog_version_id = :version
       WHERE id = :key AND lock_version = :expected""",
    {
        "facts": CASE.c.facts.type,
        "runtime": CASE.c.runtime.type,
        "entered_at": CASE.c.entered_at.type,
        "closed_at": CASE.c.closed_at.type,
    },
)
# a Step that left the case as it was (a reminder, an escalation) only moves the lock on
_BUMP_CASE = FastStatement(
    """UPDATE "case" SET lock_version = :lock_version
       WHERE id = :key AND lock_version = :expected"""
)
_CANCEL_RULE = FastStatement(
    """UPDATE timer SET status = 'cancelled'
       WHERE case_id = :key AND rule = :rule AND status = 'pending'"""
)
_CANCEL_FROM = FastStatement(
    """UPDATE timer SET status = 'cancelled'
       WHERE case_id = :key AND status = 'pending' AND due_at >= :due_from""",
    {"due_from": TIMER.c.due_at.type},
)
_INSERT_TIMER = FastStatement(
    """INSERT INTO timer (case_id, drejebog_version_id, rule, occurrence, step, kind, roles,
       due_at, due_date, idx, anchor, k, status)
       VALUES (:case_id, :drejebog_version_id, :rule, :occurrence, :step, :kind, :roles,
       :due_at, :due_date, :idx, :anchor, :k, 'pending')""",
    {
        "roles": TIMER.c.roles.type,
        "due_at": TIMER.c.due_at.type,
        "due_date": TIMER.c.due_date.type,
        "anchor": TIMER.c.anchor.type,
    },
)
_INSERT_TASK = FastStatement(
    """INSERT INTO task (case_id, rule, occurrence, role, title, state, optional, due_date,
       status, created_at)
       VALUES (:case_id, :rule, :occurrence, :role, :title, :state, :optional, :due_date,
       'open', :created_at)""",
    {
        "optional": TASK.c.optional.type,
        "due_date": TASK.c.due_date.type,
        "created_at": TASK.c.created_at.type,
    },
)
_CLOSE_TASK = FastStatement(
    """UPDATE task SET status = :status, closed_at = :closed_at, in_time = :in_time
       WHERE case_id = :key AND rule = :rule AND status = 'open'""",
    {"closed_at": TASK.c.closed_at.type, "in_time": TASK.c.in_time.type},
)
_INSERT_HISTORY = FastStatement(
    """INSERT INTO case_history (case_id, seq, at, actor, kind, event, event_id, from_state,
       to_state, data)
       VALUES (:case_id, :seq, :at, :actor, :kind, :event, :event_id, :from_state,
       :to_state, :data)""",
    {"at": HISTORY.c.at.type, "data": HISTORY.c.data.type},
)


def timer_row(case_key: int, version_key: int, timer: Timer) -> dict[str, Any]:
    return {
        "case_id": case_key,
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
    }


class StepWrites:
    """Collects the writes of Steps and runs them with one executemany per statement.

    Several Steps of one case may be added in a row (each with the StoredCase the previous
    one left: its lock_version one higher); the case row is updated once, from the version
    read at the start, and gets one history row per Step. A Step that cancels timers or closes
    tasks of a case with writes still waiting flushes those first, so it sees them.
    """

    def __init__(self, connection: Connection, drejebog_version: Callable[[int], Drejebog]):
        self._connection = connection
        self._drejebog_version = drejebog_version
        self._clear()

    def _clear(self) -> None:
        self._cases: dict[int, dict[str, Any]] = {}
        self._case_ids: dict[int, str] = {}
        self._cancel_from: list[dict[str, Any]] = []
        self._cancel_rules: list[dict[str, Any]] = []
        self._timers: list[dict[str, Any]] = []
        self._tasks: list[dict[str, Any]] = []
        self._closing: list[dict[str, Any]] = []
        self._history: list[dict[str, Any]] = []

    def add(self, key: int, case: StoredCase, step: Step, note: HistoryNote, version: int) -> None:
        drejebog = case.drejebog if version == case.version_key else self._drejebog_version(version)
        closing = self._closing_rows(key, step, drejebog, note.at)
        if key in self._cases and (step.cancel_due_from or step.cancel_rules or closing):
            self.flush()
        new = step.case
        expected = self._cases[key]["expected"] if key in self._cases else case.lock_version
        self._case_ids[key] = new.id
        unchanged = new is case.snapshot and version == case.version_key
        if unchanged and not drejebog.states[new.state].final:
            update = self._cases.setdefault(key, {"key": key, "expected": expected})
            update["lock_version"] = case.lock_version + 1
        else:
            self._cases[key] = {
                "key": key,
                "expected": expected,
                "state": new.state,
                "facts": facts_to_json(dict(new.facts)),
                "runtime": runtime_to_json(new),
                "entered_at": new.entered_at,
                "closed_at": note.at if drejebog.states[new.state].final else None,
                "lock_version": case.lock_version + 1,
                "version": version,
            }
        if step.cancel_due_from is not None:
            self._cancel_from.append({"key": key, "due_from": step.cancel_due_from})
        self._cancel_rules.extend(
            {"key": key, "rule": rule} for rule in sorted(set(step.cancel_rules))
        )
        self._timers.extend(timer_row(key, version, t) for t in step.schedule)
        self._tasks.extend(self._task_rows(key, step, drejebog, note.at))
        self._closing.extend(closing)
        self._history.append(
            {
                "case_id": key,
                "seq": case.lock_version + 1,
                "at": note.at,
                "actor": note.actor,
                "kind": note.kind,
                "event": note.event,
                "event_id": note.event_id,
                "from_state": note.from_state,
                "to_state": note.to_state,
                "data": dict(note.data),
            }
        )

    def flush(self) -> None:
        connection = self._connection
        if self._cases:
            updates = list(self._cases.values())
            full = [u for u in updates if "state" in u]
            bumps = [u for u in updates if "state" not in u]
            changed = run_many(connection, _UPDATE_CASE, full) if full else 0
            changed += run_many(connection, _BUMP_CASE, bumps) if bumps else 0
            if changed != len(updates):
                stale = self._case_ids[updates[0]["key"]] if len(updates) == 1 else "?"
                raise ConcurrencyConflict(stale)
        for statement, rows in (
            (_CANCEL_FROM, self._cancel_from),
            (_CANCEL_RULE, self._cancel_rules),
            (_INSERT_TIMER, self._timers),
            (_INSERT_TASK, self._tasks),
            (_CLOSE_TASK, self._closing),
            (_INSERT_HISTORY, self._history),
        ):
            if rows:
                run_many(connection, statement, rows)
        self._clear()

    @staticmethod
    def _task_rows(key: int, step: Step, drejebog: Drejebog, at: datetime) -> list[dict[str, Any]]:
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
                    "created_at": at,
                }
            )
        return rows

    @staticmethod
    def _closing_rows(
        key: int, step: Step, drejebog: Drejebog, at: datetime
    ) -> list[dict[str, Any]]:
        return [
            {
                "key": key,
                "rule": result.rule,
                "status": "done" if result.outcome == "opfyldt" else "lapsed",
                "closed_at": at,
                "in_time": result.in_time,
            }
            for result in step.results
            if isinstance(drejebog.rule(result.rule)[1], Task)
        ]
