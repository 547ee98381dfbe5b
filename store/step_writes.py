"""Writing Steps: the rows a list of engine Steps changes, one executemany per statement.

An event writes one Step; the daemon's sweep writes the Steps of a whole batch of timers at
once. Both go through `StepWrites`, so a row is written the same way whichever path made it.
The statements are hand-written SQL (store/sql.py) run on the driver's cursor
(store/fastsql.py): building and compiling a Core statement per call cost more than running it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, NotRequired, TypedDict

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.exc import DBAPIError

from drejebog.app.ports import HistoryNote, StoredCase
from drejebog.engine.codec import facts_to_json, runtime_to_json
from drejebog.engine.errors import ConcurrencyConflict
from drejebog.engine.model import Drejebog, Task
from drejebog.engine.runtime import Step
from drejebog.store import sql
from drejebog.store.driver_errors import translate
from drejebog.store.fastsql import FastStatement, run_all
from drejebog.store.tables import CASE
from drejebog.store.timer_rows import TimerInsert, timer_row


class CaseUpdate(TypedDict):
    """The case row after a Step: the whole row, or (a Step that left the case as it was)
    only the lock version moved on."""

    key: int
    expected: int  # the lock version read: the update fails if someone saved in between
    lock_version: int
    state: NotRequired[str]
    facts: NotRequired[dict[str, Any]]
    runtime: NotRequired[dict[str, Any]]
    entered_at: NotRequired[datetime]
    closed_at: NotRequired[datetime | None]
    drejebog_version_id: NotRequired[int]


class TaskInsert(TypedDict):
    case_id: int
    rule: str
    occurrence: str
    role: str
    title: str
    state: str
    optional: bool
    due_date: date | None
    created_at: datetime


class TaskClose(TypedDict):
    key: int
    rule: str
    status: str  # done, lapsed
    closed_at: datetime
    in_time: bool | None


class HistoryInsert(TypedDict):
    case_id: int
    seq: int
    at: datetime
    actor: str
    kind: str
    event: str | None
    event_id: str | None
    from_state: str | None
    to_state: str | None
    data: dict[str, object]


def history_row(key: int, seq: int, note: HistoryNote) -> HistoryInsert:
    """The history row of a Step's note (the SQL and the in-memory store write the same)."""
    return {
        "case_id": key,
        "seq": seq,
        "at": note.at,
        "actor": note.actor,
        "kind": note.kind,
        "event": note.event,
        "event_id": note.event_id,
        "from_state": note.from_state,
        "to_state": note.to_state,
        "data": dict(note.data),
    }


class RuleCancel(TypedDict):
    key: int
    rule: str


class CancelFrom(TypedDict):
    key: int
    due_from: datetime


__all__ = ["StepWrites", "history_row", "timer_row"]  # timer_row: see store/timer_rows.py

