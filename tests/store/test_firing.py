"""Firing timers on every store (in memory, SQLite, PostgreSQL): exactly once, with their
notifications, next rungs and next check-in occurrences, and history; a batch that loses a
race is fired again one timer at a time.

These go through the use cases and the `FiringUnitOfWork` port only and read rows by table
name (tests/store/backends.py), so the in-memory store has to behave as the databases do.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from drejebog.app import firing
from drejebog.app.firing import Channels, sweep
from drejebog.engine.deadlines import COPENHAGEN
from drejebog.engine.errors import ConcurrencyConflict
from tests.conftest import FIXTURES, local, shows_cpr_serial
from tests.store.conftest import ANNA_CPR, BO_CPR
from tests.store.test_case_service import REHAB

INBOX_ONLY = Channels()


def open_rehab(backend, cpr: str = ANNA_CPR) -> str:
    case_id = backend.cases.open_case(
        cpr, "mini", "anna_s", assignments={"sagsbehandler": "anna_s"}
    ).case_id
    backend.cases.apply_event(case_id, "rehab_holdt", REHAB, "anna_s")
    return case_id


def fire(backend):
    return sweep(backend.unit_of_work, backend.clock.now(), INBOX_ONLY)


def outbox(backend) -> list[tuple[str, str, str, str]]:
    return [(m["kind"], m["role"], m["channel"], m["recipient"]) for m in backend.rows("outbox")]


def history(backend, case_id: str) -> list[dict[str, object]]:
    return sorted(backend.rows("case_history", case_id=int(case_id)), key=lambda h: h["seq"])


def timers(backend, case_id: str, status: str) -> set[tuple[str, str, str, str]]:
    return {
        (t["rule"], t["occurrence"], t["step"], f"{t['due_at'].astimezone(COPENHAGEN):%m-%d %H}")
        for t in backend.rows("timer", case_id=int(case_id), status=status)
    }


def test_due_reminder_and_ladder_fire_once_each(staffed_backend, clock):
    store = staffed_backend
    case_id = open_rehab(store)
    clock.advance_to(local("2027-03-12 08:00"))
    report = fire(store)
    assert (report.fired, report.notifications) == (1, 1)
    assert outbox(store) == [("reminder", "sagsbehandler", "inbox", "anna_s")]
    assert (fire(store).fired, fire(store).notifications) == (0, 0)
    clock.advance_to(local("2027-03-16 08:00"))  # the breach notice, day after the due date
    assert fire(store).fired == 1
    clock.advance_to(local("2027-03-23 08:00"))  # 7 dage later, the next rung
    assert fire(store).fired == 1
    assert outbox(store)[1:] == [
        ("escalation", "leder", "inbox", "lene"),
        ("escalation", "projektleder", "inbox", "lene"),  # nobody is projektleder: the leader
    ]
    messages = store.rows("outbox")
    # the rule's own template (mini.yaml's 'paamindelse'), then the Danish default
    assert messages[0]["subject"] == "Påmindelse: Overdragelse til koordinerende sagsbehandler"
    assert messages[0]["body_text"].startswith(
        "Kære Anna Sagsbehandler, fristen er 15. marts 2027 for Anna Andersen."
    )
    assert messages[1]["subject"].startswith("Frist overskredet: Overdragelse til koordinerende")
    assert "var 15. marts 2027 og er overskredet med 1 dag." in messages[1]["body_text"]
    assert "Ingen er tildelt rollen projektleder" in messages[2]["body_text"]
    assert not any(shows_cpr_serial(m["body_text"] + m["subject"]) for m in messages)
    assert [h["kind"] for h in history(store, case_id)][-3:] == [
        "påmindelse",
        "eskalering",
        "eskalering",
    ]
    assert {t["status"] for t in store.rows("timer", kind="reminder")} == {"fired"}


def test_after_three_days_of_downtime_each_overdue_timer_fires_once_and_says_how_late(
    staffed_backend, clock
):
    open_rehab(staffed_backend)
    clock.advance_to(local("2027-03-15 09:00"))  # the reminder of 12 March 08:00 is 3 days late
    assert fire(staffed_backend).fired == 1
    (message,) = staffed_backend.rows("outbox")
    assert "kommer 3 dage og 1 time for sent" in message["body_text"]


def test_an_event_before_the_timer_cancels_it(staffed_backend, clock):
    case_id = open_rehab(staffed_backend)
    clock.advance_to(local("2027-03-05 10:00"))
    staffed_backend.cases.apply_event(case_id, "overdrag", {"jobmaal_afklaret": "ja"}, "anna_s")
    clock.advance_to(local("2027-03-30 10:00"))
    fire(staffed_backend)
    assert [m for m in outbox(staffed_backend) if m[:2] != ("reminder", "borger")] == []
    assert staffed_backend.rows("timer", rule="overdragelse") == []  # cancelled: no row kept


def test_a_timer_claimed_then_cancelled_by_an_event_is_never_fired(staffed_backend, clock):
    if staffed_backend.name == "postgresql":
        pytest.skip("PostgreSQL locks the claimed rows: the event waits for the sweep's commit")
    case_id = open_rehab(staffed_backend)
    clock.advance_to(local("2027-03-12 08:00"))
    with staffed_backend.unit_of_work() as sweep:
        claimed = sweep.claim_due(clock.now(), 10)
        assert claimed
        # the event commits between the daemon's claim and its write (SQLite lets a writer
        # in beside a reader)
        staffed_backend.cases.apply_event(case_id, "overdrag", {"jobmaal_afklaret": "ja"}, "anna_s")
        try:
            fired = sweep.mark_fired(claimed, clock.now())
        except ConcurrencyConflict:
            fired = []  # SQLite: the sweep's snapshot is stale, its write refused
    assert fired == []
    assert staffed_backend.rows("timer", rule="overdragelse") == []
    fire(staffed_backend)
    assert [m for m in outbox(staffed_backend) if m[:2] != ("reminder", "borger")] == []


def test_check_in_occurrences_fire_once_and_plan_the_next(staffed_backend, clock):
    store = staffed_backend
    case_id = open_rehab(store)
    clock.advance(timedelta(days=2))  # 3 March: the monthly report-back counts from here
    store.cases.apply_event(case_id, "overdrag", {"jobmaal_afklaret": "ja"}, "anna_s")
    clock.advance_to(local("2027-04-07 08:00"))
    report = fire(store)
    assert report.by_kind == {"reminder": 1, "checkin_missing": 1}
    assert fire(store).fired == 0
    # the citizen's reminder has no channel; nobody is mentor or koordinerende
    # sagsbehandler, so their leader is told, once
    assert outbox(store) == [("checkin_missing", "mentor", "inbox", "lene")]
    assert timers(store, case_id, "pending") == {
        ("tilbagemelding", "p4.k1", "eskalering.0", "04-14 08"),
        ("tilbagemelding", "p4.k2", "påmindelse.0", "04-30 08"),
        ("tilbagemelding", "p4.k2", "mangler", "05-07 08"),
    }
    assert [h["kind"] for h in history(store, case_id)][-2:] == ["påmindelse", "mangler"]


def test_citizen_without_contact_is_recorded_as_not_sent(staffed_backend, clock):
    case_id = open_rehab(staffed_backend)
    clock.advance(timedelta(days=1))
    staffed_backend.cases.apply_event(case_id, "overdrag", {"jobmaal_afklaret": "ja"}, "anna_s")
    clock.advance_to(local("2027-03-31 08:00"))  # reminder 2 dage before 2 April to borger
    fire(staffed_backend)
    last = history(staffed_backend, case_id)[-1]
    assert last["kind"] == "påmindelse"
    assert last["data"]["ikke_sendt"] == [
        {"rolle": "borger", "grund": "ingen kanal til borgeren er sat op"}
    ]


def test_a_drejebog_template_failing_on_the_data_sends_the_default_text_and_says_so(
    staffed_backend, clock, tmp_path
):
    source = (FIXTURES / "mini.yaml").read_text(encoding="utf-8")
    broken = source.replace("version: 1", "version: 2").replace(
        "Kære {{ modtager.navn }}, fristen er", "Kære {{ modtager.navn[100] }}, fristen er"
    )
    assert broken.count("[100]") == 1
    path = tmp_path / "mini.yaml"
    path.write_text(broken, encoding="utf-8")
    staffed_backend.admin.load_drejebog_files([path])
    case_id = open_rehab(staffed_backend)
    clock.advance_to(local("2027-03-12 08:00"))
    report = fire(staffed_backend)
    assert (report.fired, report.notifications) == (1, 1)
    (message,) = staffed_backend.rows("outbox")
    # the Danish default reminder, not the drejebog's own (which would say "Kære ...,")
    title = "Overdragelse til koordinerende sagsbehandler"
    assert message["subject"] == f"Påmindelse: {title} – Anna Andersen (sag {case_id})"
    assert message["body_text"].startswith("Kære Anna Sagsbehandler\n")
    last = history(staffed_backend, case_id)[-1]
    assert last["kind"] == "påmindelse"
    assert last["data"]["skabelonfejl"].startswith("UndefinedError")


def test_a_batch_that_loses_a_race_leaves_no_trace_and_is_fired_one_by_one(
    staffed_backend, clock, monkeypatch
):
    cases = [open_rehab(staffed_backend), open_rehab(staffed_backend, BO_CPR)]
    real_fire_batch = firing.fire_batch
    attempts = []

    def writes_then_loses(uow, claimed, now, channels):
        attempts.append(len(claimed))
        real_fire_batch(uow, claimed, now, channels)  # every row written, not yet committed
        raise ConcurrencyConflict(cases[0])

    monkeypatch.setattr(firing, "fire_batch", writes_then_loses)
    clock.advance_to(local("2027-03-12 08:00"))
    report = fire(staffed_backend)
    assert attempts == [2] and (report.fired, report.notifications) == (2, 2)
    messages = staffed_backend.rows("outbox")
    fired = staffed_backend.rows("timer", status="fired")
    assert sorted(m["case_id"] for m in messages) == sorted(int(c) for c in cases)
    assert len(fired) == 2
    assert sorted(m["timer_id"] for m in messages) == sorted(t["id"] for t in fired)
    reminded = staffed_backend.rows("case_history", kind="påmindelse")
    assert sorted(h["case_id"] for h in reminded) == sorted(int(c) for c in cases)


def test_a_timer_the_database_refuses_is_skipped_and_the_others_still_fire(staffed_backend, clock):
    first = open_rehab(staffed_backend)
    second = open_rehab(staffed_backend, BO_CPR)
    (stuck,) = staffed_backend.rows("timer", case_id=int(first), kind="reminder")
    # a message already holds this timer's key: its own message cannot be written
    staffed_backend.insert(
        "outbox",
        case_id=int(first),
        timer_id=stuck["id"],
        kind="reminder",
        channel="inbox",
        recipient="anna_s",
        subject="x",
        body_text="x",
        created_at=clock.now(),
        next_attempt_at=clock.now(),
    )
    clock.advance_to(local("2027-03-12 08:00"))
    report = fire(staffed_backend)
    assert report.fired == 1 and report.skipped == 1  # tried once in the sweep, not again
    statuses = {t["case_id"]: t["status"] for t in staffed_backend.rows("timer", kind="reminder")}
    assert statuses == {int(first): "pending", int(second): "fired"}
