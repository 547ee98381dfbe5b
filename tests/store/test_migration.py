"""`drejebog migrate` on every store (in memory, SQLite, PostgreSQL): running cases move to a
new drejebog version, or nothing moves."""

from __future__ import annotations

from datetime import timedelta

import pytest

from drejebog.app.firing import Channels, sweep
from drejebog.engine.errors import MigrationRefused, NotFound
from tests.conftest import FIXTURES, local
from tests.store.backends import case_rows
from tests.store.conftest import ANNA_CPR, BO_CPR
from tests.store.test_case_service import REHAB

V1 = (FIXTURES / "mini.yaml").read_text(encoding="utf-8")
# Version 2: the overdragelse is due within 10 dage (not 14), and 'forloeb' is renamed.
V2 = (
    V1.replace("version: 1", "version: 2")
    .replace("frist: 14 dage", "frist: 10 dage")
    .replace("  forloeb:\n", "  ressourceforloeb:\n")
    .replace("til: forloeb", "til: ressourceforloeb")
    .replace("fra: forloeb", "fra: ressourceforloeb")
    .replace("fra: [visiteret, rehab, forloeb]", "fra: [visiteret, rehab, ressourceforloeb]")
)


@pytest.fixture
def two_versions(staffed_backend, tmp_path):
    path = tmp_path / "mini_v2.yaml"
    path.write_text(V2, encoding="utf-8")
    staffed_backend.v2_path = path
    return staffed_backend


def open_in_rehab(app, cpr: str) -> str:
    case_id = app.cases.open_case(cpr, "mini", "anna_s").case_id
    app.cases.apply_event(case_id, "rehab_holdt", REHAB, "anna_s")
    return case_id


def timers(store, case_id: str, status: str = "pending") -> set[tuple[str, str, str]]:
    rows = store.rows("timer", case_id=int(case_id), status=status)
    return {(r["rule"], r["step"], f"{r['due_at']:%Y-%m-%d %H:%M}") for r in rows}


def history(store, case_id: str) -> list[dict[str, object]]:
    return sorted(store.rows("case_history", case_id=int(case_id)), key=lambda h: h["seq"])


def test_migration_refuses_when_a_state_has_no_place_and_changes_nothing(two_versions, clock):
    app = two_versions
    in_rehab = open_in_rehab(app, ANNA_CPR)
    in_forloeb = open_in_rehab(app, BO_CPR)
    app.cases.apply_event(in_forloeb, "overdrag", {"jobmaal_afklaret": "ja"}, "anna_s")
    app.admin.load_drejebog_files([app.v2_path])
    before = (case_rows(app, in_rehab), case_rows(app, in_forloeb))
    with pytest.raises(MigrationRefused) as caught:
        app.cases.migrate("mini", "2", "lene")
    assert f"sag {in_forloeb} (forloeb)" in str(caught.value) and "--map" in str(caught.value)
    assert (case_rows(app, in_rehab), case_rows(app, in_forloeb)) == before


def test_migration_recomputes_future_timers_under_the_new_rules(two_versions, clock):
    app = two_versions
    case_id = open_in_rehab(app, ANNA_CPR)  # rehab meeting 1 March: v1 due 15 March
    assert ("overdragelse", "påmindelse.0", "2027-03-12 07:00") in timers(app, case_id)
    app.admin.load_drejebog_files([app.v2_path])
    clock.advance(timedelta(days=2))  # migrate on 3 March 09:00 local
    dry = app.cases.migrate("mini", "2", "lene", dry_run=True)
    assert [(m.case_id, m.from_version, m.to_version) for m in dry] == [(case_id, "1", "2")]
    assert ("overdragelse", "påmindelse.0", "2027-03-12 07:00") in timers(app, case_id)

    moved = app.cases.migrate("mini", "2", "lene")
    assert [(m.from_state, m.to_state) for m in moved] == [("rehab", "rehab")]
    # v2: 1 March + 10 dage = Thursday 11 March; reminder 3 dage før = Monday 8 March;
    # breach notice on the next working day, Friday 12 March (08:00 CET = 07:00 UTC)
    assert timers(app, case_id) == {
        ("overdragelse", "påmindelse.0", "2027-03-08 07:00"),
        ("overdragelse", "eskalering.0", "2027-03-12 07:00"),
    }
    last = history(app, case_id)[-1]
    (case,) = app.rows("case", id=int(case_id))
    assert (last["kind"], last["actor"], last["from_state"], last["to_state"]) == (
        "migrering",
        "lene",
        "rehab",
        "rehab",
    )
    assert last["data"]["fra_version"] == "1" and last["data"]["til_version"] == "2"
    assert case["drejebog_version_id"] == 2
    # a case on the new version keeps working under it
    result = app.cases.apply_event(case_id, "overdrag", {"jobmaal_afklaret": "ja"}, "anna_s")
    assert result.to_state == "ressourceforloeb"