_LOCK_VERSIONS = select(CASE.c.id, CASE.c.lock_version).where(
    CASE.c.id.in_(bindparam("keys", expanding=True))
)


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
        self._cases: dict[int, CaseUpdate] = {}
        self._case_ids: dict[int, str] = {}
        self._cancel_from: list[CancelFrom] = []
        self._cancel_rules: list[RuleCancel] = []
        self._timers: list[TimerInsert] = []
        self._tasks: list[TaskInsert] = []
        self._closing: list[TaskClose] = []
        self._history: list[HistoryInsert] = []

    def add(
        self, key: int, case: StoredCase, step: Step, note: HistoryNote, version_key: int
    ) -> None:
        if version_key == case.version_key:
            drejebog = case.drejebog
        else:
            drejebog = self._drejebog_version(version_key)
        closing = self._closing_rows(key, step, drejebog, note.at)
        if key in self._cases and (step.cancel_due_from or step.cancel_rules or closing):
            self.flush()
        new = step.case
        expected = self._cases[key]["expected"] if key in self._cases else case.lock_version
        self._case_ids[key] = new.id
        unchanged = new is case.snapshot and version_key == case.version_key
        if unchanged and not drejebog.states[new.state].final:
            update = self._cases.get(key)
            if update is None:
                self._cases[key] = {
                    "key": key,
                    "expected": expected,
                    "lock_version": case.lock_version + 1,
                }
            else:
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
                "drejebog_version_id": version_key,
            }
        if step.cancel_due_from is not None:
            self._cancel_from.append({"key": key, "due_from": step.cancel_due_from})
        self._cancel_rules.extend(
            {"key": key, "rule": rule} for rule in sorted(set(step.cancel_rules))
        )
        self._timers.extend(timer_row(key, version_key, t) for t in step.schedule)
        self._tasks.extend(self._task_rows(key, step, drejebog, note.at))
        self._closing.extend(closing)
        self._history.append(history_row(key, case.lock_version + 1, note))

    def flush(self) -> None:
        """Write what was added; driver errors come out as the engine's errors, naming the
        cases written (store/driver_errors.py)."""
        try:
            self._flush()
        except DBAPIError as exc:
            raise translate(exc, self._case_ids.values()) from exc
        self._clear()

    def _flush(self) -> None:
        """The statements with `run_all` (on PostgreSQL one pipeline: one wait for the server
        instead of one or more per statement). The case rows come first: if fewer were
        updated than written, someone saved one of the cases in between, and that is the
        error raised, whatever a later statement then ran into."""
        updates = list(self._cases.values())
        full = [u for u in updates if "state" in u]
        bumps = [u for u in updates if "state" not in u]
        batches: list[tuple[FastStatement, list[Any]]] = [
            (statement, rows)
            for statement, rows in (
                (sql.UPDATE_CASE, full),
                (sql.BUMP_CASE, bumps),
                (sql.CANCEL_FROM, self._cancel_from),
                (sql.CANCEL_RULE, self._cancel_rules),
                (sql.INSERT_TIMER, self._timers),
                (sql.INSERT_TASK, self._tasks),
                (sql.CLOSE_TASK, self._closing),
                (sql.INSERT_HISTORY, self._history),
            )
            if rows
        ]
        if len(updates) > 1 or (updates and self._connection.dialect.name != "postgresql"):
            # the case rows alone first, so a lost race writes nothing more and the cases
            # saved meanwhile can still be read (a sweep's batch: one wait more per batch)
            case_batches = batches[: bool(full) + bool(bumps)]
            batches = batches[len(case_batches) :]
            counts, error = run_all(self._connection, case_batches)
            if error is None and sum(counts) != len(updates):
                raise ConcurrencyConflict(*self._stale(updates))
            if error is not None:
                raise error
            counts, error = run_all(self._connection, batches)
        else:  # one case on PostgreSQL (an event): every statement in one pipeline
            counts, error = run_all(self._connection, batches)
            # the case row was updated (not refused) but did not match: a lost race, whatever
            # error a later statement then ran into
            if updates and counts and counts[0] == 0:
                raise ConcurrencyConflict(self._case_ids[updates[0]["key"]])
        if error is not None:
            raise error

    def _stale(self, updates: list[CaseUpdate]) -> list[str]:
        """The cases someone else saved first (only asked when an update failed). One case:
        that one. Several: those now at another lock version than the one written here, read
        again; a case moved on by exactly one looks like one of ours, so when none is certain,
        all of them."""
        if len(updates) == 1:
            return [self._case_ids[updates[0]["key"]]]
        keys = [u["key"] for u in updates]
        now = dict(self._connection.execute(_LOCK_VERSIONS, {"keys": keys}).all())
        certain = [u["key"] for u in updates if now.get(u["key"]) != u["lock_version"]]
        return [self._case_ids[key] for key in certain or keys]

    @staticmethod
    def _task_rows(key: int, step: Step, drejebog: Drejebog, at: datetime) -> list[TaskInsert]:
        rows: list[TaskInsert] = []
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
    def _closing_rows(key: int, step: Step, drejebog: Drejebog, at: datetime) -> list[TaskClose]:
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
