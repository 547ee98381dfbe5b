"""Each shipped scenario through the store and the daemon's sweep, on SQLite and in memory: the
same notifications straight through and with the daemon (and all caches) restarted between
every step, the same reminders, escalations and missing check-ins as the pure simulator
prescribes, and the same messages, word for word, from the in-memory store as from SQLite, and
the same reports (every case in full, the task lists, the demo's summary)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime

import pytest

from drejebog.app import firing
from drejebog.app.cases import CaseService
from drejebog.app.firing import Channels
from drejebog.app.notices import has_message
from drejebog.app.replay import run_until
from drejebog.app.reports import summarize
from drejebog.engine.clock import SimulatedClock
from drejebog.engine.errors import ConcurrencyConflict
from drejebog.engine.model import Task
from drejebog.engine.runtime import Record
from drejebog.engine.scenario import load_scenario
from drejebog.engine.simulator import simulate
from drejebog.store.memory import MemoryStore
from drejebog.workflows import SCENARIOS_DIR
from tests.store.backends import Backend, Connect, memory_connection, sql_connection

SCENARIOS = sorted(SCENARIOS_DIR.glob("*.yaml"))
STAFF_ROLES = (
    "sagsbehandler",
    "koordinerende_sagsbehandler",
    "virksomhedskonsulent",
    "mentor",
    "forløbsmedarbejder",
    "projektleder",
)
OUTBOX_COLUMNS = (
    "case_id",
    "created_at",
    "kind",
    "rule",
    "role",
    "channel",
    "recipient",
    "subject",
    "body_text",
)


def replay(path, connect: Connect, restart: bool) -> list[tuple[object, ...]]:
    """The scenario played on the store: its outbox, by time and case."""
    backend, _ = play(path, connect, restart)
    rows = sorted(backend.rows("outbox"), key=lambda r: (r["created_at"], r["case_id"], r["id"]))
    backend.close()
    return [tuple(row[column] for column in OUTBOX_COLUMNS) for row in rows]


Look = Callable[[Backend, dict[int, str]], None]  # what a test reads before each step


def play(
    path, connect: Connect, restart: bool, look: Look | None = None
) -> tuple[Backend, dict[int, str]]:
    """The scenario played on the store to its end: the store, and the case id of each of
    its cases (`look` is called with both before each step, once due timers have fired)."""
    scenario = load_scenario(path)
    first = min(c.opened_at for c in scenario.cases)
    clock = SimulatedClock(first)
    backend = connect(clock)
    admin = backend.admin
    admin.load_drejebog_files([scenario.drejebog.source])
    admin.add_worker("leder", "Lea Leder", "leder")
    extra_roles = [r for r in scenario.drejebog.roles if r not in (*STAFF_ROLES, "leder", "borger")]
    for role in (*STAFF_ROLES, *extra_roles):
        admin.add_worker(role.replace("ø", "oe"), f"{role} A", role, "", "", "leder")
    steps: list[tuple[datetime, int, object]] = []
    for index, case in enumerate(scenario.cases):
        admin.add_citizen(
            f"{61 + index:02d}0190-{index:04d}",
            case.citizen_name or case.id,
            phone="+4500000000",
        )
        steps.append((case.opened_at, 0, (index, case)))
        steps.extend((event.at, 1, (index, event)) for event in case.events)
    steps.sort(key=lambda s: (s[0], s[1]))
    channels = Channels.named("sms")
    case_ids: dict[int, str] = {}
    for number, (at, kind, (index, item)) in enumerate(steps):
        run_until(backend.unit_of_work, clock, at, channels, before=True)
        if look is not None:
            look(backend, case_ids)
        if kind == 0:
            assign = {r: r.replace("ø", "oe") for r in (*STAFF_ROLES, *extra_roles)}
            # the daemon's channels for the tasks' messages too (the App wires them so)
            cases = CaseService(backend.unit_of_work, clock, channels)
            opened = cases.open_case(
                f"{61 + index:02d}0190-{index:04d}",
                scenario.drejebog.id,
                "sagsbehandler",
                item.facts,
                assign,
            )
            case_ids[index] = opened.case_id
        else:
            event_id = f"e{number}"  # not a random one: the reports show it
            CaseService(backend.unit_of_work, clock, channels).apply_event(
                case_ids[index], item.event, item.data, "sagsbehandler", event_id
            )
        if restart:
            backend.close()
            backend = connect(clock)
    run_until(backend.unit_of_work, clock, scenario.end, channels)
    return backend, case_ids


def reports(backend: Backend, case_ids: dict[int, str]) -> dict[str, object]:
    """What people and the demo read of the store (app/reports.py): every case in full, the
    open tasks (all, and overdue ones) and the demo's summary."""
    read = backend.reports
    shown = {
        "cases": [read.case_details(case_id) for case_id in case_ids.values()],
        "tasks": read.open_tasks(),
        "overdue": read.open_tasks(overdue=True),
        "summary": summarize(backend.statistics, len(case_ids), Counter()),
    }
    return shown


