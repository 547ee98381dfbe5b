"""The app's ports kept in memory: a store without a database, for tests and quick demos.

What it is for: the use cases (app/) are written against ports (app/ports.py), and the same
behavioural suite runs on this store as on SQLite and PostgreSQL (tests/store/backends.py):
a test about what a use case does needs no database, and every port has a second, much
simpler implementation to be checked against. Like procrastinate's `testing.py`, it ships in
the package. It implements `CaseUnitOfWork` and `FiringUnitOfWork` (`MemoryUnitOfWork`) and
`AdminStore` (`MemoryStore`).

What it keeps of the database's behaviour:
- The rows are the schema's own: store/tables.py is read, not copied (store/memory_tables.py),
  so the columns, defaults, NOT NULL, UNIQUE constraints and foreign keys are the same; JSON
  columns round trip through `json` as they do through the drivers; datetimes must be aware
  and are kept in UTC.
- A unit of work is a transaction. It reads a snapshot taken when it begins and writes to its
  own copies (a table is copied on its first write); `commit()` applies them at once, under a
  lock; leaving the with-block without committing leaves nothing behind, as a rollback does.
  `savepoint()` nests one.
- First committer wins: writing a case that another unit of work committed after this one
  began is a ConcurrencyConflict, at the write (as PostgreSQL's `UPDATE ... WHERE
  lock_version = :expected` finds it changed) or at the latest at the commit, which refuses
  every row changed meanwhile. A timer fired meanwhile is passed over by `mark_fired`.
- Ids come from one counter per table, like a sequence: never reused, with gaps after a
  rollback (as on PostgreSQL; SQLite hands out the highest rowid again).
- Errors are the SQL store's (store/driver_errors.py): a reused event id is a
  ConcurrencyConflict, any other UNIQUE violation a StoreError naming the cases and the
  constraint; an unknown case, worker, citizen or drejebog is NotFound with the same text.
- The Steps of a batch (`step_writes()`) are written one after the other, in the order added;
  the SQL store writes them with one statement per table, with the same result.

What it does not emulate:
- Row locks. PostgreSQL's `FOR UPDATE SKIP LOCKED` (several daemons sharing due timers),
  `load_cases(lock=True)`, blocking, lock timeouts and deadlocks have no counterpart: units of
  work never wait for each other, the later commit conflicts instead. What only PostgreSQL can
  show (two daemons, one due reminder) keeps its own tests.
- PostgreSQL's READ COMMITTED reads: a later statement there sees rows committed meanwhile;
  here every read sees the snapshot, and only writes are checked against the latest commit.
- SQL: statements, indexes, query plans and their speed, driver errors and migrations. Reads
  scan dicts: fast enough for tests and scenarios, not a benchmark.
- Parsing: a stored drejebog version is kept parsed; the SQL store parses its stored source
  again after a restart (store/drejebog_cache.py).
- Durability: nothing outlives the process.

The outbox's delivery, the inbox and the daily digest (`Outbox`, `InboxStore`,
`DigestUnitOfWork`) are in store/memory_delivery.py, the reads of the reports (`CaseReads`,
`DeliveryStatistics`) in store/memory_reads.py.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime

from drejebog.app.ports import (
    AppliedEvent,
    DueTimer,
    HistoryNote,
    NewVersion,
    NewWorker,
    OutboxRow,
    StoredCase,
    WorkerListing,
)
from drejebog.app.recipients import CitizenContact, Directory
from drejebog.engine.codec import facts_to_json, runtime_to_json, snapshot_from_json
from drejebog.engine.cpr import InvalidCpr, parse_cpr
from drejebog.engine.errors import ConcurrencyConflict, NotFound
from drejebog.engine.model import Drejebog
from drejebog.engine.runtime import Step
from drejebog.store.admin import CPR_TAKEN, HANDLE_TAKEN
from drejebog.store.memory_tables import MemoryDatabase, Refused, Row, Transaction, refusal
from drejebog.store.rows import staff_member
from drejebog.store.step_writes import StepWrites, history_row
from drejebog.store.tables import CASE
from drejebog.store.timer_rows import CLAIM_COLUMNS, due_timer, timer_row
from drejebog.store.unit_of_work import case_key

__all__ = ["MemoryStore", "MemoryUnitOfWork", "Row"]

_TABLES = CASE.metadata.sorted_tables  # every table of the schema (store/tables.py)


class MemoryStore(MemoryDatabase):
    """The committed data, shared by the units of work made from it; also the `AdminStore`
    (every call of that port is a transaction of its own)."""

    def __init__(self) -> None:
        super().__init__(_TABLES)
        self._drejeboeger: dict[int, Drejebog] = {}  # version key -> the parsed drejebog

    def unit_of_work(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self)

    # -- AdminStore ------------------------------------------------------------------------

    def worker_key(self, handle: str) -> int | None:
        row = self.tables["worker"].find(("handle",), (handle,))
        return int(row["id"]) if row is not None else None

    def workers(self) -> list[WorkerListing]:
        table = self.tables["worker"]
        return [
            WorkerListing(
                handle=row["handle"],
                name=row["name"],
                role=row["role"],
                team=row["team"],
                email=row["email"],
                leader=table.rows[row["leader_id"]]["handle"] if row["leader_id"] else None,
            )
            for row in sorted(table.rows.values(), key=lambda r: str(r["handle"]))
        ]

    def add_worker(self, worker: NewWorker) -> int | None:
        values = asdict(worker)
        leader = values.pop("leader")
        with self.unit_of_work() as uow:  # the leader read in the worker's transaction
            leader_id = None
            if leader:
                found = uow.table("worker").find(("handle",), (leader,))
                if found is None:
                    raise NotFound("leder", leader, " (opret lederen først)")
                leader_id = found["id"]
            row = self._insert_one(uow, "worker", {**values, "leader_id": leader_id}, HANDLE_TAKEN)
        return int(row["id"]) if row is not None else None

    def add_citizen(self, cpr: str, name: str, email: str, phone: str) -> bool:
        values = {"cpr": cpr, "name": name, "email": email, "phone": phone}
        with self.unit_of_work() as uow:
            return self._insert_one(uow, "citizen", values, CPR_TAKEN) is not None

    def content_hashes(self, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], str]:
        table = self.tables["drejebog_version"]
        found = {key: table.find(("drejebog_id", "version"), key) for key in keys}
        return {key: row["content_hash"] for key, row in found.items() if row is not None}

    def store_versions(self, versions: Sequence[NewVersion], now: datetime) -> None:
        with self.unit_of_work() as uow, _refused_as_store_error():
            for new in versions:
                drejebog = new.drejebog
                row = uow.insert(
                    "drejebog_version",
                    {
                        "drejebog_id": drejebog.id,
                        "version": drejebog.version,
                        "title": drejebog.title,
                        "content_hash": drejebog.content_hash,
                        "source_name": new.source_name,
                        "source_text": new.source_text,
                        "loaded_at": now,
                        "loaded_by": new.loaded_by,
                    },
                )
                self._drejeboeger[row["id"]] = drejebog  # its row is seen only once committed
            uow.commit()

    @staticmethod
    def _insert_one(
        uow: MemoryUnitOfWork, table: str, values: Mapping[str, object], taken: str
    ) -> Row | None:
        """Insert a row and commit; None if the UNIQUE key `taken` is (any other: StoreError)."""
        with _refused_as_store_error():
            try:
                row = uow.insert(table, values)
            except Refused as exc:
                if exc.constraint == taken:
                    return None
                raise
        uow.commit()
        return row

    def drejebog(self, version_key: int) -> Drejebog:
        """A stored version, kept parsed."""
        return self._drejeboeger[version_key]


@contextmanager
def _refused_as_store_error() -> Iterator[None]:
    try:
        yield
    except Refused as exc:
        raise refusal(exc, ()) from exc


class MemoryUnitOfWork(Transaction):
    """One transaction on a MemoryStore: the `CaseUnitOfWork` and the `FiringUnitOfWork`."""

    def __init__(self, store: MemoryStore) -> None:
        super().__init__(store)
        self._store = store

    @contextmanager
    def _refusals(self, case_ids: Callable[[], Iterable[object]]) -> Iterator[None]:
        """All of the block's writes or none; a UNIQUE violation as the SQL store says it."""
        mark = self.mark()
        try:
            yield
        except Refused as exc:
            self.restore(mark)
            raise refusal(exc, case_ids()) from exc
        except BaseException:
            self.restore(mark)
            raise

    # -- drejebøger ------------------------------------------------------------------------

    def drejebog_version(self, version_key: int) -> Drejebog:
        return self._store.drejebog(version_key)

    def drejebog_version_keys(self) -> list[int]:
        return sorted(int(r["id"]) for r in self.table("drejebog_version").where())

    def latest_drejebog(self, drejebog_id: str) -> tuple[int, Drejebog]:
        rows = self.table("drejebog_version").where(drejebog_id=drejebog_id)
        if not rows:
            known = sorted({r["drejebog_id"] for r in self.table("drejebog_version").where()})
            names = ", ".join(known) or "ingen; kør 'drejebog load workflows/'"
            raise NotFound("drejebog", drejebog_id, f" (indlæste drejebøger: {names})")
        return rows[-1]["id"], self.drejebog_version(rows[-1]["id"])

    def drejebog_by_version(self, drejebog_id: str, version: str) -> tuple[int, Drejebog]:
        versions = self.table("drejebog_version")
        row = versions.find(("drejebog_id", "version"), (drejebog_id, version))
        if row is None:
            known = ", ".join(r["version"] for r in versions.where(drejebog_id=drejebog_id))
            raise NotFound(
                "version", f"{drejebog_id} {version}", f" (indlæste versioner: {known or 'ingen'})"
            )
        return row["id"], self.drejebog_version(row["id"])

    def running_cases(self, drejebog_id: str) -> list[tuple[str, int, str]]:
        rows = self.table("case").where(drejebog_id=drejebog_id, closed_at=None)
        return [(str(r["id"]), r["drejebog_version_id"], r["state"]) for r in rows]

    # -- cases -----------------------------------------------------------------------------

    def create_case(
        self, citizen_ref: str, version_key: int, drejebog_id: str, at: datetime
    ) -> tuple[str, str]:
        try:
            cpr = parse_cpr(citizen_ref)
        except InvalidCpr as exc:
            raise NotFound("borger", "?", f": {exc}") from exc
        citizen = self.table("citizen").find(("cpr",), (cpr.formatted,))
        if citizen is None:
            raise NotFound("borger", cpr.masked, " (opret borgeren først)")
        row = self.insert(
            "case",
            {
                "citizen_id": citizen["id"],
                "drejebog_id": drejebog_id,
                "drejebog_version_id": version_key,
                "state": "",
                "facts": {},
                "runtime": {},
                "opened_at": at,
                "entered_at": at,
                "lock_version": 0,
            },
        )
        return str(row["id"]), citizen["name"]

    def worker_id(self, handle: str) -> int:
        worker = self.table("worker").find(("handle",), (handle,))
        if worker is None:
            raise NotFound("medarbejder", handle, " (se 'drejebog worker list')")
        return int(worker["id"])

    def assign(self, case_id: str, role: str, worker_ref: str) -> None:
        key = case_key(case_id)
        worker = self.worker_id(worker_ref)
        held = self.table("assignment").find(("case_id", "role"), (key, role))
        if held is not None:
            self.delete("assignment", held)
        self.insert("assignment", {"case_id": key, "role": role, "worker_id": worker})

    def assignee(self, case_id: str, role: str) -> str | None:
        held = self.table("assignment").find(("case_id", "role"), (case_key(case_id), role))
        if held is None:
            return None
        return str(self.table("worker").rows[held["worker_id"]]["handle"])

    def load_case(self, case_id: str) -> StoredCase:
        row = self.table("case").rows.get(case_key(case_id))
        if row is None:
            raise NotFound("sag", str(case_id))
        return self._stored(row)

    def load_cases(self, keys: Collection[int], lock: bool = False) -> dict[int, StoredCase]:
        """Several cases by store key (`lock` has no effect: see the module's docstring)."""
        cases = self.table("case").rows
        return {key: self._stored(cases[key]) for key in sorted(set(keys)) if key in cases}

    def _stored(self, row: Row) -> StoredCase:
        citizen = self.table("citizen").rows[row["citizen_id"]]
        drejebog = self.drejebog_version(row["drejebog_version_id"])
        snapshot = snapshot_from_json(
            drejebog,
            str(row["id"]),
            row["state"],
            row["facts"],
            row["runtime"],
            row["entered_at"],
            citizen["name"],
        )
        return StoredCase(
            snapshot=snapshot,
            drejebog=drejebog,
            version_key=row["drejebog_version_id"],
            lock_version=row["lock_version"],
        )

    def applied_event(self, event_id: str) -> AppliedEvent | None:
        row = self.table("case_history").find(("event_id",), (event_id,))
        return AppliedEvent(str(row["case_id"]), row["event"]) if row is not None else None

    def save_step(
        self, case: StoredCase, step: Step, note: HistoryNote, version_key: int | None = None
    ) -> None:
        """Write a Step as the SQL store does (store/step_writes.py), all of it or nothing."""
        key = case_key(step.case.id)
        with self._refusals(lambda: [step.case.id]):
            self._write_step(key, case, step, note, version_key or case.version_key)

    def step_writes(self) -> MemoryStepWrites:
        return MemoryStepWrites(self)

    def _write_step(
        self, key: int, case: StoredCase, step: Step, note: HistoryNote, version: int
    ) -> None:
        drejebog = case.drejebog if version == case.version_key else self.drejebog_version(version)
        row = self._unchanged_case(key, step.case.id, case.lock_version)
        new = step.case
        final = drejebog.states[new.state].final
        if new is case.snapshot and version == case.version_key and not final:
            self.update("case", row, lock_version=case.lock_version + 1)
        else:
            self.update(
                "case",
                row,
                state=new.state,
                facts=facts_to_json(dict(new.facts)),
                runtime=runtime_to_json(new),
                entered_at=new.entered_at,
                closed_at=note.at if final else None,
                lock_version=case.lock_version + 1,
                drejebog_version_id=version,
            )
        # in the order of StepWrites' statements: cancel, plan, open tasks, close tasks, history
        if step.cancel_due_from is not None:
            self._cancel(key, due_from=step.cancel_due_from)
        for rule in sorted(set(step.cancel_rules)):
            self._cancel(key, rule=rule)
        for timer in step.schedule:
            self.insert("timer", {**timer_row(key, version, timer)})
        for opened in StepWrites._task_rows(key, step, drejebog, note.at):
            self.insert("task", {**opened})
        for closing in StepWrites._closing_rows(key, step, drejebog, note.at):
            for task in self.table("task").where(case_id=key, rule=closing["rule"], status="open"):
                self.update(
                    "task",
                    task,
                    status=closing["status"],
                    closed_at=closing["closed_at"],
                    in_time=closing["in_time"],
                )
        self.insert("case_history", history_row(key, case.lock_version + 1, note))

    def _unchanged_case(self, key: int, case_id: str, expected: int) -> Row:
        """The case row to write, if nobody changed it since `expected` was read: neither in
        this unit of work nor in a commit after this one began (that one has won)."""
        row = self.table("case").rows.get(key)
        if row is None or row["lock_version"] != expected:
            raise ConcurrencyConflict(case_id)
        if self._store.committed("case", key) is not self.base_row("case", key):
            raise ConcurrencyConflict(case_id)
        return row

    def _cancel(self, key: int, rule: str | None = None, due_from: datetime | None = None) -> None:
        """Delete the case's pending timers of a rule, or those due at or after an instant (as
        store/sql.py's CANCEL_RULE and CANCEL_FROM do)."""
        for timer in self.table("timer").where(case_id=key, status="pending"):
            if (rule is None or timer["rule"] == rule) and (
                due_from is None or timer["due_at"] >= due_from
            ):
                self.delete("timer", timer)

    # -- the sweep -------------------------------------------------------------------------

    def claim_due(
        self, now: datetime, limit: int, passing_over: Collection[int] = ()
    ) -> list[DueTimer]:
        due = [
            row
            for row in self.table("timer").rows.values()
            if row["status"] == "pending" and row["due_at"] <= now and row["id"] not in passing_over
        ]
        due.sort(key=lambda row: (row["due_at"], row["id"]))
        return [due_timer([row[c] for c in CLAIM_COLUMNS]) for row in due[:limit]]

    def mark_fired(self, claimed: Sequence[DueTimer], now: datetime) -> list[DueTimer]:
        """The claimed timers still pending, now fired. One fired or cancelled (its row deleted)
        by a commit after this unit of work began is passed over, as PostgreSQL's UPDATE
        passes it."""
        marked = []
        timers = self.table("timer").rows
        for due in claimed:
            row = timers.get(due.id)
            latest = self._store.committed("timer", due.id)
            if row is None or row["status"] != "pending":
                continue
            if latest is None or latest["status"] != "pending":
                continue  # fired or cancelled (deleted) by a commit after this unit of work began
            self.update("timer", row, status="fired", fired_at=now)
            marked.append(due)
        return marked

    def directory(self, case_keys: Collection[int]) -> Directory:
        """Who can be reached on the cases: the assigned workers and the first active leder,
        then the leaders of those, and the citizens' contact details (as the SQL store)."""
        keys = set(case_keys)
        directory = Directory()
        for row in self.table("assignment").where():
            if row["case_id"] in keys:
                directory.assigned.setdefault(row["case_id"], {})[row["role"]] = row["worker_id"]
        workers = self.table("worker")
        leaders = workers.where(role="leder", active=True)
        wanted = {w for roles in directory.assigned.values() for w in roles.values()}
        wanted.update(row["id"] for row in leaders[:1])
        self._add_staff(directory, wanted)
        self._add_staff(directory, {s.leader_id for s in directory.staff.values()} - {None})
        if leaders:
            directory.fallback_leader = directory.staff.get(leaders[0]["id"])
        cases, citizens = self.table("case").rows, self.table("citizen").rows
        for key in sorted(keys & cases.keys()):
            citizen = citizens[cases[key]["citizen_id"]]
            directory.citizens[key] = CitizenContact(
                name=citizen["name"], email=citizen["email"], phone=citizen["phone"]
            )
        return directory

    def _add_staff(self, directory: Directory, ids: Collection[int | None]) -> None:
        workers = self.table("worker").rows
        for key in sorted(k for k in ids if k is not None and k in workers):
            row = workers[key]
            directory.staff.setdefault(key, staff_member(row))

    def write_outbox(self, rows: Sequence[OutboxRow]) -> None:
        with self._refusals(lambda: [row["case_id"] for row in rows]):
            for row in rows:
                self.insert("outbox", {**row})

    def next_due(self) -> datetime | None:
        pending = [
            t["due_at"] for t in self.table("timer").rows.values() if t["status"] == "pending"
        ]
        return min(pending, default=None)


class MemoryStepWrites:
    """The `StepWriter` of the in-memory store: the Steps added are written on `flush()`,
    one after the other, all or none."""

    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow
        self._steps: list[tuple[int, StoredCase, Step, HistoryNote, int]] = []

    def add(
        self, key: int, case: StoredCase, step: Step, note: HistoryNote, version_key: int
    ) -> None:
        self._steps.append((key, case, step, note, version_key))

    def flush(self) -> None:
        steps, self._steps = self._steps, []
        with self._uow._refusals(lambda: [step.case.id for _, _, step, _, _ in steps]):
            for key, case, step, note, version in steps:
                self._uow._write_step(key, case, step, note, version)
