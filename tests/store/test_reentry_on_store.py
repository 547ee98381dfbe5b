"""Re-entering a state through the store and the daemon's sweep (issue 11, point 9), on every
back-end: a self-transition after a breach cancels no timer row and plans none, so the sweep
sends the breach notice once and the ladder goes on as planned."""

from __future__ import annotations

from drejebog.app.firing import sweep
from drejebog.engine.deadlines import COPENHAGEN
from tests.conftest import FIXTURES, local
from tests.store.conftest import ANNA_CPR
from tests.store.test_firing import INBOX_ONLY


def _sent(store) -> list[tuple[str, str]]:
    return sorted((m["kind"], m["role"]) for m in store.rows("outbox") if m["rule"] == "referat")


def _timers(store, case_id: str) -> list[tuple[str, str, str, str]]:
    return sorted(
        (t["occurrence"], t["step"], t["status"], f"{t['due_at'].astimezone(COPENHAGEN):%m-%d}")
        for t in store.rows("timer", case_id=int(case_id))
        if t["rule"] == "referat"
    )


def test_a_self_transition_after_a_breach_sends_nothing_again(staffed_backend, clock):
    # referat: 5 dage from Monday 1 March = Saturday 6 March, moved back to Friday 5 March;
    # reminder Wednesday 3 March, breach Monday 8 March (leder), 15 March (projektleder),
    # 7 April (projektleder).
    store = staffed_backend
    store.admin.load_drejebog_files([FIXTURES / "genindtraeden.yaml"])
    case_id = store.cases.open_case(
        ANNA_CPR, "genindtraeden", "anna_s", assignments={"sagsbehandler": "anna_s"}
    ).case_id
    clock.advance_to(local("2027-03-01 10:00"))
    store.cases.apply_event(case_id, "plan_lavet", {"moede": "2027-03-01"}, "anna_s")
    clock.advance_to(local("2027-03-08 09:00"))
    sweep(store.unit_of_work, clock.now(), INBOX_ONLY)
    assert _sent(store) == [
        ("escalation", "leder"),
        ("reminder", "sagsbehandler"),
    ]
    before = _timers(store, case_id)

    clock.advance_to(local("2027-03-10 10:00"))
    store.cases.apply_event(case_id, "rykker", {}, "anna_s")
    assert _timers(store, case_id) == before  # nothing cancelled, nothing planned
    assert sweep(store.unit_of_work, clock.now(), INBOX_ONLY).notifications == 0

    clock.advance_to(local("2027-03-20 10:00"))
    sweep(store.unit_of_work, clock.now(), INBOX_ONLY)
    store.cases.apply_event(case_id, "rykker", {}, "anna_s")
    clock.advance_to(local("2027-04-30 10:00"))
    sweep(store.unit_of_work, clock.now(), INBOX_ONLY)
    assert _sent(store) == [
        ("escalation", "leder"),
        ("escalation", "projektleder"),
        ("escalation", "projektleder"),
        ("reminder", "sagsbehandler"),
    ]
    fired = [(step, day) for _, step, status, day in _timers(store, case_id) if status == "fired"]
    assert sorted(fired) == [
        ("eskalering.0", "03-08"),
        ("eskalering.1", "03-15"),
        ("eskalering.2", "04-07"),
        ("påmindelse.0", "03-03"),
    ]
