"""The in-memory store's own promises (store/memory.py): a unit of work is a transaction,
the first committer wins, and the schema's constraints hold as they do in the databases."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import SQLModel

from drejebog.app.cases import runtime_for
from drejebog.app.firing import Channels, fire_batch
from drejebog.app.ports import HistoryNote
from drejebog.engine.errors import ConcurrencyConflict, StoreError
from drejebog.store.memory import MemoryStore
from tests.conftest import local
from tests.store.backends import MemoryBackend
from tests.store.conftest import ANNA_CPR, staff
from tests.store.test_case_service import REHAB


@pytest.fixture
def memory(clock) -> MemoryBackend:
    return staff(MemoryBackend(MemoryStore(), clock))


def opened(memory: MemoryBackend) -> str:
    case_id = memory.cases.open_case(
        ANNA_CPR, "mini", "anna_s", assignments={"sagsbehandler": "anna_s"}
    ).case_id
    memory.cases.apply_event(case_id, "rehab_holdt", REHAB, "anna_s")
    return case_id


def test_every_table_of_the_schema_is_kept():
    assert set(MemoryStore().tables) == set(SQLModel.metadata.tables)


def test_a_unit_of_work_left_without_commit_leaves_nothing(memory):
    before = {table: memory.rows(table) for table in ("case", "timer", "case_history")}
    with memory.unit_of_work() as uow:
        case_id, _ = uow.create_case(ANNA_CPR, 1, "mini", memory.clock.now())
        uow.assign(case_id, "sagsbehandler", "anna_s")
    assert {table: memory.rows(table) for table in before} == before
    with pytest.raises(RuntimeError, match="with-block"):
        uow.load_case(case_id)


def test_ids_are_never_handed_out_twice_not_even_after_a_rollback(memory):
    with memory.unit_of_work() as uow:
        rolled_back, _ = uow.create_case(ANNA_CPR, 1, "mini", memory.clock.now())
    kept = opened(memory)
    assert int(kept) == int(rolled_back) + 1


def test_the_first_of_two_writers_to_commit_wins(memory):
    case_id = opened(memory)
    first, second = memory.unit_of_work(), memory.unit_of_work()
    with first, second:
        steps = []
        for uow, event in ((first, "overdrag"), (second, "ny_moededato")):
            stored = uow.load_case(case_id)
            data = (
                {"jobmaal_afklaret": "ja"} if event == "overdrag" else {"rehab_moede": "2027-03-02"}
            )
            step = runtime_for(stored.drejebog).apply(
                stored.snapshot, event, data, memory.clock.now()
            )
            uow.save_step(stored, step, HistoryNote(memory.clock.now(), "anna_s", "hændelse"))
            steps.append(step)
        first.commit()
        with pytest.raises(ConcurrencyConflict) as caught:
            second.commit()
    assert caught.value.case_id == case_id
    (case,) = memory.rows("case", id=int(case_id))
    assert case["state"] == steps[0].case.state == "forloeb" and case["lock_version"] == 3


def test_two_sweeps_firing_the_same_timer_at_once_send_it_once(memory, clock):
    opened(memory)
    clock.advance_to(local("2027-03-12 08:00"))
    slow, fast = memory.unit_of_work(), memory.unit_of_work()
    with slow, fast:
        claimed = slow.claim_due(clock.now(), 10)
        assert [due.id for due in claimed] == [due.id for due in fast.claim_due(clock.now(), 10)]
        fire_batch(slow, claimed, clock.now(), Channels())
        fire_batch(fast, fast.claim_due(clock.now(), 10), clock.now(), Channels())
        fast.commit()
        with pytest.raises(ConcurrencyConflict):
            slow.commit()
    assert len(memory.rows("outbox")) == 1
    assert [t["status"] for t in memory.rows("timer", id=claimed[0].id)] == ["fired"]


def test_a_timer_fired_by_a_commit_after_the_unit_of_work_began_is_passed_over(memory, clock):
    opened(memory)
    clock.advance_to(local("2027-03-12 08:00"))
    with memory.unit_of_work() as late:
        claimed = late.claim_due(clock.now(), 10)
        with memory.unit_of_work() as early:
            early.mark_fired(early.claim_due(clock.now(), 10), clock.now())
            early.commit()
        assert late.mark_fired(claimed, clock.now()) == []


def test_a_timer_cancelled_by_a_commit_after_the_unit_of_work_began_is_passed_over(memory, clock):
    case_id = opened(memory)
    clock.advance_to(local("2027-03-12 08:00"))
    with memory.unit_of_work() as late:
        claimed = late.claim_due(clock.now(), 10)
        assert claimed
        # the case leaves its state meanwhile: its pending timers are deleted
        memory.cases.apply_event(case_id, "overdrag", {"jobmaal_afklaret": "ja"}, "anna_s")
        cancelled = [due for due in claimed if not memory.rows("timer", id=due.id)]
        assert cancelled
        fired = late.mark_fired(claimed, clock.now())
        assert not {due.id for due in fired} & {due.id for due in cancelled}


def test_a_savepoint_undoes_only_what_was_written_inside_it(memory):
    case_id = opened(memory)
    with memory.unit_of_work() as uow:
        uow.assign(case_id, "mentor", "karl")
        with pytest.raises(ZeroDivisionError), uow.savepoint():
            uow.assign(case_id, "leder", "lene")
            raise ZeroDivisionError
        uow.commit()
    roles = {a["role"] for a in memory.rows("assignment", case_id=int(case_id))}
    assert roles == {"sagsbehandler", "mentor"}


def reminder_message(uow, case_id: str, now, recipient: str = "") -> dict[str, object]:
    """An inbox message for the case's reminder timer, as the sweep would write it."""
    (timer,) = [t for t in uow.table("timer").where(case_id=int(case_id), kind="reminder")]
    return {
        "case_id": int(case_id),
        "timer_id": timer["id"],
        "kind": "reminder",
        "channel": "inbox",
        **({"recipient": recipient} if recipient else {}),
        "subject": "x",
        "body_text": "x",
        "created_at": now,
        "status": "sent",
        "next_attempt_at": now,
    }