def connect_to(kind: str, tmp_path, name: str) -> Connect:
    """A way to (re)connect to one store: a SQLite file, or one MemoryStore (what outlives a
    restart there is the store itself; the units of work, caches and services are new)."""
    if kind == "memory":
        return memory_connection(MemoryStore())
    return sql_connection(f"sqlite:///{tmp_path / f'{name}.db'}")


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_gives_the_same_notifications_straight_and_restarted(path, kind, tmp_path):
    straight = replay(path, connect_to(kind, tmp_path, "straight"), restart=False)
    restarted = replay(path, connect_to(kind, tmp_path, "restarted"), restart=True)
    assert straight == restarted
    scenario = load_scenario(path)

    def sends(record: Record) -> bool:
        """A timer's record, or a task's whose rule has a message (sent when it is created)."""
        if record.kind == "task":
            task = scenario.drejebog.rule(record.name)[1]
            return isinstance(task, Task) and has_message(task.message)
        sending = ("reminder", "escalation", "checkin_missing", "misses_in_a_row", "at_least")
        return record.kind in sending

    simulated = [(r.at, r.kind, r.name, r.role) for r in simulate(scenario) if sends(r)]
    on_store = [(at, kind, rule, role) for _, at, kind, rule, role, *_ in straight]
    assert sorted(on_store) == sorted(simulated)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_the_memory_store_sends_exactly_what_sqlite_sends(path, tmp_path):
    in_memory = replay(path, connect_to("memory", tmp_path, "memory"), restart=False)
    assert in_memory == replay(path, connect_to("sqlite", tmp_path, "sqlite"), restart=False)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_the_memory_store_reports_exactly_what_sqlite_reports(path, tmp_path):
    def read_throughout(kind: str) -> list[dict[str, object]]:
        read: list[dict[str, object]] = []
        connect = connect_to(kind, tmp_path, kind)
        backend, case_ids = play(path, connect, False, lambda *store: read.append(reports(*store)))
        read.append(reports(backend, case_ids))
        backend.close()
        return read

    in_memory = read_throughout("memory")
    assert in_memory == read_throughout("sqlite")
    assert any(r["tasks"] for r in in_memory) and in_memory[-1]["summary"]["fired"]


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_firing_one_timer_at_a_time_sends_what_the_batches_send(path, kind, tmp_path, monkeypatch):
    batched = replay(path, connect_to(kind, tmp_path, "batched"), restart=False)

    def lose_every_race(_uow, claimed, *_args):
        raise ConcurrencyConflict(*(due.timer.case_id for due in claimed))

    monkeypatch.setattr(firing, "fire_batch", lose_every_race)
    one_by_one = replay(path, connect_to(kind, tmp_path, "one_by_one"), restart=False)
    assert one_by_one == batched and batched