def test_mapped_states_move_and_cycles_keep_their_anchor(two_versions, clock):
    app = two_versions
    case_id = open_in_rehab(app, ANNA_CPR)
    clock.advance(timedelta(days=2))
    app.cases.apply_event(case_id, "overdrag", {"jobmaal_afklaret": "ja"}, "anna_s")
    before = timers(app, case_id)  # cycle anchored 3 March: report-back due 3 April
    app.admin.load_drejebog_files([app.v2_path])
    clock.advance(timedelta(days=1))
    moved = app.cases.migrate("mini", "2", "lene", {"forloeb": "ressourceforloeb"})
    assert [(m.from_state, m.to_state) for m in moved] == [("forloeb", "ressourceforloeb")]
    assert {(r, s, at) for r, s, at in timers(app, case_id)} == before  # same instants


def test_migration_to_an_unknown_version_fails_clearly(staffed_backend):
    with pytest.raises(NotFound, match=r"ukendt version 'mini 7'.*indlæste versioner: 1"):
        staffed_backend.cases.migrate("mini", "7", "lene")


def test_timers_due_before_the_migration_stay_with_the_old_version(two_versions, clock):
    app = two_versions
    case_id = open_in_rehab(app, ANNA_CPR)
    app.admin.load_drejebog_files([app.v2_path])
    clock.advance_to(local("2027-03-13 09:00"))  # after v1's reminder (12 March), unfired
    app.cases.migrate("mini", "2", "lene")
    pending = timers(app, case_id)
    assert ("overdragelse", "påmindelse.0", "2027-03-12 07:00") in pending  # old, kept
    # v2: due 11 March; its reminder (8 March) and breach notice (12 March) are in the past,
    # so the ladder goes on from its next rung, 12 March + 7 dage = Friday 19 March
    assert pending == {
        ("overdragelse", "påmindelse.0", "2027-03-12 07:00"),
        ("overdragelse", "eskalering.1", "2027-03-19 07:00"),
    }
    # the overdue v1 reminder fires once, under v1's text, with no follow-up of its own
    report = sweep(app.unit_of_work, clock.now(), Channels())
    assert (report.fired, report.by_kind) == (1, {"reminder": 1})
    assert timers(app, case_id) == {("overdragelse", "eskalering.1", "2027-03-19 07:00")}
    assert sweep(app.unit_of_work, clock.now(), Channels()).fired == 0
    (message,) = app.rows("outbox")
    last = history(app, case_id)[-1]
    assert message["subject"] == "Påmindelse: Overdragelse til koordinerende sagsbehandler"
    assert message["recipient"] == "lene"  # nobody holds sagsbehandler here: the leader
    assert "kommer 1 dag og 1 time for sent" in message["body_text"]
    assert last["kind"] == "påmindelse" and last["data"]["frist"] == "2027-03-15"


def test_migration_to_the_version_every_case_already_runs_is_refused(two_versions, clock):
    app = two_versions
    case_id = open_in_rehab(app, ANNA_CPR)
    before = case_rows(app, case_id)
    with pytest.raises(MigrationRefused, match=r"kører allerede version 1; intet er flyttet"):
        app.cases.migrate("mini", "1", "lene", dry_run=True)
    assert case_rows(app, case_id) == before
