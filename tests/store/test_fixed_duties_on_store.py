"""A report-back duty with fixed due dates and a `mangler_i_træk` rung through the store and
the daemon's sweep (issue 11, points 1 and 2), on SQLite, PostgreSQL and in memory, with the
daemon restarted between every step: the fixed windows hold (a late report-back stops its
occurrence's ladder, a phone call stops one without resetting the count), the rung fires
exactly once per run of misses, and the count is in the case's row, its history and
`case show`."""

from __future__ import annotations

import pytest

from drejebog.engine.deadlines import COPENHAGEN
from drejebog.store.memory import MemoryStore
from drejebog.workflows import SCENARIOS_DIR
from tests.store.backends import Backend, memory_connection, sql_connection
from tests.store.test_scenarios_on_store import play

SCENARIO = SCENARIOS_DIR / "ressourceforloeb_tilbagemelding.yaml"
DUTY = "maanedlig_tilbagemelding"


def _sent(backend: Backend, kind: str) -> list[tuple[str, str]]:
    """(local day, role) of every notification of this kind for the duty."""
    rows = [r for r in backend.rows("outbox", kind=kind) if r["rule"] == DUTY]
    return sorted((f"{r['created_at'].astimezone(COPENHAGEN):%d.%m}", r["role"]) for r in rows)


def _check(backend: Backend, case_id: str) -> None:
    # May's ladder (leder on 25/5) was stopped by the late report-back on 20/5, August's
    # (leder on 23/8) by the phone call on 20/8; the others went out
    assert [day for day, _ in _sent(backend, "escalation")] == [
        "22.10",
        "23.07",
        "24.09",
        "27.12",
    ]
    # the rung: once, when the third miss in a row (September) was counted, not again in
    # October (the fourth), and not in December (the first of a new run)
    assert _sent(backend, "misses_in_a_row") == [
        ("17.09", "koordinerende_sagsbehandler"),
        ("17.09", "leder"),
    ]
    missing = {day for day, _ in _sent(backend, "checkin_missing")}
    assert missing == {"18.05", "16.07", "16.08", "17.09", "15.10", "17.12"}
    (case,) = backend.rows("case", id=int(case_id))
    assert case["facts"]["hyppig_opfoelgning"] is True
    assert case["runtime"]["cycles"][DUTY]["in_a_row"] == 1  # reset on 5/11, then December
    tasks = backend.rows("task", case_id=int(case_id), rule="tilbagemelding_paa_sagsgennemgang")
    assert [(t["status"], t["role"]) for t in tasks] == [("done", "koordinerende_sagsbehandler")]
    history = backend.rows("case_history", case_id=int(case_id))
    counted = sorted(
        (h["data"].get("i_træk"), f"{h['at'].astimezone(COPENHAGEN):%d.%m}")
        for h in history
        if h["event"] == DUTY and h["kind"] == "mangler"
    )
    assert counted == [
        (1, "16.07"),
        (1, "17.12"),
        (1, "18.05"),
        (2, "16.08"),
        (3, "17.09"),
        (4, "15.10"),
    ]
    rung = [h for h in history if h["kind"] == "mangler i træk"]
    assert len(rung) == 1
    assert rung[0]["data"]["sat"] == {"hyppig_opfoelgning": True}
    assert rung[0]["data"]["opgaver"] == ["tilbagemelding_paa_sagsgennemgang"]
    late = [
        (record["step"], record["due"])
        for h in history
        if h["event"] == "tilbagemelding"
        for record in h["data"]["records"]
        if record["kind"] == "checkin"
    ]
    assert ("for sent", "2027-05-11") in late and ("til tiden", "2027-06-11") in late
    shown = backend.reports.case_details(case_id)
    assert {"pligt": DUTY, "mangler_i_træk": 1} in shown["pligter"]


@pytest.mark.parametrize("restart", [False, True], ids=["straight", "restarted"])
def test_fixed_windows_and_the_rung_once_on_sql(database_url, restart, run):
    backend, case_ids = play(SCENARIO, sql_connection(database_url), restart)
    try:
        _check(backend, case_ids[0])
    finally:
        backend.close()
    shown = run("case", "show", case_ids[0])
    assert "Tilbagevendende pligter:\n" in shown
    assert f"  {DUTY:<28} 1 mangler i træk\n" in shown
    # restart-mode duties count too: no sagsgennemgang after 16 November (due 28 December)
    assert f"  {'sagsgennemgang':<28} 1 mangler i træk\n" in shown


def test_fixed_windows_and_the_rung_once_in_memory():
    backend, case_ids = play(SCENARIO, memory_connection(MemoryStore()), restart=True)
    _check(backend, case_ids[0])
