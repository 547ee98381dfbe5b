"""Driver errors become the engine's errors in one place (store/driver_errors.py), by class and
constraint name, naming the cases involved."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlmodel import SQLModel

from drejebog.engine.errors import ConcurrencyConflict, StoreError, shown
from drejebog.store import sql
from drejebog.store.driver_errors import (
    EVENT_ID_TAKEN,
    constraint_name,
    translate,
    translating,
    unique_constraints,
)
from drejebog.store.fastsql import run_many
from drejebog.store.tables import HISTORY
from tests.store.test_firing import open_rehab


class FakeDriverError(Exception):
    """What a driver raises, with the fields psycopg or sqlite3 give."""

    def __init__(self, message: str, **fields: object) -> None:
        super().__init__(message)
        for name, value in fields.items():
            setattr(self, name, value)


def wrapped(cls: type[DBAPIError], orig: Exception) -> DBAPIError:
    return cls("statement", None, orig)


def test_postgresql_sqlstates_of_a_lost_race_are_conflicts() -> None:
    for sqlstate in ("40001", "40P01", "55P03"):
        error = translate(wrapped(OperationalError, FakeDriverError("x", sqlstate=sqlstate)), ["7"])
        assert isinstance(error, ConcurrencyConflict) and error.case_ids == ("7",)
        assert error.case_id == "7"
    other = translate(wrapped(OperationalError, FakeDriverError("x", sqlstate="08006")), ["7"])
    assert isinstance(other, StoreError) and other.retryable


def test_sqlite_busy_and_locked_are_conflicts_by_their_result_code() -> None:
    for code in (5, 6, 517):  # SQLITE_BUSY, SQLITE_LOCKED, SQLITE_BUSY_SNAPSHOT
        error = translate(
            wrapped(OperationalError, FakeDriverError("nothing to match", sqlite_errorcode=code)),
            ["8", 7],
        )
        assert isinstance(error, ConcurrencyConflict) and error.case_ids == ("7", "8")
    # the message alone decides nothing
    full = wrapped(OperationalError, FakeDriverError("database is locked", sqlite_errorcode=13))
    assert isinstance(translate(full, ["7"]), StoreError)


def test_a_lost_race_on_no_case_in_particular_is_a_retryable_store_error() -> None:
    error = translate(wrapped(OperationalError, FakeDriverError("x", sqlstate="55P03")), ())
    assert isinstance(error, StoreError) and error.retryable and "sag" not in str(error)


def test_the_constraint_is_psycopgs_name_or_sqlites_columns() -> None:
    diag = SimpleNamespace(constraint_name="uq_outbox_once")
    assert constraint_name(wrapped(IntegrityError, FakeDriverError("x", diag=diag))) == (
        "uq_outbox_once"
    )
    sqlite_error = FakeDriverError(
        "UNIQUE constraint failed: case_history.event_id", sqlite_errorcode=2067
    )
    assert constraint_name(wrapped(IntegrityError, sqlite_error)) == EVENT_ID_TAKEN
    names = unique_constraints(SQLModel.metadata)
    assert names["timer.case_id, timer.rule, timer.occurrence, timer.step"] == (
        "uq_timer_natural_key"
    )
    assert names["case_history.event_id"] == EVENT_ID_TAKEN


def test_case_ids_are_named_and_a_long_list_is_cut() -> None:
    assert shown([3, "1", 2, 2]) == "1, 2, 3"
    assert shown(range(1, 10)) == "1, 2, 3, 4, 5 og 4 andre"


def test_a_conflict_on_many_cases_carries_every_id_and_cuts_only_its_message() -> None:
    locked = wrapped(OperationalError, FakeDriverError("x", sqlstate="40001"))
    error = translate(locked, [str(key) for key in range(500, 16, -1)])
    assert isinstance(error, ConcurrencyConflict)
    assert error.case_ids == tuple(str(key) for key in range(17, 501))
    assert error.case_id == "17"
    assert str(error).startswith("sag 17, 18, 19, 20, 21 og 479 andre: ")
    one = ConcurrencyConflict("42")
    assert one.case_ids == ("42",) and one.case_id == "42"
    assert str(one) == "sag 42: sagen blev ændret af en anden samtidig; intet er gemt, prøv igen"
    with pytest.raises(TypeError):  # one id as a string would be split into its digits
        translate(locked, "42")


def test_on_the_database_an_event_id_taken_is_a_conflict_and_another_key_is_refused(
    staffed,
) -> None:
    """The real drivers' errors, on SQLite and PostgreSQL, from the raw cursor and from Core."""
    case_id = open_rehab(staffed)
    row = {
        "case_id": int(case_id),
        "at": staffed.clock.now(),
        "actor": "test",
        "kind": "hændelse",
        "event": None,
        "from_state": None,
        "to_state": None,
        "data": {},
    }
    with staffed.engine.begin() as connection:
        run_many(connection, sql.INSERT_HISTORY, [{**row, "seq": 90, "event_id": "e-1"}])
    with staffed.engine.connect() as connection:
        connection.begin()
        with pytest.raises(ConcurrencyConflict) as taken, translating([case_id]):
            run_many(connection, sql.INSERT_HISTORY, [{**row, "seq": 91, "event_id": "e-1"}])
        assert taken.value.case_ids == (case_id,)
        connection.rollback()
        connection.begin()
        with pytest.raises(StoreError) as refused, translating([case_id]):
            connection.execute(insert(HISTORY).values(**row, seq=90, event_id="e-2"))
        assert f"sag {case_id}:" in str(refused.value) and not refused.value.retryable
        connection.rollback()


