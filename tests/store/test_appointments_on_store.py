"""Appointments through the store and the daemon's sweep (issue 11, points 3 and 5), on every
back-end: a moved meeting's timer rows for the old time are cancelled and the sweep never
fires them; a cancelled meeting (`ryd`) leaves no pending row and sends nothing; the SMS row
is due at the meeting's wall-clock time the day before, across the autumn DST switch. And
`case show` shows the booked time, the coming reminders and a deadline left waiting."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from freezegun import freeze_time

from drejebog.app.firing import sweep
from drejebog.engine.deadlines import COPENHAGEN
from drejebog.workflows import SHIPPED_DIR
from tests.conftest import FIXTURES, local
from tests.store.conftest import ANNA_CPR
from tests.store.test_firing import INBOX_ONLY

RULE = "deltag_jobsamtale"


def _book(store, clock, meeting: str) -> str:
    store.admin.load_drejebog_files([FIXTURES / "aftaler.yaml"])
    clock.advance_to(local("2027-05-03 09:00"))
    case_id = store.cases.open_case(
        ANNA_CPR, "aftaler", "anna_s", assignments={"sagsbehandler": "anna_s"}
    ).case_id
    clock.advance_to(local("2027-05-03 10:00"))
    store.cases.apply_event(case_id, "jobsamtale_booket", {"jobsamtale": meeting}, "anna_s")
    return case_id


def _timers(store, case_id: str) -> list[tuple[str, str, str]]:
    """(local due time, step, status) of the case's timer rows for the meeting."""
    return sorted(
        (f"{t['due_at'].astimezone(COPENHAGEN):%m-%d %H:%M}", t["step"], t["status"])
        for t in store.rows("timer", case_id=int(case_id))
        if t["rule"] == RULE
    )


def _sent(store) -> list[tuple[str, str | None]]:
    return sorted((m["kind"], m["role"]) for m in store.rows("outbox") if m["rule"] == RULE)


def test_a_moved_meeting_never_fires_a_row_for_the_old_time(staffed_backend, clock):
    store = staffed_backend
    case_id = _book(store, clock, "2027-05-12 14:30")
    assert _timers(store, case_id) == [
        ("05-11 08:00", "påmindelse.1", "pending"),
        ("05-11 14:30", "påmindelse.0", "pending"),
        ("05-13 08:00", "eskalering.0", "pending"),
    ]
    clock.advance_to(local("2027-05-06 12:00"))
    store.cases.apply_event(
        case_id, "jobsamtale_flyttet", {"jobsamtale": "2027-05-20 09:15"}, "anna_s"
    )
    assert _timers(store, case_id) == [  # the old time's rows are gone (cancelled: deleted)
        ("05-19 08:00", "påmindelse.1", "pending"),
        ("05-19 09:15", "påmindelse.0", "pending"),
        ("05-21 08:00", "eskalering.0", "pending"),
    ]
    for old in ("2027-05-11 08:00", "2027-05-11 14:30", "2027-05-13 08:00"):
        clock.advance_to(local(old))
        assert sweep(store.unit_of_work, clock.now(), INBOX_ONLY).fired == 0
    assert _sent(store) == []
    clock.advance_to(local("2027-05-19 08:00"))
    assert sweep(store.unit_of_work, clock.now(), INBOX_ONLY).fired == 1
    assert _sent(store) == [("reminder", "sagsbehandler")]
    clock.advance_to(local("2027-05-19 09:15"))
    assert sweep(store.unit_of_work, clock.now(), INBOX_ONLY).fired == 1  # the citizen's SMS
    clock.advance_to(local("2027-05-20 09:00"))
    store.cases.apply_event(case_id, "jobsamtale_holdt", {}, "anna_s")
    clock.advance_to(local("2027-06-30 09:00"))
    sweep(store.unit_of_work, clock.now(), INBOX_ONLY)
    fired = [(day, step) for day, step, status in _timers(store, case_id) if status == "fired"]
    assert fired == [("05-19 08:00", "påmindelse.1"), ("05-19 09:15", "påmindelse.0")]


