"""The reads for people and reports in memory: a case in full, the open tasks and what the demo
counts (the `CaseReads` and `DeliveryStatistics` ports of app/ports.py) on a MemoryStore, with
the worker's inbox of `MemoryInbox` (the `InboxStore` port), as `SqlReads` (store/reads.py,
store/queries.py) gives them: the same rows in the same order, the views built by the same
functions (store/rows.py). Each call reads one snapshot of the committed tables, as each SQL
call is one short transaction.

Strings sort by code point, as SQLite compares them; PostgreSQL's collation may order
differently where they differ only in punctuation (roles with an underscore)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from drejebog.app.ports import SampleMessage, TaskView
from drejebog.engine.errors import NotFound
from drejebog.store.memory_delivery import MemoryInbox
from drejebog.store.memory_tables import MemoryTable, Row
from drejebog.store.rows import CaseRows, case_view, task_view
from drejebog.store.unit_of_work import case_key

Tables = Mapping[str, MemoryTable]


class MemoryReads(MemoryInbox):
    """The reads above, each call on a snapshot of the store's committed tables."""

    # -- cases and tasks ---------------------------------------------------------------------

    def case_details(self, case_id: str, now: datetime) -> dict[str, Any]:
        key = case_key(case_id)
        tables = self._store.snapshot()
        case = tables["case"].rows.get(key)
        if case is None:
            raise NotFound("sag", str(case_id))
        return case_view(_case_rows(tables, case), now)

    def open_tasks(
        self, today: date, worker: str | None, role: str | None, overdue: bool
    ) -> list[TaskView]:
        """Open tasks, soonest deadline first (tasks without a deadline last), then by id."""
        tables = self._store.snapshot()
        worker_key = None
        if worker is not None:
            found = tables["worker"].find(("handle",), (worker,))
            if found is None:
                raise NotFound("medarbejder", worker, " (se 'drejebog worker list')")
            worker_key = found["id"]
        rows = [
            row
            for row in _open_task_rows(tables)
            if (worker is None or row["worker_id"] == worker_key)
            and (role is None or row["role"] == role)
            and (not overdue or (row["due_date"] is not None and row["due_date"] < today))
        ]
        rows.sort(key=_soonest)
        return [task_view(row, today) for row in rows]

    # -- what the demo counts ----------------------------------------------------------------

    def messages_by_kind_and_role(self) -> list[tuple[str, str, int]]:
        counts = Counter(
            (row["kind"], row["role"])
            for row in self._outbox()
            if row["kind"] != "digest" and row["channel"] in ("inbox", "sms")
        )
        return [(kind, role, count) for (kind, role), count in sorted(counts.items())]

    def digest_count(self) -> int:
        return sum(1 for row in self._outbox() if row["kind"] == "digest")

    def first_message(self, kind: str) -> SampleMessage | None:
        row = next((row for row in self._outbox() if row["kind"] == kind), None)
        return (
            None
            if row is None
            else SampleMessage(row["recipient"], row["subject"], row["body_text"])
        )

    def event_results(self) -> list[Mapping[str, Any]]:
        history = self._store.snapshot()["case_history"].where(kind="hændelse")
        return [result for row in history for result in (row["data"] or {}).get("results", [])]

    def escalations_to_leader_inbox(self) -> dict[str, int]:
        counts = Counter(
            row["rule"]
            for row in self._outbox()
            if (row["kind"], row["role"], row["channel"]) == ("escalation", "leder", "inbox")
        )
        return dict(sorted(counts.items()))

    def _outbox(self) -> list[Row]:
        """The committed outbox, by id."""
        return self._store.snapshot()["outbox"].where()


def _case_rows(tables: Tables, case: Row) -> CaseRows:
    """What `drejebog case show` reads of the case, as store/queries.py reads it."""
    key = case["id"]
    citizen = tables["citizen"].rows[case["citizen_id"]]
    version = tables["drejebog_version"].rows[case["drejebog_version_id"]]
    workers = tables["worker"].rows
    assignments = sorted(tables["assignment"].where(case_id=key), key=lambda a: str(a["role"]))
    timers = tables["timer"].where(case_id=key, status="pending")
    tasks = tables["task"].where(case_id=key)
    return CaseRows(
        case={
            **case,
            "name": citizen["name"],
            "cpr": citizen["cpr"],
            "version": version["version"],
            "title": version["title"],
        },
        assignments=[
            {
                **a,
                "handle": workers[a["worker_id"]]["handle"],
                "name": workers[a["worker_id"]]["name"],
            }
            for a in assignments
        ],
        timers=sorted(timers, key=lambda t: (t["due_at"], t["id"])),  # as planned, at a tie
        tasks=sorted(tasks, key=lambda t: (t["created_at"], t["id"])),
        history=sorted(tables["case_history"].where(case_id=key), key=lambda h: int(h["seq"])),
    )


def _open_task_rows(tables: Tables) -> list[Row]:
    """The open tasks, each with its citizen's name (`citizen`) and the worker holding its
    role on the case (`worker_id`, `worker`: the handle; None if nobody does)."""
    cases, citizens, workers = tables["case"].rows, tables["citizen"].rows, tables["worker"].rows
    assigned = {(a["case_id"], a["role"]): a["worker_id"] for a in tables["assignment"].where()}
    rows = []
    for task in tables["task"].where(status="open"):
        worker_id = assigned.get((task["case_id"], task["role"]))
        citizen = citizens[cases[task["case_id"]]["citizen_id"]]
        worker = workers[worker_id]["handle"] if worker_id is not None else None
        rows.append({**task, "citizen": citizen["name"], "worker_id": worker_id, "worker": worker})
    return rows


def _soonest(row: Row) -> tuple[bool, date, int]:
    """Tasks without a deadline last, as `ORDER BY due_date IS NULL, due_date, id`."""
    due: date | None = row["due_date"]
    return (due is None, due or date.min, int(row["id"]))
