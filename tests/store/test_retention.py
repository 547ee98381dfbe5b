"""Retention (issue 13, point 9), on SQLite and PostgreSQL: a closed case's personal data goes
once its drejebog's `opbevaring` has passed (default five years), in batches, with a history
row; what the KPIs need stays; a citizen with a case still kept keeps their number."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from freezegun import freeze_time
from sqlalchemy import create_engine, text

from drejebog.workflows import SHIPPED_DIR

CPR = "610190-1234"
OTHER_CPR = "620190-1233"
FREE_TEXT = "Praktik i Mette Madsens bageri, ring 12345678"

# closed Monday 6 March 2028 (local); kept through 6 March 2033, due from 7 March 2033
PATH = [
    ("2028-01-10 09:00:00", "tilmeld_holdforloeb", "rehab_moede=2028-02-01"),
    ("2028-02-01 12:00:00", "rehab_moede_holdt", "indstilling=ressourceforloeb"),
    ("2028-02-03 12:00:00", "foerste_aktivitet_startet", f"aktivitet={FREE_TEXT}"),
    ("2028-02-10 12:00:00", "overdragelse_holdt", "opstartsmoede=2028-02-20"),
    ("2028-03-06 12:00:00", "afslut_forloeb", "afslutning=job"),
]


@pytest.fixture
def closed_case(run) -> Any:
    with freeze_time("2028-01-04 08:00:00"):
        run("db", "upgrade")
        run("load", str(SHIPPED_DIR))
        run(
            "worker",
            "add",
            "anna",
            "--navn",
            "Anna A",
            "--rolle",
            "sagsbehandler",
            "--email",
            "anna@jobcenter.dk",
        )
        run(
            "citizen",
            "add",
            CPR,
            "--navn",
            "Mette Madsen",
            "--email",
            "mette@example.org",
            "--telefon",
            "+4512345678",
        )
        run("citizen", "add", OTHER_CPR, "--navn", "Ole Olsen")
        run(
            "case",
            "open",
            "ressourceforloeb",
            "--cpr",
            CPR,
            "--tildel",
            "sagsbehandler=anna",
            "--begrundelse",
            "Mette ringede selv",
            "ydelse=kontanthjaelp",
        )
        run(
            "case", "open", "ressourceforloeb", "--cpr", OTHER_CPR, "--tildel", "sagsbehandler=anna"
        )
    for number, (at, event, data) in enumerate(PATH):
        with freeze_time(at):
            run(
                "case",
                "event",
                "1",
                event,
                data,
                "--as",
                "anna",
                "--id",
                f"fag-{number}",
                "--begrundelse",
                "Mette Madsen sagde det i telefonen",
            )
    return run


def _rows(database_url: str, query: str) -> list[Any]:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(text(query)).all()
    engine.dispose()
    return rows


def _everything(database_url: str) -> str:
    """Every text a case, its history, its messages and its citizen hold, as one string."""
    tables = ['"case"', "case_history", "outbox", "citizen", "task", "timer"]
    return json.dumps(
        [[list(map(str, row)) for row in _rows(database_url, f"SELECT * FROM {t}")] for t in tables]
    )


def test_nothing_is_due_the_last_day_the_data_is_kept(closed_case, database_url) -> None:
    with freeze_time("2033-03-06 22:00:00"):  # 23:00 local, 6 March 2033
        out = closed_case("retention", "--dry-run")
    assert "0 sager ville blive anonymiseret" in out
    assert FREE_TEXT in _everything(database_url)


def test_a_dry_run_lists_what_would_go_and_changes_nothing(closed_case, database_url) -> None:
    before = _everything(database_url)
    with freeze_time("2033-03-07 08:00:00"):
        out = closed_case("retention", "--dry-run")
    assert "sag 1 (ressourceforloeb, lukket 06.03.2028, borger 610190-xxxx) anonymiseres" in out
    assert "1 sager ville blive anonymiseret (prøvekørsel: intet er ændret)" in out
    assert _everything(database_url) == before


def test_the_personal_data_goes_and_what_the_kpis_need_stays(closed_case, database_url) -> None:
    before_history = _rows(
        database_url,
        "SELECT seq, kind, event, from_state, to_state, actor, data FROM "
        "case_history WHERE case_id = 1 ORDER BY seq",
    )
    with freeze_time("2033-03-07 08:00:00"):
        out = closed_case("retention")
    assert "1 sager anonymiseret" in out and "1 borgere" in out
    stored = _everything(database_url)
    for personal in (
        FREE_TEXT,
        "Mette",
        "mette@example.org",
        "+4512345678",
        "610190",
        "fag-0",
        "sagde det i telefonen",
        "ringede selv",
    ):
        assert personal not in stored, personal
    # the other citizen, whose case is still open, is untouched
    assert "Ole Olsen" in stored and "620190-1233" in stored

    (case,) = _rows(database_url, 'SELECT state, facts, anonymised_at FROM "case" WHERE id = 1')
    assert case.state == "afsluttet" and case.anonymised_at is not None
    facts = case.facts if isinstance(case.facts, dict) else json.loads(case.facts)
    assert facts["afslutning"] == "job" and facts["rehab_moede"] == "2028-02-01"
    assert "aktivitet" not in facts and facts["aktivitet_startet"] is True

    after = _rows(
        database_url,
        "SELECT seq, kind, event, from_state, to_state, actor, data, event_id "
        "FROM case_history WHERE case_id = 1 ORDER BY seq",
    )
    assert len(after) == len(before_history) + 1
    for old, new in zip(before_history, after, strict=False):
        assert old[:6] == new[:6]  # kind, event, states, actor: the timeline's shape stays
        old_data = old.data if isinstance(old.data, dict) else json.loads(old.data)
        new_data = new.data if isinstance(new.data, dict) else json.loads(new.data)
        assert new_data == {k: v for k, v in old_data.items() if k in ("records", "results")}
        assert new.event_id is None
    note = after[-1]
    assert (note.kind, note.actor) == ("anonymiseret", "system")
    note_data = note.data if isinstance(note.data, dict) else json.loads(note.data)
    assert note_data["opbevaring"] == "60 måneder"
    milestones = _rows(
        database_url,
        "SELECT COUNT(*) FROM case_history WHERE case_id = 1 AND event IN "
        "('rehab_moede_holdt', 'foerste_aktivitet_startet', 'overdragelse_holdt')",
    )
    assert milestones[0][0] == 3

    with freeze_time("2033-03-08 08:00:00"):
        again = closed_case("retention")
    assert "0 sager anonymiseret" in again  # each case once
    assert len(_rows(database_url, "SELECT id FROM case_history WHERE case_id = 1")) == len(after)
    shown = closed_case("case", "show", "1")
    assert "afsluttet" in shown and "Mette" not in shown


@pytest.fixture
def short_retention(run, tmp_path) -> Iterator[Any]:
    """A drejebog that keeps a closed case 30 days, with many cases closed at once."""
    text_ = (SHIPPED_DIR / "ressourceforloeb.yaml").read_text(encoding="utf-8")
    (tmp_path / "kort.yaml").write_text(
        text_.replace("drejebog: ressourceforloeb", "drejebog: kort\nopbevaring: 30 dage"),
        encoding="utf-8",
    )
    with freeze_time("2028-01-04 08:00:00"):
        run("db", "upgrade")
        run("load", str(tmp_path / "kort.yaml"))
        for i in range(7):
            cpr = f"{61 + i}0190-1234"  # erstatningspersonnumre: day + 60
            run("citizen", "add", cpr, "--navn", f"Borger {i}")
            run("case", "open", "kort", "--cpr", cpr)
            run("case", "event", str(i + 1), "tilmeld_holdforloeb", "rehab_moede=2028-02-01")
            run("case", "event", str(i + 1), "rehab_moede_holdt", "indstilling=fleksjob")
    yield run


def test_a_drejebogs_own_period_in_batches(short_retention, database_url) -> None:
    with freeze_time("2028-02-03 08:00:00"):
        assert "0 sager ville" in short_retention("retention", "--dry-run")
    with freeze_time("2028-02-04 08:00:00"):  # closed 4 Jan; kept 30 days, through 3 Feb
        out = short_retention("retention", "--portion", "3")
    assert "7 sager anonymiseret" in out and "7 borgere" in out
    names = {row[0] for row in _rows(database_url, "SELECT name FROM citizen")}
    assert names == {"Anonymiseret borger"}


def test_opbevaring_is_checked(tmp_path) -> None:
    from drejebog.engine.loader import parse_text

    text_ = (SHIPPED_DIR / "ressourceforloeb.yaml").read_text(encoding="utf-8")
    _, problems = parse_text(
        text_.replace("drejebog: ressourceforloeb", "drejebog: r\nopbevaring: længe"), "r.yaml"
    )
    assert any("'opbevaring'" in str(p) and str(p).startswith("r.yaml:") for p in problems)


def test_the_daemons_nightly_maintenance_anonymises_and_logs(
    closed_case, database_url, caplog
) -> None:
    from datetime import UTC, datetime

    from drejebog.app.settings import Settings
    from drejebog.bootstrap import bootstrap
    from drejebog.cli.daemon import MAINTENANCE_TIME, Daemon
    from drejebog.engine.clock import SimulatedClock

    assert (MAINTENANCE_TIME.hour, MAINTENANCE_TIME.minute) == (2, 30)
    app = bootstrap(Settings(database_url), SimulatedClock(datetime(2033, 3, 7, 1, 30, tzinfo=UTC)))
    try:
        with caplog.at_level("INFO", logger="drejebog.daemon"):
            Daemon(app).maintain()
    finally:
        app.close()
    assert "opbevaring: 1 sager anonymiseret" in caplog.text
    assert FREE_TEXT not in _everything(database_url)
