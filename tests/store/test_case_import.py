"""`drejebog case import FILE.jsonl` on both databases: checked as if typed, one transaction
per batch, idempotent by event id, a refused line costs only itself, hostile lines refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlalchemy import create_engine, text

from drejebog.app.event_import import (
    MAX_LINE,
    EventImport,
    ImportLineError,
    ImportSummary,
    parse_line,
    read_events,
)
from drejebog.engine.errors import ConcurrencyConflict
from drejebog.workflows import SHIPPED_DIR
from tests.store.conftest import ANNA_CPR, BO_CPR

CPR = "610190-1234"
OTHER_CPR = "620190-1233"


@pytest.fixture
def two_cases(run):
    with freeze_time("2027-01-04 08:00:00"):
        run("db", "upgrade")
        run("load", str(SHIPPED_DIR))
        run("worker", "add", "anna", "--navn", "Anna A", "--rolle", "sagsbehandler")
        run("citizen", "add", CPR, "--navn", "Mette Madsen")
        run("citizen", "add", OTHER_CPR, "--navn", "Ole Olsen")
        for cpr in (CPR, OTHER_CPR):
            run("case", "open", "ressourceforloeb", "--cpr", cpr, "--tildel", "sagsbehandler=anna")
    return run


def _jsonl(path: Path, lines: list[object]) -> Path:
    path.write_text(
        "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n",
        encoding="utf-8",
    )
    return path


def _history(database_url: str) -> list[tuple[int, str | None, str | None, str]]:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT case_id, event, event_id, actor FROM case_history "
                "WHERE kind = 'hændelse' ORDER BY id"
            )
        ).all()
    engine.dispose()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def _states(database_url: str) -> dict[int, str]:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(text('SELECT id, state FROM "case" ORDER BY id')).all()
    engine.dispose()
    return {row[0]: row[1] for row in rows}


GOOD = [
    {
        "id": "fag-1",
        "sag": "1",
        "hændelse": "tilmeld_holdforloeb",
        "data": {"rehab_moede": "2027-03-01"},
    },
    {
        "id": "fag-2",
        "sag": 2,
        "hændelse": "tilmeld_holdforloeb",
        "data": {"rehab_moede": "2027-03-08"},
        "begrundelse": "fra fagsystemet",
    },
    {"id": "fag-3", "sag": "1", "hændelse": "forberedelsesskema_udfyldt"},
]


def test_import_applies_each_event_as_typed_and_twice_changes_nothing(
    two_cases, database_url, tmp_path
):
    path = _jsonl(tmp_path / "h.jsonl", GOOD)
    with freeze_time("2027-01-11 09:00:00"):
        out = two_cases("case", "import", str(path), "--as", "anna", "--portion", "2")
    assert "3 hændelser indlæst, 0 var allerede registreret, 0 afvist" in out
    history = _history(database_url)
    assert [(case, event, event_id) for case, event, event_id, _ in history] == [
        (1, "tilmeld_holdforloeb", "fag-1"),
        (2, "tilmeld_holdforloeb", "fag-2"),
        (1, "forberedelsesskema_udfyldt", "fag-3"),
    ]
    assert {actor for *_, actor in history} == {"anna"}
    assert _states(database_url) == {1: "holdforloeb", 2: "holdforloeb"}
    shown = two_cases("case", "show", "1")
    assert "fag-1" in shown or "tilmeld_holdforloeb" in shown

    with freeze_time("2027-01-12 09:00:00"):
        again = two_cases("case", "import", str(path), "--as", "anna")
    assert "0 hændelser indlæst, 3 var allerede registreret, 0 afvist" in again
    assert len(_history(database_url)) == 3


def test_a_refused_line_costs_only_itself_and_is_named_by_its_number(
    two_cases, database_url, tmp_path
):
    lines: list[object] = [
        GOOD[0],
        {"id": "fag-x", "sag": "2", "hændelse": "ingen_saadan"},  # line 2: unknown event
        "{ikke json",  # line 3
        {
            "id": "fag-y",
            "sag": "2",
            "hændelse": "tilmeld_holdforloeb",
            "data": {"rehab_moede": "2027-02-30"},
        },  # line 4: an impossible date
        {
            "id": "fag-1",
            "sag": "2",
            "hændelse": "tilmeld_holdforloeb",
            "data": {"rehab_moede": "2027-03-08"},
        },  # line 5: the id of line 1, another case
        GOOD[1],
    ]
    path = _jsonl(tmp_path / "h.jsonl", lines)
    with freeze_time("2027-01-11 09:00:00"):
        out = two_cases("case", "import", str(path), "--as", "anna", "--portion", "10", code=1)
    assert "2 hændelser indlæst, 0 var allerede registreret, 4 afvist" in out
    for number, words in [
        (2, "ukendt hændelse 'ingen_saadan'"),
        (3, "ikke gyldig JSON"),
        (4, "rehab_moede"),
        (5, "fag-1"),
    ]:
        assert any(
            line.startswith(f"  afvist: linje {number}: ") and words in line
            for line in out.splitlines()
        ), (number, out)
    assert [event_id for _, _, event_id, _ in _history(database_url)] == ["fag-1", "fag-2"]
    assert "Traceback" not in out


def test_an_unreadable_file_is_a_danish_error(two_cases, tmp_path):
    out = two_cases("case", "import", str(tmp_path / "findes-ikke.jsonl"), code=1)
    assert "fejl: filen" in out and "findes ikke" in out


def test_the_batch_size_is_bounded(two_cases, tmp_path):
    path = _jsonl(tmp_path / "h.jsonl", GOOD)
    out = two_cases("case", "import", str(path), "--portion", "0", code=2)
    assert "--portion" in out


HOSTILE: list[tuple[str, bytes, str]] = [
    ("not-utf8", b'{"id": "a\xff", "sag": "1", "h\xc3\xa6ndelse": "x"}', "ikke UTF-8"),
    ("lone-surrogate", b'{"id": "a\\udcff", "sag": "1", "h\\u00e6ndelse": "x"}', "halv surrogat"),
    ("nul", b'{"id": "a\\u0000", "sag": "1", "h\\u00e6ndelse": "x"}', "NUL"),
    ("deep", b"[" * 100_000 + b"]" * 100_000, "bytes"),
    ("deep-but-short", b"[" * 30_000, "for dybt"),
    ("nan", b'{"id": "a", "sag": "1", "h\\u00e6ndelse": "x", "data": {"n": NaN}}', "JSON"),
    ("list", b"[1, 2]", "JSON-objekt"),
    (
        "nested-data",
        b'{"id": "a", "sag": "1", "h\\u00e6ndelse": "x", "data": {"n": [1]}}',
        "enkelt værdi",
    ),
    (
        "unknown-field",
        b'{"id": "a", "sag": "1", "h\\u00e6ndelse": "x", "hvem": "y"}',
        "ukendte felter hvem",
    ),
    ("no-id", b'{"sag": "1", "h\\u00e6ndelse": "x"}', "'id'"),
    ("empty-id", b'{"id": " ", "sag": "1", "h\\u00e6ndelse": "x"}', "'id'"),
    ("too-long", b'{"id": "' + b"a" * MAX_LINE + b'"}', "højst"),
]


@pytest.mark.parametrize(
    ("raw", "words"),
    [(raw, words) for _, raw, words in HOSTILE],
    ids=[name for name, _, _ in HOSTILE],
)
def test_a_hostile_line_is_refused_in_danish(raw: bytes, words: str) -> None:
    with pytest.raises(ImportLineError) as caught:
        parse_line(7, raw)
    assert str(caught.value).startswith("linje 7: ")
    assert words in str(caught.value)


def test_an_id_too_long_or_like_a_cpr_number_is_refused_in_the_batch(
    two_cases, database_url, tmp_path
):
    lines = [
        {"id": "x" * 101, "sag": "1", "hændelse": "forberedelsesskema_udfyldt"},
        {"id": "0101901234", "sag": "1", "hændelse": "forberedelsesskema_udfyldt"},
        GOOD[0],
    ]
    path = _jsonl(tmp_path / "h.jsonl", lines)
    with freeze_time("2027-01-11 09:00:00"):
        out = two_cases("case", "import", str(path), "--as", "anna", code=1)
    assert "1 hændelse indlæst" in out and "2 afvist" in out
    assert "højst 100" in out and "CPR-nummer" in out
    assert [event_id for _, _, event_id, _ in _history(database_url)] == ["fag-1"]


def _events(lines: list[dict[str, object]], summary: ImportSummary):
    raw = [json.dumps(line).encode() + b"\n" for line in lines]
    return read_events(raw, summary, lambda _: None)


def test_a_lost_race_rolls_the_batch_back_and_runs_it_again(staffed_backend):
    """The daemon (or a case worker) changes a case of the batch first: the whole batch is
    undone and run again; each event lands once, none is lost."""
    cases = staffed_backend.cases
    first = cases.open_case(ANNA_CPR, "mini", "anna_s").case_id
    second = cases.open_case(BO_CPR, "mini", "anna_s").case_id
    commits = {"n": 0}

    def racing_unit_of_work():
        uow = staffed_backend.unit_of_work()
        commit = uow.commit

        def commit_losing_the_first_race() -> None:
            commits["n"] += 1
            if commits["n"] == 1:
                raise ConcurrencyConflict([first])
            commit()

        uow.commit = commit_losing_the_first_race  # type: ignore[method-assign]
        return uow

    lines = [
        {
            "id": "a",
            "sag": first,
            "hændelse": "rehab_holdt",
            "data": {"rehab_moede": "2027-01-11", "indstilling": "ressourceforloeb"},
        },
        {"id": "b", "sag": second, "hændelse": "afslut"},
        {
            "id": "c",
            "sag": first,
            "hændelse": "ny_moededato",
            "data": {"rehab_moede": "2027-01-12"},
        },
    ]
    summary = ImportSummary()
    importer = EventImport(cases, racing_unit_of_work, staffed_backend.clock)
    importer.run(_events(lines, summary), "anna_s", summary, batch_size=10)
    assert (summary.applied, summary.already, summary.refused) == (3, 0, 0)
    assert commits["n"] == 2
    history = staffed_backend.rows("case_history", kind="hændelse")
    assert [row["event_id"] for row in history] == ["a", "b", "c"]
    with staffed_backend.unit_of_work() as uow:
        assert uow.load_case(first).snapshot.state == "rehab"
        assert uow.load_case(second).snapshot.state == "afsluttet"


def test_a_refused_event_inside_a_batch_leaves_no_trace(staffed_backend):
    """The savepoint takes back only the refused event: the case row, history, timers and
    tasks of the events around it stay, nothing of the refused one is written."""
    cases = staffed_backend.cases
    first = cases.open_case(ANNA_CPR, "mini", "anna_s").case_id
    lines = [
        {
            "id": "a",
            "sag": first,
            "hændelse": "rehab_holdt",
            "data": {"rehab_moede": "2027-01-11", "indstilling": "ressourceforloeb"},
        },
        # the guard refuses: jobmaal_afklaret is false
        {"id": "b", "sag": first, "hændelse": "overdrag", "data": {"jobmaal_afklaret": False}},
        {"id": "c", "sag": first, "hændelse": "overdrag", "data": {"jobmaal_afklaret": True}},
    ]
    summary = ImportSummary()
    EventImport(cases, staffed_backend.unit_of_work, staffed_backend.clock).run(
        _events(lines, summary), "anna_s", summary
    )
    assert (summary.applied, summary.refused) == (2, 1)
    assert summary.refusals[0].startswith("linje 2: sag ")
    history = staffed_backend.rows("case_history", kind="hændelse")
    assert [row["event_id"] for row in history] == ["a", "c"]
    with staffed_backend.unit_of_work() as uow:
        snapshot = uow.load_case(first).snapshot
    assert snapshot.state == "forloeb" and snapshot.facts["jobmaal_afklaret"] is True
