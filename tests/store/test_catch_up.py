"""The catch-up ceiling through the real sweep, and implausible dates refused at the CLI.

A recurring duty anchored a century back fires one missing notice (the latest missed
occurrence, counting the others), never one per missed occurrence; a date far outside a
fact's plausible range never gets that far.
"""

from __future__ import annotations

from freezegun import freeze_time

from drejebog.app.firing import Channels, sweep
from drejebog.workflows import SHIPPED_DIR
from tests.conftest import FIXTURES, local
from tests.store.conftest import ANNA_CPR

CPR = "610190-1234"  # erstatningspersonnummer: day + 60

# mini.yaml with the monthly report-back counted from the meeting's date, and a meeting date
# allowed two centuries back (the default range refuses 1900)
OLD_MEETING = (
    ("drejebog: mini", "drejebog: mini_gammel"),
    (
        "rehab_moede: {titel: Rehabiliteringsmøde, type: dato}",
        "rehab_moede: {titel: Rehabiliteringsmøde, type: dato, tidligst: 200 år før}",
    ),
    ("        hver: 1 måned\n", "        hver: 1 måned\n        regnes_fra: rehab_moede\n"),
)


def load_old_meeting_drejebog(backend, tmp_path, *changes: tuple[str, str]) -> None:
    text = (FIXTURES / "mini.yaml").read_text(encoding="utf-8")
    for old, new in (*OLD_MEETING, *changes):
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "mini_gammel.yaml"
    path.write_text(text, encoding="utf-8")
    backend.admin.load_drejebog_files([path])


def test_an_anchor_in_1900_sends_one_missing_notice_not_hundreds(staffed_backend, tmp_path):
    store = staffed_backend
    load_old_meeting_drejebog(store, tmp_path)
    case_id = store.cases.open_case(
        ANNA_CPR, "mini_gammel", "anna_s", assignments={"sagsbehandler": "anna_s"}
    ).case_id
    meeting = {"rehab_moede": "1900-01-01", "indstilling": "ressourceforloeb"}
    store.cases.apply_event(case_id, "rehab_holdt", meeting, "anna_s")
    store.cases.apply_event(case_id, "overdrag", {"jobmaal_afklaret": "ja"}, "anna_s")
    now = store.clock.now()
    for _ in range(5):  # the daemon's ticks: whatever is due now goes in the first
        sweep(store.unit_of_work, now, Channels())
    missing = [m for m in store.rows("outbox") if m["kind"] == "checkin_missing"]
    assert len(missing) == 1  # mentor and koordinerende sagsbehandler are both the leader
    # 1 Feb 1900 to 1 Feb 2027: 1525 monthly occurrences whose notice has passed
    assert "Der mangler i alt 1525; denne ene besked dækker dem alle." in missing[0]["body_text"]
    assert "skulle være kommet senest 1. februar 2027" in missing[0]["body_text"]
    pending = store.rows("timer", case_id=int(case_id), status="pending")
    # the cycle goes on from now: the next occurrence is March's, ahead of the clock
    assert {t["occurrence"].split(".")[1] for t in pending if t["rule"] == "tilbagemelding"} == {
        "k1526"
    }
    assert all(t["due_at"] > now for t in pending)


def test_a_drejebog_s_own_missing_notice_can_say_how_many_are_missing(staffed_backend, tmp_path):
    store = staffed_backend
    own_text = (
        "mangler: {til: [mentor, koordinerende_sagsbehandler]}",
        "mangler:\n          til: [mentor, koordinerende_sagsbehandler]\n"
        "          emne: \"{{ frist.mangler_i_alt }} tilbagemeldinger mangler\"\n"
        "          tekst: \"Fra {{ borger.navn }} mangler {{ frist.mangler_i_alt }}.\"",
    )
    load_old_meeting_drejebog(store, tmp_path, own_text)  # `check` passes it: it loads
    case_id = store.cases.open_case(
        ANNA_CPR, "mini_gammel", "anna_s", assignments={"sagsbehandler": "anna_s"}
    ).case_id
    meeting = {"rehab_moede": "1900-01-01", "indstilling": "ressourceforloeb"}
    store.cases.apply_event(case_id, "rehab_holdt", meeting, "anna_s")
    store.cases.apply_event(case_id, "overdrag", {"jobmaal_afklaret": "ja"}, "anna_s")
    sweep(store.unit_of_work, store.clock.now(), Channels())
    (missing,) = [m for m in store.rows("outbox") if m["kind"] == "checkin_missing"]
    assert missing["subject"] == "1525 tilbagemeldinger mangler"
    assert "Fra Anna Andersen mangler 1525.\n" in missing["body_text"]


def test_a_monthly_check_in_a_day_late_still_fires_each_occurrence(staffed_backend, clock):
    """The ceiling folds only occurrences more than a period behind: a daemon that was down a
    day sends the missing notice as before, counting one."""
    store = staffed_backend
    case_id = store.cases.open_case(
        ANNA_CPR, "mini", "anna_s", assignments={"sagsbehandler": "anna_s"}
    ).case_id
    store.cases.apply_event(
        case_id,
        "rehab_holdt",
        {"rehab_moede": "2027-03-01", "indstilling": "ressourceforloeb"},
        "anna_s",
    )
    store.cases.apply_event(case_id, "overdrag", {"jobmaal_afklaret": "ja"}, "anna_s")
    clock.advance_to(local("2027-04-08 08:00"))  # the notice was due 7 April 08:00
    sweep(store.unit_of_work, clock.now(), Channels())
    missing = [m for m in store.rows("outbox") if m["kind"] == "checkin_missing"]
    assert len(missing) == 1
    assert "i alt" not in missing[0]["body_text"]


def test_dates_outside_the_plausible_range_are_danish_errors_at_the_cli(run):
    with freeze_time("2027-01-04 08:00:00"):
        run("db", "upgrade")
        run("load", str(SHIPPED_DIR / "ressourceforloeb.yaml"))
        run("citizen", "add", CPR, "--navn", "Mette Madsen")
        run("case", "open", "ressourceforloeb", "--cpr", CPR)
        for value in ("0001-01-01", "9999-12-31", "1900-01-01", "2037-01-05"):
            event = ("case", "event", "1", "tilmeld_holdforloeb", f"rehab_moede={value}")
            out = run(*event, code=1)
            assert "Traceback" not in out
            assert f"'rehab_moede' = {value} ligger uden for det tilladte" in out
            assert "fra 2017-01-04 til 2037-01-04 (10 år før til 10 år efter" in out
        assert "holdforloeb" not in run("case", "show", "1")  # nothing changed
        out = run("case", "event", "1", "tilmeld_holdforloeb", "rehab_moede=2037-01-04")
        assert "visiteret → holdforloeb" in out