def test_a_batch_written_over_a_case_saved_meanwhile_names_that_case(staffed) -> None:
    """StepWrites updates a batch's cases in one executemany; when one was saved by someone
    else in between, the conflict names it, not a placeholder. (SQLite refuses the whole
    transaction, its read snapshot being stale: it names every case written.)"""
    from drejebog.app.ports import HistoryNote
    from drejebog.engine.runtime import Step
    from tests.store.conftest import BO_CPR

    first, second = open_rehab(staffed), open_rehab(staffed, BO_CPR)
    with staffed.unit_of_work() as uow:
        cases = uow.load_cases([int(first), int(second)])
        for event in ("praktik_startet", "afslut"):  # the second case moves on twice
            staffed.cases.apply_event(second, event, {}, "anna_s")
        writes = uow.step_writes()
        note = HistoryNote(staffed.clock.now(), "test", "påmindelse")
        for key, stored in cases.items():
            writes.add(key, stored, Step(case=stored.snapshot), note, stored.version_key)
        with pytest.raises(ConcurrencyConflict) as caught:
            writes.flush()
    sqlite = staffed.engine.dialect.name == "sqlite"
    assert caught.value.case_ids == ((first, second) if sqlite else (second,))


def test_a_driver_error_while_a_batch_reads_a_drejebog_version_falls_back_one_by_one(
    staffed, clock, monkeypatch
) -> None:
    """The version lookup runs in the middle of a batch when the cache is cold (after a new
    'load'); its driver error must reach the sweep as ours, or the sweep stops instead of
    firing one timer at a time."""
    from sqlite3 import OperationalError as SqliteOperationalError

    from sqlalchemy import Select
    from sqlalchemy.engine import Connection

    from drejebog.app.firing import Channels, sweep
    from drejebog.store.drejebog_cache import DrejebogCache
    from drejebog.store.tables import VERSION

    app = staffed
    open_rehab(app)
    clock.advance(timedelta(days=30))
    app.cache = DrejebogCache()  # a daemon that has not read this version yet
    execute = Connection.execute
    failures = []

    def locked_once(self, statement, *args, **kwargs):  # type: ignore[no-untyped-def]
        reads_versions = isinstance(statement, Select) and VERSION in statement.get_final_froms()
        if reads_versions and not failures:
            failures.append(statement)
            raise OperationalError("SELECT", {}, SqliteOperationalError("database is locked"))
        return execute(self, statement, *args, **kwargs)

    monkeypatch.setattr(Connection, "execute", locked_once)
    report = sweep(app.unit_of_work, clock.now(), Channels())
    assert failures, "the version was not read from the database"
    assert report.fired >= 1


def test_one_case_saved_meanwhile_is_a_conflict_even_when_a_later_row_then_collides(
    staffed,
) -> None:
    """On PostgreSQL a Step's statements go in one pipeline (store/fastsql.run_all): the case
    row matches nothing, and the history row then collides with the one the other save wrote
    (the same seq). The lost race is what is raised, naming the case, not the collision."""
    from drejebog.app.ports import HistoryNote
    from drejebog.engine.runtime import Step

    case_id = open_rehab(staffed)
    with staffed.unit_of_work() as uow:
        stored = uow.load_case(case_id)
        staffed.cases.apply_event(case_id, "praktik_startet", {}, "anna_s")
        writes = uow.step_writes()
        note = HistoryNote(staffed.clock.now(), "test", "påmindelse")
        writes.add(int(case_id), stored, Step(case=stored.snapshot), note, stored.version_key)
        with pytest.raises(ConcurrencyConflict) as caught:
            writes.flush()
    assert caught.value.case_ids == (case_id,)
