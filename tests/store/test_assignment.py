"""Assignments and reasons on every store (memory, SQLite, PostgreSQL): who holds a role on a
case changes as an audited change (a history row, the lock bumped, unknown roles refused),
and every manual change carries its reason (`begrundelse`) into the history."""

from __future__ import annotations

import pytest

from drejebog.app.admin import AdminError
from drejebog.engine.errors import CaseError, ConcurrencyConflict, NotFound
from drejebog.workflows import SHIPPED_DIR
from tests.store.backends import case_rows, race
from tests.store.conftest import ANNA_CPR
from tests.store.test_case_service import REHAB, opened
from tests.store.test_migration import V2


def history(backend, case_id: str) -> list[dict[str, object]]:
    return case_rows(backend, case_id)["history"]


def test_an_assignment_is_a_history_row_with_actor_role_from_to_and_reason(staffed_backend):
    case_id = opened(staffed_backend)  # sagsbehandler: anna_s
    lock = case_rows(staffed_backend, case_id)["case"]["lock_version"]
    done = staffed_backend.cases.assign(
        case_id, "sagsbehandler", "karl", "lene", "  Anna er på barsel  "
    )
    assert (done.previous, done.worker, done.applied) == ("anna_s", "karl", True)
    rows = case_rows(staffed_backend, case_id)
    assert rows["case"]["lock_version"] == lock + 1
    last = rows["history"][-1]
    assert (last["seq"], last["actor"], last["kind"], last["event"]) == (
        lock + 1,
        "lene",
        "tildeling",
        None,
    )
    assert last["at"] == staffed_backend.clock.now()
    assert last["data"] == {
        "rolle": "sagsbehandler",
        "fra": "anna_s",
        "til": "karl",
        "begrundelse": "Anna er på barsel",
    }
    details = staffed_backend.reports.case_details(case_id)
    assert [(a["rolle"], a["medarbejder"]) for a in details["tildelt"]] == [
        ("sagsbehandler", "karl")
    ]
    shown = details["forløb"][-1]
    assert shown["tildeling"] == {"rolle": "sagsbehandler", "fra": "anna_s", "til": "karl"}
    assert (shown["af"], shown["begrundelse"]) == ("lene", "Anna er på barsel")


def test_a_role_nobody_held_is_from_nobody_and_the_same_worker_again_changes_nothing(
    staffed_backend,
):
    case_id = opened(staffed_backend)
    staffed_backend.cases.assign(case_id, "virksomhedskonsulent", "vera", "system")
    assert history(staffed_backend, case_id)[-1]["data"] == {
        "rolle": "virksomhedskonsulent",
        "fra": None,
        "til": "vera",
    }
    before = case_rows(staffed_backend, case_id)
    again = staffed_backend.cases.assign(case_id, "virksomhedskonsulent", "vera", "lene")
    assert not again.applied
    assert case_rows(staffed_backend, case_id) == before


@pytest.mark.parametrize(
    ("role", "message"),
    [
        (
            "virksomhedskonsulnt",
            "ukendt rolle 'virksomhedskonsulnt' i drejebogen 'mini' "
            "(mente du 'virksomhedskonsulent'?); kendte roller: ",
        ),
        ("no such role", "ukendt rolle 'no such role'"),
        ("borger", "rollen 'borger' er borgerens"),
        ("x" * 120_000, "ukendt rolle '" + "x" * 40 + "…' i drejebogen 'mini'; kendte"),
        ("jobcafe", "ukendt rolle 'jobcafe' i drejebogen 'mini'"),  # another drejebog's role
    ],
    ids=["typo", "spaces", "citizen", "huge", "other-drejebog"],
)
def test_a_role_the_cases_drejebog_does_not_know_is_refused_and_nothing_changes(
    staffed_backend, role, message
):
    staffed_backend.admin.load_drejebog_files([SHIPPED_DIR / "jobrettet_samtale.yaml"])
    case_id = opened(staffed_backend)
    before = case_rows(staffed_backend, case_id)
    with pytest.raises(CaseError) as caught:
        staffed_backend.cases.assign(case_id, role, "karl", "lene")
    assert f"sag {case_id}: " in str(caught.value) and message in str(caught.value)
    assert len(str(caught.value)) < 500
    assert case_rows(staffed_backend, case_id) == before


def test_opening_a_case_refuses_an_unknown_role_and_stores_no_case(staffed_backend):
    with pytest.raises(CaseError, match=r"ukendt rolle 'sagsbehandlr'.*mente du 'sagsbehandler'"):
        staffed_backend.cases.open_case(
            ANNA_CPR, "mini", "anna_s", assignments={"sagsbehandlr": "anna_s"}
        )
    assert staffed_backend.rows("case") == []


def test_unknown_case_or_worker_and_a_closed_case_are_refused(staffed_backend):
    case_id = opened(staffed_backend)
    with pytest.raises(NotFound, match="ukendt medarbejder 'nemo'"):
        staffed_backend.cases.assign(case_id, "mentor", "nemo", "lene")
    with pytest.raises(NotFound, match="ukendt sag '99'"):
        staffed_backend.cases.assign("99", "mentor", "karl", "lene")
    staffed_backend.cases.apply_event(case_id, "afslut", {}, "anna_s")
    before = case_rows(staffed_backend, case_id)
    with pytest.raises(CaseError, match="sagen er afsluttet"):
        staffed_backend.cases.assign(case_id, "mentor", "karl", "lene")
    assert case_rows(staffed_backend, case_id) == before


