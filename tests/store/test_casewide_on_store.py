"""Work not tied to one state and counting (issue 11, points 4 and 6) through the store and
the daemon's sweep, on SQLite, PostgreSQL and in memory, with the daemon restarted between
every step (workflows/scenarios/jobrettet_samtale_udeblivelse.yaml): a no-show's tasks are
task rows without a change of state, the ordblindetest deadline's ladder is timer rows, the
counting facts are in the case row, and the `mindst` check is one timer row that fires
exactly once, sends its message to the leder once and is in the history and `case show`."""

from __future__ import annotations

import pytest

from drejebog.app.firing import Channels
from drejebog.app.replay import run_until
from drejebog.engine.deadlines import COPENHAGEN
from drejebog.store.memory import MemoryStore
from drejebog.workflows import SCENARIOS_DIR
from tests.conftest import local
from tests.store.backends import Backend, memory_connection, sql_connection
from tests.store.test_scenarios_on_store import play

SCENARIO = SCENARIOS_DIR / "jobrettet_samtale_udeblivelse.yaml"
CHECK = "fire_jobsamtaler"


def _sent(backend: Backend, kind: str, rule: str) -> list[tuple[str, str]]:
    rows = [r for r in backend.rows("outbox", kind=kind) if r["rule"] == rule]
    return sorted(
        (f"{r['created_at'].astimezone(COPENHAGEN):%d.%m %H:%M}", r["role"]) for r in rows
    )


def _check(backend: Backend, case_id: str) -> None:
    key = int(case_id)
    (case,) = backend.rows("case", id=key)
    assert case["state"] == "i_job"
    assert (case["facts"]["jobsamtaler"], case["facts"]["udeblivelser"]) == (3, 2)
    # the check: one timer row, fired once; one message to the leder, with the count
    timers = [t for t in backend.rows("timer", case_id=key) if t["rule"] == CHECK]
    assert [(t["kind"], t["status"], t["step"]) for t in timers] == [("at_least", "fired", "tjek")]
    assert _sent(backend, "at_least", CHECK) == [("11.07 08:00", "leder")]
    (message,) = [r for r in backend.rows("outbox", kind="at_least") if r["rule"] == CHECK]
    assert "der er talt 3 af mindst 4" in message["body_text"]
    history = [h for h in backend.rows("case_history", case_id=key) if h["event"] == CHECK]
    assert [(h["kind"], h["data"]["trin"]) for h in history] == [("for få", "tjek")]
    # the no-shows: task rows in the state the case was in, both follow-ups done in the end
    tasks = sorted(
        (t["rule"], t["state"], t["status"])
        for t in backend.rows("task", case_id=key)
        if t["rule"] in ("opfoelg_udeblivelse", "vurder_konsekvens")
    )
    assert tasks == [
        ("opfoelg_udeblivelse", "aktivitet_aftalt", "done"),
        ("opfoelg_udeblivelse", "jobsamtale_booket", "done"),
        ("vurder_konsekvens", "aktivitet_aftalt", "done"),
    ]
    assert _sent(backend, "escalation", "opfoelg_udeblivelse") == [("10.03 08:00", "leder")]
    # the deadline the decision started: its reminder and its rung, each once
    assert _sent(backend, "reminder", "ordblindetest_taget") == [("20.04 08:00", "sagsbehandler")]
    assert _sent(backend, "escalation", "ordblindetest_taget") == [("25.04 08:00", "leder")]
    # the whole case's cadence: its missing notice once; its rung was stopped by the samtale
    assert _sent(backend, "checkin_missing", "jobsamtale_kadence") == [
        ("03.07 08:00", "sagsbehandler")
    ]
    assert _sent(backend, "escalation", "jobsamtale_kadence") == []
    # the case ended: nothing of the whole case is left pending
    pending = [t for t in backend.rows("timer", case_id=key) if t["status"] == "pending"]
    assert pending == []


def _look_in_april(seen: list[dict[str, object]]):
    """Read `case show` once, just before the ordblindetest is taken (27 April)."""

    def look(backend: Backend, case_ids: dict[int, str]) -> None:
        if not seen and case_ids and backend.clock.now() >= local("2028-04-27 10:00"):
            seen.append(backend.reports.case_details(case_ids[0]))

    return look


@pytest.mark.parametrize("restart", [False, True], ids=["straight", "restarted"])
def test_casewide_rules_and_the_count_on_sql(database_url, restart, run):
    seen: list[dict[str, object]] = []
    backend, case_ids = play(SCENARIO, sql_connection(database_url), restart, _look_in_april(seen))
    try:
        _check(backend, case_ids[0])
        # a sweep after the end fires nothing more: the check is not sent twice
        sent = len(backend.rows("outbox"))
        later = local("2028-12-31 12:00")
        run_until(backend.unit_of_work, backend.clock, later, Channels.named("sms"))
        assert len(backend.rows("outbox")) == sent
    finally:
        backend.close()
    (shown,) = seen
    assert shown["fakta"]["jobsamtaler"] == 2 and shown["fakta"]["udeblivelser"] == 2
    due = {item["regel"]: item["frist"] for item in shown["frister"]}
    assert due["ordblindetest_taget"] == "2028-04-24" and due[CHECK] == "2028-07-11"
    assert {"pligt": "jobsamtale_kadence", "mangler_i_træk": 0} in shown["pligter"]
    text = run("case", "show", case_ids[0])
    assert "jobsamtaler=3" in text and "udeblivelser=2" in text
    assert "  36. 2028-07-11 08:00  fire_jobsamtaler " in text


def test_casewide_rules_and_the_count_in_memory():
    backend, case_ids = play(SCENARIO, memory_connection(MemoryStore()), restart=True)
    _check(backend, case_ids[0])