def test_a_refused_write_leaves_the_unit_of_work_as_it_was(memory, clock):
    case_id = opened(memory)
    with memory.unit_of_work() as uow:
        stored = uow.load_case(case_id)
        row = reminder_message(uow, case_id, clock.now(), "anna_s")
        uow.write_outbox([row])
        with pytest.raises(StoreError, match=rf"sag {case_id}: .*\(uq_outbox_once\)"):
            uow.write_outbox([{**row, "recipient": "lene"}, row])
        assert len(uow.table("outbox").rows) == 1  # the whole call undone, not half
        assert uow.load_case(case_id) == stored


def test_a_reused_event_id_is_a_conflict_as_on_the_databases(memory):
    first, second = opened(memory), opened(memory)
    memory.cases.apply_event(first, "praktik_startet", {}, "anna_s", "same-id")
    with memory.unit_of_work() as uow:
        stored = uow.load_case(second)
        step = runtime_for(stored.drejebog).apply(
            stored.snapshot, "praktik_startet", {}, memory.clock.now()
        )
        note = HistoryNote(memory.clock.now(), "anna_s", "hændelse", "praktik_startet", "same-id")
        with pytest.raises(ConcurrencyConflict, match=f"sag {second}"):
            uow.save_step(stored, step, note)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"name": "Uden brugernavn", "role": "leder"}, r"handle skal have en værdi"),
        ({"handle": "x", "name": "X", "role": "leder", "leader_id": 99}, r"worker 99 findes ikke"),
        ({"handle": "x", "name": "X", "role": "leder", "colour": "red"}, r"ingen kolonne colour"),
    ],
    ids=["not-null", "foreign-key", "unknown-column"],
)
def test_the_schema_s_rules_hold(memory, values, message):
    with pytest.raises(StoreError, match=message), memory.unit_of_work() as uow:
        uow.insert("worker", values)


def test_columns_give_back_what_a_database_gives_back(memory):
    with memory.unit_of_work() as uow:
        with pytest.raises(StoreError, match="naivt tidspunkt"):
            uow.create_case(ANNA_CPR, 1, "mini", datetime(2027, 3, 1, 9))
        case_id, _ = uow.create_case(ANNA_CPR, 1, "mini", local("2027-03-01 09:00"))
        row = uow.table("case").rows[int(case_id)]
        changed = uow.update("case", row, facts={"dage": (1, 2)})
        assert changed["facts"] == {"dage": [1, 2]}  # JSON: a tuple comes back as a list
        assert changed["opened_at"].utcoffset() == timedelta(0)  # aware, in UTC


def test_a_key_taken_by_a_concurrent_commit_is_refused_as_on_the_databases(memory):
    """At commit, as in SQL: another UNIQUE key taken meanwhile is a StoreError (retrying
    will not help); only the event id is a ConcurrencyConflict (test below)."""
    worker = {"handle": "ny", "name": "Ny", "role": "mentor"}
    first, second = memory.unit_of_work(), memory.unit_of_work()
    with first, second:
        first.insert("worker", worker)
        second.insert("worker", worker)
        first.commit()
        with pytest.raises(StoreError, match=r"\(worker_handle_key\)") as caught:
            second.commit()
    assert not isinstance(caught.value, ConcurrencyConflict)
    assert [w["handle"] for w in memory.rows("worker")].count("ny") == 1


def test_an_event_id_taken_by_a_concurrent_commit_is_a_conflict(memory):
    cases = [opened(memory), opened(memory)]
    units = [memory.unit_of_work(), memory.unit_of_work()]
    with units[0], units[1]:
        for uow, case_id in zip(units, cases, strict=True):
            stored = uow.load_case(case_id)
            step = runtime_for(stored.drejebog).apply(
                stored.snapshot, "praktik_startet", {}, memory.clock.now()
            )
            note = HistoryNote(memory.clock.now(), "anna_s", "hændelse", "praktik_startet", "id")
            uow.save_step(stored, step, note)
        units[0].commit()
        with pytest.raises(ConcurrencyConflict) as caught:
            units[1].commit()
    assert caught.value.case_ids == (cases[1],)


def test_many_writes_in_one_unit_of_work_copy_a_table_once(memory, clock, monkeypatch):
    """Each write_outbox (and save_step) is all or nothing; that must not copy the table
    again for every call, or the sweep's one-by-one path grows quadratic."""
    from drejebog.store.memory_tables import MemoryTable

    copied: list[str] = []
    copy = MemoryTable.copy

    def counted(table: MemoryTable) -> MemoryTable:
        copied.append(table.schema.name)
        return copy(table)

    case_id = opened(memory)
    monkeypatch.setattr(MemoryTable, "copy", counted)
    with memory.unit_of_work() as uow:
        row = reminder_message(uow, case_id, clock.now())
        for number in range(50):
            with uow.savepoint():
                uow.write_outbox([{**row, "recipient": f"modtager_{number}"}])
        with pytest.raises(StoreError):  # a refused write is still undone, whole
            uow.write_outbox([{**row, "recipient": "ny"}, {**row, "recipient": "modtager_0"}])
        uow.write_outbox([{**row, "recipient": "sidste"}])
        uow.commit()
    assert copied.count("outbox") == 1
    assert len(memory.rows("outbox")) == 51