def test_an_assignment_on_a_stale_read_is_a_conflict_and_writes_nothing(staffed_backend):
    case_id = opened(staffed_backend)
    with staffed_backend.unit_of_work() as slow:
        stale = slow.load_case(case_id)  # someone reads the case ...
        staffed_backend.cases.assign(case_id, "mentor", "karl", "lene")  # ... an assignment wins
        from drejebog.app.ports import HistoryNote
        from drejebog.engine.runtime import Step

        with pytest.raises(ConcurrencyConflict):
            slow.save_step(
                stale, Step(stale.snapshot), HistoryNote(staffed_backend.clock.now(), "x", "y")
            )
            slow.commit()
    assert [h["kind"] for h in history(staffed_backend, case_id)] == ["åbnet", "tildeling"]


def test_concurrent_assignments_and_events_one_wins_the_others_conflict(staffed_backend):
    case_id = opened(staffed_backend)
    workers = 6

    def change(index: int) -> None:
        if index % 2:
            staffed_backend.cases.apply_event(case_id, "praktik_startet", {}, "anna_s")
        else:
            worker = ("karl", "vera", "lene")[index // 2]
            staffed_backend.cases.assign(case_id, "mentor", worker, "anna_s")

    outcomes = race(workers, change)
    successes = outcomes.count("ok")
    assert successes >= 1 and successes + outcomes.count("conflict") == workers
    rows = case_rows(staffed_backend, case_id)
    assert len(rows["history"]) == 1 + successes
    assert rows["case"]["lock_version"] == 1 + successes
    # the assignment held is the one the last assignment row in the history names
    last = [h for h in rows["history"] if h["kind"] == "tildeling"]
    mentors = staffed_backend.rows("assignment", case_id=int(case_id), role="mentor")
    assert len(mentors) == (1 if last else 0)


def test_events_openings_and_migrations_carry_their_reason(staffed_backend, tmp_path):
    case_id = staffed_backend.cases.open_case(
        ANNA_CPR, "mini", "anna_s", reason="Visiteret efter samtale"
    ).case_id
    staffed_backend.cases.apply_event(
        case_id, "rehab_holdt", REHAB, "anna_s", reason="Mødet blev holdt"
    )
    path = tmp_path / "mini_v2.yaml"
    path.write_text(V2, encoding="utf-8")
    staffed_backend.admin.load_drejebog_files([path])
    staffed_backend.cases.migrate("mini", "2", "lene", reason="Ny frist fra 1. april")
    staffed_backend.cases.apply_event(case_id, "praktik_startet", {}, "anna_s", reason="   ")
    rows = history(staffed_backend, case_id)
    assert [h["data"].get("begrundelse") for h in rows] == [
        "Visiteret efter samtale",
        "Mødet blev holdt",
        "Ny frist fra 1. april",
        None,  # blank: no reason
    ]
    shown = staffed_backend.reports.case_details(case_id)["forløb"]
    assert [h["begrundelse"] for h in shown] == [h["data"].get("begrundelse") for h in rows]


def test_an_over_long_reason_is_refused_before_anything_is_written(staffed_backend):
    case_id = opened(staffed_backend)
    before = case_rows(staffed_backend, case_id)
    with pytest.raises(CaseError, match="begrundelsen er 2001 tegn lang; højst 2000"):
        staffed_backend.cases.apply_event(
            case_id, "praktik_startet", {}, "anna_s", None, "x" * 2001
        )
    with pytest.raises(CaseError, match="begrundelsen er"):
        staffed_backend.cases.assign(case_id, "mentor", "karl", "lene", "x" * 2001)
    assert case_rows(staffed_backend, case_id) == before


# -- a worker's role: known from the built-ins and the stored drejebøger -----------------------


def test_a_worker_role_must_be_built_in_or_declared_in_a_stored_drejebog(backend):
    admin = backend.admin
    admin.add_worker("lene", "Lene Leder", "leder")  # built in: known before any load
    with pytest.raises(AdminError) as caught:
        admin.add_worker("jo", "Jo", "jobcafe")
    assert "ukendt rolle 'jobcafe'" in str(caught.value)
    assert "ingen drejebøger er indlæst endnu" in str(caught.value)
    admin.load_drejebog_files([SHIPPED_DIR])
    admin.add_worker("jo", "Jo", "jobcafe")  # declared under 'roller' in jobrettet_samtale
    with pytest.raises(AdminError) as caught:
        admin.add_worker("ny", "Ny", "jobcafee")
    assert "ukendt rolle 'jobcafee' (mente du 'jobcafe'?)" in str(caught.value)
    assert "indlæst endnu" not in str(caught.value)
    for role in ("nosuchrole", "borger", "x" * 120_000):
        with pytest.raises(AdminError):
            admin.add_worker("ny", "Ny", role)
    assert [w.handle for w in admin.workers()] == ["jo", "lene"]


@pytest.mark.parametrize(
    ("reason", "stored"),
    [
        ("Borgeren\r\nringede\tigen", "Borgeren ringede igen"),
        ("null\x00byte", None),
        ("ikke utf-8 \udcff", None),
        ("slet\x7f", None),
    ],
    ids=["line-breaks", "nul", "surrogate", "delete"],
)
def test_a_reason_is_one_line_of_text_and_control_characters_are_refused(
    staffed_backend, reason, stored
):
    case_id = opened(staffed_backend)
    if stored is None:
        before = case_rows(staffed_backend, case_id)
        with pytest.raises(CaseError, match=r"begrundelsen indeholder et ugyldigt tegn \(U\+"):
            staffed_backend.cases.assign(case_id, "mentor", "karl", "lene", reason)
        assert case_rows(staffed_backend, case_id) == before
        return
    staffed_backend.cases.assign(case_id, "mentor", "karl", "lene", reason)
    assert history(staffed_backend, case_id)[-1]["data"]["begrundelse"] == stored