def test_a_cancelled_meeting_sends_nothing_until_a_new_time_is_booked(staffed_backend, clock):
    store = staffed_backend
    case_id = _book(store, clock, "2027-05-12 14:30")
    clock.advance_to(local("2027-05-06 12:00"))
    store.cases.apply_event(case_id, "jobsamtale_aflyst", {}, "anna_s")
    assert _timers(store, case_id) == []  # cancelled timers leave no row
    clock.advance_to(local("2027-05-31 12:00"))
    sweep(store.unit_of_work, clock.now(), INBOX_ONLY)
    assert _sent(store) == []
    # booked again: planned afresh from the new time, and it fires
    store.cases.apply_event(
        case_id, "jobsamtale_flyttet", {"jobsamtale": "2027-06-08 10:00"}, "anna_s"
    )
    pending = [(day, step) for day, step, status in _timers(store, case_id) if status == "pending"]
    assert pending == [
        ("06-07 08:00", "påmindelse.1"),
        ("06-07 10:00", "påmindelse.0"),
        ("06-09 08:00", "eskalering.0"),
    ]
    clock.advance_to(local("2027-06-07 08:00"))
    sweep(store.unit_of_work, clock.now(), INBOX_ONLY)
    assert _sent(store) == [("reminder", "sagsbehandler")]


def test_the_sms_row_is_due_at_the_meetings_time_after_the_autumn_switch(staffed_backend, clock):
    store = staffed_backend
    case_id = _book(store, clock, "2027-11-01 10:00")
    due = {
        t["step"]: t["due_at"].astimezone(UTC)
        for t in store.rows("timer", case_id=int(case_id))
        if t["rule"] == RULE
    }
    assert due["påmindelse.0"] == datetime(2027, 10, 31, 9, 0, tzinfo=UTC)  # 10:00 +01:00
    assert due["påmindelse.1"] == datetime(2027, 10, 31, 7, 0, tzinfo=UTC)  # 08:00 +01:00


def test_case_show_shows_the_appointment_its_reminders_and_a_waiting_deadline(run):
    with freeze_time("2027-10-04 08:00:00"):
        run("db", "upgrade")
        run("load", str(SHIPPED_DIR))
        run("worker", "add", "anna", "--navn", "Anna A", "--rolle", "sagsbehandler")
        run("citizen", "add", ANNA_CPR, "--navn", "Mette Madsen")
        opened = ("case", "open", "jobrettet_samtale", "--cpr", ANNA_CPR, "--as", "anna")
        run(*opened, "--tildel", "sagsbehandler=anna")
        called = ("ydelse=kontanthjaelp", "ledig_fra=2027-10-04", "informationsmoede=2027-10-14")
        run("case", "event", "1", "indkaldt_til_informationsmoede", *called, "--as", "anna")
    with freeze_time("2027-10-14 10:00:00"):
        held = ("ordblindescreening=ingen_tegn", "naeste_jobsamtale=2027-11-01 10:00")
        run("case", "event", "1", "informationsmoede_holdt", *held, "--as", "anna")
        show = " ".join(run("case", "show", "1").split())
        assert "naeste_jobsamtale=2027-11-01 10:00" in show
        assert "2027-10-31 10:00 deltag_jobsamtale påmindelse.0 → borger" in show
        assert "2027-10-29 08:00 laes_joblog påmindelse.0 → sagsbehandler" in show
        bad = run(
            "case",
            "event",
            "1",
            "jobsamtale_flyttet",
            "naeste_jobsamtale=2028-03-26 02:30",
            "--as",
            "anna",
            code=1,
        )
        assert "findes ikke i dansk tid" in bad and "Traceback" not in bad
    with freeze_time("2027-10-20 10:00:00"):
        run("case", "event", "1", "jobsamtale_aflyst", "--as", "anna")
        show = " ".join(run("case", "show", "1").split())
        assert "deltag_jobsamtale venter" in show
        assert "deltag_jobsamtale påmindelse" not in show
        details = json.loads(run("case", "show", "1", "--json"))
        assert details["venter"] == ["deltag_jobsamtale", "laes_joblog"]
        assert "naeste_jobsamtale" not in details["fakta"]
        assert any(h["hændelse"] == "jobsamtale_aflyst" for h in details["forløb"])
