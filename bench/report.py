"""The KPI report (`drejebog report`) as the database grows through the product's own path.

Run on demand (never in the tests):
    PYTHONPATH=. .venv/bin/python -m bench.report --minutes 30 --checkpoints 10000,40000 \
        --keep /var/tmp/report-bench
    PYTHONPATH=. .venv/bin/python -m bench.report --time /var/tmp/report-bench/report-*.db

Every case is made by `CaseService` exactly as case workers make them, one transaction per
event: opened with a sagsbehandler (20 of them in 4 teams), `tilmeld_holdforloeb`, then
`rehab_moede_holdt` (4 in 5 recommended a ressourceforløb), `overdragelse_holdt`, and at
random the milestones the targets count (virksomhedspraktik, løntimer, mentorstøtte, first
activity). The simulated clock walks through 2027-2028 as cases are made; each case's rehab
meeting lies 0-200 days before its events, so some reach a target in time and some do not.
With each new case an earlier ressourceforløb case (at random) reports back to its mentor,
and every 500 cases the daemon's own sweep fires what has come due (reminders, escalations,
missing report-backs), so the history holds what the report reads in a working jobcenter.
Nothing is written past the product: no bulk fill, no ANALYZE.

At each checkpoint (and when the time is up) the report is timed: every måltal, deadline
and report-back figure of both shipped drejebøger for all of 2027-2028, ungrouped, by team
and by worker, median of --runs runs, rendered as text; beside it the raw floor of the same
run: plain sqlite3 reading every case and history row once (one GROUP BY over the join of
the two tables the report reads), so the ratio says how many such passes the report costs.
With --keep, a copy of the database is kept at each checkpoint; --time times such copies
later (with the code of that moment) without growing them again.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.cases import POSTGRES_URL, fake_cpr, fresh_database
from drejebog.app.firing import Channels, sweep
from drejebog.app.kpi import ReportRequest
from drejebog.app.kpi_ports import GROUP_TEAM, GROUP_WORKER
from drejebog.app.kpi_render import as_text
from drejebog.app.settings import Settings
from drejebog.bootstrap import App, bootstrap
from drejebog.engine.clock import SimulatedClock
from drejebog.workflows import SHIPPED_DIR

START = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)
SPAN = timedelta(days=540)  # the clock's walk while the cases are made
WORKERS = [(f"sb{i:02d}", f"team{i % 4 + 1}") for i in range(20)]
MILESTONES: list[tuple[str, dict[str, object], float]] = [  # event, data, share
    ("virksomhedspraktik_startet", {}, 0.40),
    ("loentimer_startet", {"loentimer_pr_uge": 5}, 0.15),
    ("mentorstoette_bevilget", {}, 0.35),
    ("foerste_aktivitet_startet", {"aktivitet": "Jobsøgningsforløb"}, 0.30),
]


SCHEMA = "bench_kpi"  # its own, so bench/cases.py (schema "bench") can run beside it


def fresh_url(kind: str, workdir: Path) -> str:
    if kind == "sqlite":
        return fresh_database(kind, workdir)
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    engine.dispose()
    return f"{POSTGRES_URL}?options=-csearch_path%3D{SCHEMA}"


def setup(app: App) -> None:
    app.upgrade_schema()
    admin = app.admin
    admin.load_drejebog_files(sorted(SHIPPED_DIR.glob("*.yaml")))
    admin.add_worker("leder", "Lene Leder", "leder", team="team1")
    for handle, team in WORKERS:
        admin.add_worker(handle, f"Sagsbehandler {handle}", "sagsbehandler", "", team, "leder")


def make_case(
    app: App, clock: SimulatedClock, i: int, total: int, rng: random.Random, running: list[str]
) -> int:
    """One ressourceforløb case through CaseService (its id joins `running` when it reaches
    the ressourceforløb), and a report-back on an earlier running case; returns the events
    applied."""
    clock.advance_to(max(clock.now(), START + SPAN * (i / total)))
    today = clock.now().date()
    cpr = fake_cpr(i)
    app.admin.add_citizen(cpr, f"Borger {i}")
    worker = WORKERS[i % len(WORKERS)][0]
    cases = app.cases
    case_id = cases.open_case(
        cpr, "ressourceforloeb", worker, assignments={"sagsbehandler": worker}
    ).case_id
    meeting = today - timedelta(days=rng.randint(0, 200))
    cases.apply_event(case_id, "tilmeld_holdforloeb", {"rehab_moede": meeting}, worker)
    recommended = "ressourceforloeb" if rng.random() < 0.8 else "fleksjob"
    cases.apply_event(case_id, "rehab_moede_holdt", {"indstilling": recommended}, worker)
    if recommended != "ressourceforloeb":
        return 3
    start_meeting = today + timedelta(days=7)
    cases.apply_event(case_id, "overdragelse_holdt", {"opstartsmoede": start_meeting}, worker)
    events = 4
    for event, data, share in MILESTONES:
        if rng.random() < share:
            cases.apply_event(case_id, event, data, worker)
            events += 1
    if running:  # most citizens report back; the ones who do not are the misses
        earlier = running[rng.randrange(len(running))]
        cases.apply_event(earlier, "tilbagemelding", {}, worker)
        events += 1
    running.append(case_id)
    return events


REQUESTS = {
    "all": ReportRequest(date(2027, 1, 1), date(2028, 12, 31)),
    "team": ReportRequest(date(2027, 1, 1), date(2028, 12, 31), grouping=GROUP_TEAM),
    "worker": ReportRequest(date(2027, 1, 1), date(2028, 12, 31), grouping=GROUP_WORKER),
}


def time_report(app: App, runs: int) -> dict[str, float]:
    """Median seconds of the report (made and rendered as text) per grouping, wall clock;
    and ("cpu") the median CPU seconds of the ungrouped one (SQLite runs in this process, so
    its work is counted; on a loaded machine the wall clock mostly measures the others)."""
    samples: dict[str, list[float]] = {key: [] for key in [*REQUESTS, "cpu"]}
    for _ in range(runs):
        for key, request in REQUESTS.items():
            started, cpu = time.perf_counter(), time.process_time()
            as_text(app.kpi.report(request))
            samples[key].append(time.perf_counter() - started)
            if key == "all":
                samples["cpu"].append(time.process_time() - cpu)
    return {key: statistics.median(values) for key, values in samples.items()}


FLOOR_QUERY = """
SELECT c.drejebog_id, h.kind, count(*), max(h.at), sum(length(h.data))
FROM "case" AS c JOIN case_history AS h ON h.case_id = c.id
GROUP BY c.drejebog_id, h.kind
"""


def raw_floor(path: Path, runs: int) -> tuple[float, float]:
    """Median wall and CPU seconds of plain sqlite3 reading every case and history row once."""
    connection = sqlite3.connect(path)
    try:
        wall, cpu = [], []
        for _ in range(runs):
            started, used = time.perf_counter(), time.process_time()
            connection.execute(FLOOR_QUERY).fetchall()
            wall.append(time.perf_counter() - started)
            cpu.append(time.process_time() - used)
        return statistics.median(wall), statistics.median(cpu)
    finally:
        connection.close()


def counts(path: Path) -> tuple[int, int]:
    connection = sqlite3.connect(path)
    try:
        cases = connection.execute('SELECT count(*) FROM "case"').fetchone()[0]
        history = connection.execute("SELECT count(*) FROM case_history").fetchone()[0]
        return int(cases), int(history)
    finally:
        connection.close()


HEADING = (
    "cases",
    "history",
    "report s",
    "by team s",
    "by worker s",
    "floor s",
    "ratio",
    "report cpu",
    "floor cpu",
    "cpu ratio",
)


def print_timing(app: App, path: Path | None, runs: int) -> None:
    timed = time_report(app, runs)
    nan = float("nan")
    floor, floor_cpu = raw_floor(path, runs) if path is not None else (nan, nan)
    cases, history = counts(path) if path is not None else (0, 0)
    print(
        f"{cases:>11,} {history:>11,} {timed['all']:>11.3f} {timed['team']:>11.3f} "
        f"{timed['worker']:>11.3f} {floor:>11.3f} {timed['all'] / floor:>11.1f} "
        f"{timed['cpu']:>11.3f} {floor_cpu:>11.3f} {timed['cpu'] / floor_cpu:>11.1f}",
        flush=True,
    )


def sqlite_path(url: str) -> Path | None:
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None


def keep_copy(path: Path, into: Path, made: int) -> None:
    """A consistent copy of the grown file (sqlite3's online backup), for --time."""
    into.mkdir(parents=True, exist_ok=True)
    target = into / f"report-{made}.db"
    target.unlink(missing_ok=True)
    source, copy = sqlite3.connect(path), sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()


def time_files(files: list[str], runs: int) -> None:
    print(" ".join(f"{h:>11}" for h in HEADING))
    for name in files:
        path = Path(name)
        app = bootstrap(Settings(f"sqlite:///{path}"), SimulatedClock(START + SPAN))
        try:
            print_timing(app, path, runs)
        finally:
            app.engine.dispose()


def grow(args: argparse.Namespace) -> None:
    url = fresh_url(args.db, Path(args.workdir))
    path = sqlite_path(url)
    clock = SimulatedClock(START)
    app = bootstrap(Settings(url), clock)
    setup(app)
    rng = random.Random(args.seed)
    checkpoints = sorted(int(c) for c in args.checkpoints.split(","))
    print(f"database: {args.db}; machine: {os.cpu_count()} cores; aim: {args.target} cases")
    started = time.perf_counter()
    deadline = started + args.minutes * 60
    events = 0
    made = 0
    running: list[str] = []
    while made < args.target:
        made += 1
        events += make_case(app, clock, made, args.target, rng, running)
        if made % 500 == 0:
            sweep(app.unit_of_work, clock.now(), Channels())
        out_of_time = time.perf_counter() > deadline
        if made in checkpoints or out_of_time or made == args.target:
            grown = time.perf_counter() - started
            print(f"grown to {made:,} cases, {events:,} events in {grown:.0f} s", flush=True)
            if args.keep and path is not None:
                keep_copy(path, Path(args.keep), made)
            if not args.grow_only:
                print(" ".join(f"{h:>11}" for h in HEADING))
                print_timing(app, path, args.runs)
            started += time.perf_counter() - started - grown  # the report's time is not growth
            if out_of_time:
                break
    app.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--minutes", type=float, default=10.0, help="time to grow the database")
    parser.add_argument("--target", type=int, default=1_000_000, help="cases aimed at")
    parser.add_argument("--checkpoints", default="1000,10000,50000,100000,200000,500000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--workdir", default=tempfile.gettempdir())
    parser.add_argument("--keep", help="a folder: keep a copy of the database at each checkpoint")
    parser.add_argument("--grow-only", action="store_true", help="grow (and keep); time nothing")
    parser.add_argument("--time", nargs="+", metavar="FILE", help="time kept copies; grow nothing")
    args = parser.parse_args()
    if args.time:
        time_files(args.time, args.runs)
    else:
        grow(args)


if __name__ == "__main__":
    main()
