"""The case service on every store (memory, SQLite, PostgreSQL): one event, one transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest

from drejebog.engine.errors import (
    BadEventData,
    ConcurrencyConflict,
    EventIdReused,
    EventNotAllowed,
    GuardRejected,
    NotFound,
)
from tests.store.backends import case_rows, race
from tests.store.conftest import ANNA_CPR, BO_CPR

REHAB = {"rehab_moede": "2027-03-01", "indstilling": "ressourceforloeb"}


def opened(staffed) -> str:
    result = staffed.cases.open_case(
        ANNA_CPR, "mini", "anna_s", assignments={"sagsbehandler": "anna_s"}
    )
    return result.case_id


def test_open_and_apply_write_state_timers_tasks_and_history(staffed_backend, clock):
    case_id = opened(staffed_backend)
    clock.advance(timedelta(hours=1))
    result = staffed_backend.cases.apply_event(case_id, "rehab_holdt", REHAB, "anna_s", "ev-1")
    assert (result.applied, result.from_state, result.to_state) == (True, "visiteret", "rehab")
    rows = case_rows(staffed_backend, case_id)
    timers = {(t["rule"], t["step"], t["kind"]) for t in rows["timers"]}
    assert timers == {
        ("overdragelse", "påmindelse.0", "reminder"),
        ("overdragelse", "eskalering.0", "escalation"),
    }
    assert {(t["rule"], t["role"], t["status"]) for t in rows["tasks"]} == {
        ("vk_deltager", "virksomhedskonsulent", "open"),
        ("hjemmemoede", "sagsbehandler", "open"),
    }
    history = rows["history"]
    assert [
        (h["seq"], h["actor"], h["kind"], h["event"], h["event_id"], h["from_state"], h["to_state"])
        for h in history
    ] == [
        (1, "anna_s", "åbnet", None, None, None, "visiteret"),
        (2, "anna_s", "hændelse", "rehab_holdt", "ev-1", "visiteret", "rehab"),
    ]
    assert history[1]["data"]["data"] == REHAB


@pytest.mark.parametrize(
    ("event", "data", "error"),
    [
        ("overdrag", {"jobmaal_afklaret": "nej"}, GuardRejected),
        ("tilbagemelding", {}, EventNotAllowed),
        ("ny_moededato", {"rehab_moede": "2027-02-31"}, BadEventData),
    ],
    ids=["guard-false", "wrong-state", "bad-date"],
)
def test_rejected_event_leaves_case_timers_tasks_and_history_exactly_as_they_were(
    staffed_backend, clock, event, data, error
):
    case_id = opened(staffed_backend)
    staffed_backend.cases.apply_event(case_id, "rehab_holdt", REHAB, "anna_s")
    before = case_rows(staffed_backend, case_id)
    clock.advance(timedelta(days=1))
    with pytest.raises(error):
        staffed_backend.cases.apply_event(case_id, event, data, "anna_s")
    assert case_rows(staffed_backend, case_id) == before


def test_leaving_a_state_cancels_its_timers_and_lapses_nothing_met(staffed_backend, clock):
    case_id = opened(staffed_backend)
    staffed_backend.cases.apply_event(case_id, "rehab_holdt", REHAB, "anna_s")
    clock.advance(timedelta(days=3))
    staffed_backend.cases.apply_event(case_id, "overdrag", {"jobmaal_afklaret": "ja"}, "anna_s")
    rows = case_rows(staffed_backend, case_id)
    by_rule = {}
    for timer in rows["timers"]:
        by_rule.setdefault(timer["rule"], set()).add(timer["status"])
    assert "overdragelse" not in by_rule  # a cancelled timer leaves no row
    assert by_rule["tilbagemelding"] == {"pending"}
    assert {t["rule"]: t["status"] for t in rows["tasks"]} == {
        "vk_deltager": "lapsed",
        "hjemmemoede": "lapsed",
    }


def test_same_event_id_twice_changes_nothing_the_second_time(staffed_backend):
    case_id = opened(staffed_backend)
    first = staffed_backend.cases.apply_event(case_id, "praktik_startet", {}, "anna_s", "id-7")
    before = case_rows(staffed_backend, case_id)
    second = staffed_backend.cases.apply_event(case_id, "praktik_startet", {}, "anna_s", "id-7")
    assert first.applied and not second.applied
    assert case_rows(staffed_backend, case_id) == before
    with pytest.raises(EventIdReused):
        staffed_backend.cases.apply_event(case_id, "afslut", {}, "anna_s", "id-7")


def test_a_write_based_on_a_stale_read_is_a_conflict_and_writes_nothing(staffed_backend):
    case_id = opened(staffed_backend)
    runtime_case = None
    with staffed_backend.unit_of_work() as slow:
        stale = slow.load_case(case_id)  # worker 1 reads ...
        staffed_backend.cases.apply_event(case_id, "praktik_startet", {}, "anna_s")  # worker 2 wins
        from drejebog.app.cases import runtime_for

        step = runtime_for(stale.drejebog).apply(
            stale.snapshot, "rehab_holdt", REHAB, staffed_backend.clock.now()
        )
        from drejebog.app.ports import HistoryNote

        with pytest.raises(ConcurrencyConflict) as caught:
            slow.save_step(
                stale, step, HistoryNote(staffed_backend.clock.now(), "karl", "hændelse")
            )
            slow.commit()
        runtime_case = caught.value.case_id
    assert runtime_case == case_id and "sagen blev ændret af en anden" in str(caught.value)
    rows = case_rows(staffed_backend, case_id)
    assert rows["case"]["state"] == "visiteret" and len(rows["history"]) == 2


def test_concurrent_workers_one_wins_the_others_conflict(staffed_backend):
    case_id = opened(staffed_backend)
    workers = 6

    def apply(index: int) -> None:
        staffed_backend.cases.apply_event(case_id, "praktik_startet", {}, "anna_s", f"c-{index}")

    outcomes = race(workers, apply)
    successes = outcomes.count("ok")
    assert successes >= 1 and successes + outcomes.count("conflict") == workers
    rows = case_rows(staffed_backend, case_id)
    assert len(rows["history"]) == 1 + successes  # nothing lost, nothing half-written
    assert (
        rows["case"]["lock_version"] == 1 + successes
    )  # lock_version counts every committed write


def test_unknown_names_fail_clearly_and_cpr_is_masked(staffed_backend):
    with pytest.raises(NotFound, match="ukendt sag '999'"):
        staffed_backend.cases.apply_event("999", "afslut", {}, "anna_s")
    with pytest.raises(NotFound, match="ukendt drejebog 'findes_ikke'"):
        staffed_backend.cases.open_case(ANNA_CPR, "findes_ikke", "anna_s")
    with pytest.raises(NotFound, match="ukendt medarbejder 'nobody'"):
        staffed_backend.cases.open_case(
            ANNA_CPR, "mini", "anna_s", assignments={"mentor": "nobody"}
        )
    with pytest.raises(NotFound) as caught:
        staffed_backend.cases.open_case("691299-9999", "mini", "anna_s")
    assert "691299-xxxx" in str(caught.value) and "9999" not in str(caught.value)
    assert staffed_backend.rows("case") == []


def test_two_citizens_two_cases(staffed_backend):
    first = opened(staffed_backend)
    second = staffed_backend.cases.open_case(BO_CPR, "mini", "anna_s").case_id
    assert first != second
