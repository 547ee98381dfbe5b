"""`hvis` on deadlines, duties and rungs through the store (issue 11, point 7), on every
back-end: an exemption during the state cancels the duty's pending timers, a rung left out by
its condition fires without a message and the ladder goes on."""

from __future__ import annotations

from drejebog.app.firing import sweep
from drejebog.engine.deadlines import COPENHAGEN
from tests.conftest import FIXTURES, local
from tests.store.conftest import ANNA_CPR
from tests.store.test_firing import INBOX_ONLY, outbox

RESSOURCE = {"indsats": "ressourceforloeb", "fritaget": "nej"}


def _open(backend, facts: dict[str, object]) -> str:
    backend.admin.load_drejebog_files([FIXTURES / "betingelser.yaml"])
    return backend.cases.open_case(
        ANNA_CPR, "betingelser", "anna_s", facts=facts, assignments={"sagsbehandler": "anna_s"}
    ).case_id


def _timers(backend, case_id: str, status: str) -> set[tuple[str, str, str]]:
    return {
        (t["rule"], t["step"], f"{t['due_at'].astimezone(COPENHAGEN):%m-%d}")
        for t in backend.rows("timer", case_id=int(case_id), status=status)
    }


def test_an_exemption_cancels_the_running_duty_and_nothing_is_sent(staffed_backend, clock):
    store = staffed_backend
    case_id = _open(store, RESSOURCE)
    assert {
        ("tilbagemelding", "påmindelse.0", "03-30"),
        ("tilbagemelding", "mangler", "04-02"),
    } <= _timers(store, case_id, "pending")
    clock.advance_to(local("2027-03-10 10:00"))
    store.cases.apply_event(case_id, "fritag", {}, "anna_s")
    assert not {t for t in _timers(store, case_id, "pending") if t[0] == "tilbagemelding"}
    clock.advance_to(local("2027-04-20 10:00"))
    sweep(store.unit_of_work, clock.now(), INBOX_ONLY)
    kinds = {m["kind"] for m in store.rows("outbox")}
    assert "reminder" not in kinds and "checkin_missing" not in kinds


def test_an_exempted_citizen_gets_no_duty_timers_at_all(staffed_backend, clock):
    store = staffed_backend
    case_id = _open(store, {"indsats": "ressourceforloeb", "fritaget": "ja"})
    assert {t[0] for t in _timers(store, case_id, "pending")} == {"plan"}


def test_a_rung_left_out_fires_silently_and_the_ladder_goes_on(staffed_backend, clock):
    store = staffed_backend
    case_id = _open(store, {"indsats": "ressourceforloeb", "fritaget": "ja"})
    clock.advance_to(local("2027-03-16 08:00"))  # the breach notice to the leder
    sweep(store.unit_of_work, clock.now(), INBOX_ONLY)
    assert outbox(store) == [("escalation", "leder", "inbox", "lene")]
    clock.advance_to(local("2027-03-23 08:00"))  # rung 1: only for jobafklaring
    assert sweep(store.unit_of_work, clock.now(), INBOX_ONLY).notifications == 0
    assert len(outbox(store)) == 1
    assert ("plan", "eskalering.1", "03-23") in _timers(store, case_id, "fired")
    assert ("plan", "eskalering.2", "03-30") in _timers(store, case_id, "pending")
    clock.advance_to(local("2027-03-30 08:00"))
    sweep(store.unit_of_work, clock.now(), INBOX_ONLY)
    assert outbox(store)[1:] == [("escalation", "projektleder", "inbox", "lene")]
