"""`drejebog demo`, the README's main job, on a fresh SQLite file (fewer citizens for speed):
the story a leader reads, the files it writes, and the same figures as `drejebog report`."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from drejebog.app.settings import Settings
from drejebog.bootstrap import bootstrap
from drejebog.cli.jobcenter_demo import DEMO_ACCOUNT, DEMO_PASSWORD
from drejebog.cli.main import main
from drejebog.engine.loader import drejebog_files, load_file
from drejebog.workflows import SHIPPED_DIR

SHOWN = re.compile(r"\d+(,\d)? (%|uger)|for få sager|endnu ikke afgjort|ikke nået endnu")
DEADLINE_ROW = re.compile(r"^ +(\d+|–) +(\d+|–) +(\d+|–) +(\d+ %|få)   (\S.*)$", re.M)


def number(value: int) -> str:
    return f"{value:,}".replace(",", ".")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    database = folder / "demo.db"
    result = CliRunner().invoke(main, ["demo", "--database", str(database), "--borgere", "40"])
    assert result.exit_code == 0, result.output
    return folder, database, result


def test_the_story_names_the_jobcenter_and_every_target_of_the_seeds(demo):
    _folder, _database, result = demo
    out = result.stdout
    assert re.search(r"^Jobcenter Hedensted: 40 borgere over 18 måneder", out, re.M)
    assert re.search(r"^  Ressourceforløb med jobperspektiv +40 borgere henvist", out, re.M)
    assert re.search(r"^  Jobrettede samtaler for jobparate ledige +ingen sager$", out, re.M)
    lines = out.splitlines()
    targets = [t for path in drejebog_files([SHIPPED_DIR]) for t in load_file(path).targets]
    assert len(targets) >= 12  # the two seeds' targets
    for target in targets:
        at = next(i for i, line in enumerate(lines) if line.endswith(f"  {target.title}"))
        assert SHOWN.search(lines[at + 1]), (target.title, lines[at + 1])
    # month by month: a row per cohort month with a cell per target of the ressourceforløb
    assert re.search(r"^    måned +A +B +C +D +E +F +G$", out, re.M)
    assert re.search(r"^    (jan|feb|mar|apr|maj|jun)\.? 2027 ", out, re.M)


def test_the_story_shows_the_reports_figures_by_title(demo, monkeypatch):
    _folder, database, result = demo
    out = result.stdout
    command = re.search(r"drejebog report --fra (\S+) --til (\S+) --opgjort (\S+)$", out, re.M)
    assert command
    start, end, as_of = command.groups()
    assert as_of == end  # the figures as they stood on the demo's last day, as the story's
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    args = ["report", "--json", "--fra", start, "--til", end, "--opgjort", as_of]
    report = CliRunner().invoke(main, args)
    assert report.exit_code == 0, report.output
    figures = {d["drejebog"]: d for d in json.loads(report.stdout)["drejebøger"]}
    lines = out.splitlines()
    for drejebog in figures.values():
        for target in drejebog["måltal"]:
            at_title = next(i for i, line in enumerate(lines) if line.endswith(target["titel"]))
            assert f"i alt {target['samlet']['værdi']}" in lines[at_title + 1]
    deadlines = {d["titel"]: d for d in figures["ressourceforloeb"]["frister"]}
    rows = DEADLINE_ROW.findall(out)
    assert len(rows) == len(deadlines)
    for in_time, late, escalated, _share, title in rows:
        found = [d for t, d in deadlines.items() if t.startswith(title)]
        assert len(found) == 1, title
        expected = found[0]
        assert in_time == str(expected["rettidigt"] if expected["rettidigt"] is not None else "–")
        assert late == str(expected["for_sent"] if expected["for_sent"] is not None else "–")
        assert escalated == str(expected["eskaleret"] or "–")
    assert any(late not in ("0", "–") for _, late, _, _, _ in rows)  # the demo has late ones
    # the recurring duties: the report's report-backs, by title, in one line each (unwrapped)
    block = out.split("Tilbagevendende pligter: Ressourceforløb med jobperspektiv\n")[1]
    said = block.split("\n\n")[0].replace("\n    ", " ")
    duties = figures["ressourceforloeb"]["pligter"]
    assert len(duties) == len(said.splitlines()) >= 1
    for duty in duties:
        if not duty["faste_fristdage"]:
            assert f"  {duty['titel']}: {number(duty['mangler'])} mangler (regnet fra" in said
            continue
        expected = (
            f"  {duty['titel']}: {number(duty['rettidigt'])} til tiden, "
            f"{number(duty['for_sent'])} for sent, {number(duty['mangler'])} mangler "
            f"({duty['andel_rettidigt']} til tiden)"
        )
        assert expected in said, (expected, said)
    # titles, never rule ids
    for path in drejebog_files([SHIPPED_DIR]):
        for rule in load_file(path).rules:
            if "_" in rule:
                assert not re.search(rf"\b{rule}\b", out), rule


def test_the_files_beside_the_database(demo):
    folder, database, result = demo
    out = result.stdout
    report, diagrams, simulation = (
        folder / "demo-rapport.html",
        folder / "demo-diagrammer.md",
        folder / "demo-simulering.txt",
    )
    for path in (database, report, diagrams, simulation):
        assert path.exists() and str(path) in out, path
    mermaid = diagrams.read_text(encoding="utf-8")
    assert mermaid.count("```mermaid\n") == mermaid.count("stateDiagram-v2") == 2
    log = simulation.read_text(encoding="utf-8")
    assert "== Simulering: ressourceforloeb_anna.yaml ==" in log
    assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d \+0[12]00  \S+ +påmindelse ", log, re.M)
    assert "stateDiagram-v2" not in out and "påmindelse  " not in out
    html = report.read_text(encoding="utf-8")
    assert "<svg" in html and "30 % i virksomhedspraktik inden 3 måneder" in html
    assert not re.search(r"<script|<link|@import|(src|href)=\"?https?://|url\(", html)
    # the web app: the account the story prints logs in
    handle, _role = DEMO_ACCOUNT
    assert f"log ind som {handle}" in out and DEMO_PASSWORD in out
    app = bootstrap(Settings(f"sqlite:///{database}"))
    try:
        assert app.accounts.authenticate(handle, DEMO_PASSWORD) is not None
    finally:
        app.close()
    assert f"DATABASE_URL=sqlite:///{database} drejebog serve" in out


def test_the_story_fits_on_two_screens_without_cpr_numbers(demo):
    folder, _database, result = demo
    lines = result.stdout.splitlines()
    assert len(lines) <= 100
    for line in lines:
        assert len(line) <= 100 or str(folder) in line, line
    assert not re.search(r"\d{6}-\S{4}", result.output)  # no CPR number, masked or not
    # progress on stderr, one line per phase
    assert "demo: 3/4 kører jobcentret: 40 borgere" in result.stderr
    assert "demo: 4/4" in result.stderr
