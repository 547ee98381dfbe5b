"""`drejebog access-log --cpr` and `drejebog insight --cpr` (issue 13, point 6), on SQLite and
PostgreSQL: who has seen a citizen's cases, the citizen's export, only for a leder or an
administrator, CPR numbers masked, and each request logged itself."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from freezegun import freeze_time
from sqlalchemy import create_engine, text

from drejebog.app.ports import AccessEntry
from drejebog.app.settings import Settings
from drejebog.bootstrap import bootstrap
from drejebog.workflows import SHIPPED_DIR
from tests.conftest import shows_cpr_serial

CPR = "610190-1234"
OTHER_CPR = "620190-1233"


@pytest.fixture
def seeded(run, database_url) -> Any:
    with freeze_time("2027-01-04 08:00:00"):
        run("db", "upgrade")
        run("load", str(SHIPPED_DIR))
        run("worker", "add", "lene", "--navn", "Lene Leder", "--rolle", "leder")
        run(
            "worker",
            "add",
            "anna",
            "--navn",
            "Anna A",
            "--rolle",
            "sagsbehandler",
            "--leder",
            "lene",
        )
        run("citizen", "add", CPR, "--navn", "Mette Madsen", "--email", "mette@example.org")
        run("citizen", "add", OTHER_CPR, "--navn", "Ole Olsen")
        run(
            "case",
            "open",
            "ressourceforloeb",
            "--cpr",
            CPR,
            "--tildel",
            "sagsbehandler=anna",
            "--as",
            "anna",
            "--begrundelse",
            "Hun gav sit nr. 610190-1234 i telefonen",
        )
        run("case", "open", "ressourceforloeb", "--cpr", OTHER_CPR)
    app = bootstrap(Settings(database_url))
    try:  # the web app's views, as app/access.py writes them
        for at, handle, case_key in [
            ("2027-01-05 09:00", "anna", 1),
            ("2027-01-06 10:30", "lene", 1),
            ("2027-01-06 11:00", "anna", 2),
        ]:
            app.access_store.log_access(
                AccessEntry(_utc(at), handle, case_key, case_key, "vis", "10.0.0.7")
            )
    finally:
        app.close()
    return run


def _utc(text_: str):  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime.fromisoformat(text_).replace(tzinfo=UTC)


def _log(database_url: str) -> list[Any]:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT handle, case_id, citizen_id, action, source FROM access_log ORDER BY id")
        ).all()
    engine.dispose()
    return rows


def test_a_leder_sees_who_looked_at_the_citizens_cases_and_is_logged(seeded, database_url):
    with freeze_time("2027-02-01 12:00:00"):
        out = seeded("access-log", "--cpr", CPR, "--as", "lene")
    lines = out.splitlines()
    assert lines[0] == "Adgangslog for borger 610190-xxxx: 3 adgange"
    assert lines[1].split() == ["tidspunkt", "medarbejder", "sag", "handling", "fra"]
    assert lines[2].split() == ["04.01.2027", "09:00", "anna", "1", "ændr", "cli"]  # opened
    assert lines[3].split() == ["05.01.2027", "10:00", "anna", "1", "vis", "10.0.0.7"]
    assert lines[4].split() == ["06.01.2027", "11:30", "lene", "1", "vis", "10.0.0.7"]
    assert len(lines) == 5  # the other citizen's case is not in it
    assert tuple(_log(database_url)[-1]) == ("lene", 1, 1, "vis", "cli: adgangslog")
    as_json = json.loads(seeded("access-log", "--cpr", CPR, "--as", "lene", "--json"))
    assert as_json["borger"] == "610190-xxxx"
    assert [a["medarbejder"] for a in as_json["adgange"]] == ["anna", "anna", "lene", "lene"]


@pytest.mark.parametrize("reader", ["anna", None])
def test_nobody_but_a_leder_or_administrator_may_ask(seeded, database_url, reader, tmp_path):
    who = ["--as", reader] if reader else []
    before = _log(database_url)
    out = seeded("access-log", "--cpr", CPR, *who, code=1)
    assert "fejl:" in out and "må ikke se adgangsloggen" in out
    out = seeded("insight", "--cpr", CPR, *who, "--til", str(tmp_path / "x.json"), code=1)
    assert "må ikke" in out and not (tmp_path / "x.json").exists()
    assert _log(database_url) == before


def test_the_insight_export_holds_the_citizens_data_masked_and_is_logged(
    seeded, database_url, tmp_path
):
    target = tmp_path / "indsigt.json"
    with freeze_time("2027-02-01 12:00:00"):
        out = seeded("insight", "--cpr", CPR, "--as", "lene", "--til", str(target))
    assert f"skrevet til {target} (1 sager)" in out
    raw = target.read_text(encoding="utf-8")
    assert not shows_cpr_serial(raw)  # the CPR number, also typed into a reason, is masked
    export = json.loads(raw)
    assert export["borger"] == "610190-xxxx" and export["udtrukket_af"] == "lene"
    assert export["stamdata"] == {
        "cpr": "610190-xxxx",
        "navn": "Mette Madsen",
        "email": "mette@example.org",
        "telefon": "",
    }
    (case,) = export["sager"]
    assert case["sag"] == 1 and case["tilstand"] == "visiteret"
    assert case["tildelt"] == [{"rolle": "sagsbehandler", "medarbejder": "anna", "navn": "Anna A"}]
    assert case["forløb"][0]["slags"] == "åbnet"
    assert "610190-xxxx i telefonen" in json.dumps(case["forløb"], ensure_ascii=False)
    assert [a["medarbejder"] for a in export["adgangslog"]] == ["anna", "anna", "lene"]
    assert "Ole Olsen" not in raw
    assert tuple(_log(database_url)[-1]) == ("lene", 1, 1, "vis", "cli: indsigt")

    again = seeded("insight", "--cpr", CPR, "--as", "lene", "--til", str(target), code=1)
    assert "findes allerede" in again
    assert json.loads(target.read_text(encoding="utf-8")) == export  # not overwritten


def test_an_unknown_citizen_or_a_bad_number_is_a_danish_error(seeded, tmp_path: Path):
    out = seeded("access-log", "--cpr", "630190-1234", "--as", "lene", code=1)
    assert "fejl:" in out and "630190-xxxx" in out
    out = seeded("access-log", "--cpr", "nej", "--as", "lene", code=1)
    assert "fejl:" in out and "Traceback" not in out


def test_the_clis_views_and_changes_are_in_the_access_log(seeded, database_url):
    before = len(_log(database_url))
    with freeze_time("2027-01-11 09:00:00"):
        seeded("case", "show", "1", "--as", "anna")
        seeded(
            "case", "event", "1", "tilmeld_holdforloeb", "rehab_moede=2027-03-01", "--as", "anna"
        )
        seeded("case", "assign", "1", "mentor", "lene", "--as", "lene")
        seeded("case", "show", "2", "--json")  # nobody named: the system (DREJEBOG_WORKER unset)
    rows = [tuple(row) for row in _log(database_url)[before:]]
    assert rows == [
        ("anna", 1, 1, "vis", "cli"),
        ("anna", 1, 1, "ændr", "cli"),
        ("lene", 1, 1, "ændr", "cli"),
        ("system", 2, 2, "vis", "cli"),
    ]
    out = seeded("access-log", "--cpr", CPR, "--as", "lene")
    assert "anna" in out and "ændr" in out and "cli" in out
