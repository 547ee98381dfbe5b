"""The KPI report (`drejebog report`) as the database grows through the product's own path.

Run on demand (never in the tests):
    .venv/bin/python -m bench.kpi --db sqlite --minutes 10 --checkpoints 10000,50000,100000
    .venv/bin/python -m bench.kpi --db postgresql --minutes 10

Every case is made by `CaseService` exactly as case workers make them, one transaction per
event: opened with a sagsbehandler (20 of them in 4 teams), `tilmeld_holdforloeb`, then
`rehab_moede_holdt` (4 in 5 recommended a ressourceforløb), `overdragelse_holdt`, and at
random the milestones the targets count (virksomhedspraktik, løntimer, mentorstøtte, first
activity). The simulated clock walks through 2027-2028 as cases are made; each case's
rehab meeting lies 0-200 days before its events, so some reach a target in time and some
do not. At each checkpoint (and when the time is up) the report is timed: every måltal and
the deadline adherence of both shipped drejebøger for all of 2027-2028, ungrouped and by
team, median of --runs runs, rendered as text.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.cases import POSTGRES_URL, fake_cpr, fresh_database
from drejebog.app.kpi import ReportRequest
from drejebog.app.kpi_ports import GROUP_TEAM
from drejebog.app.kpi_render import as_text
from drejebog.app.settings import Settings
from drejebog.bootstrap import App, bootstrap
from drejebog.engine.clock import SimulatedClock
from drejebog.workflows import SHIPPED_DIR

START = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)
SPAN = timedelta(days=540)  # the clock's walk while the cases are made
WORKERS = [(f"sb{i:02d}", f"team{i % 4 + 1}") for i in range(20)]
MILESTONES = [  # event, data, share of ressourceforløb cases
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


def make_case(app: App, clock: SimulatedClock, i: int, total: int, rng: random.Random) -> int:
    """One ressourceforløb case through CaseService; returns the events applied."""
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
    return events


def time_report(app: App, runs: int) -> tuple[float, float, int]:
    """(median seconds ungrouped, median seconds by team, length of the text)."""
    request = ReportRequest(date(2027, 1, 1), date(2028, 12, 31))
    by_team = ReportRequest(date(2027, 1, 1), date(2028, 12, 31), grouping=GROUP_TEAM)
    samples: dict[str, list[float]] = {"all": [], "team": []}
    length = 0
    for _ in range(runs):
        for key, req in (("all", request), ("team", by_team)):
            started = time.perf_counter()
            length = len(as_text(app.kpi.report(req)))
            samples[key].append(time.perf_counter() - started)
    return statistics.median(samples["all"]), statistics.median(samples["team"]), length


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
    args = parser.parse_args()
    url = fresh_url(args.db, Path(args.workdir))
    clock = SimulatedClock(START)
    app = bootstrap(Settings(url), clock)
    setup(app)
    rng = random.Random(args.seed)
    checkpoints = sorted(int(c) for c in args.checkpoints.split(","))
    print(f"database: {args.db}; machine: {os.cpu_count()} cores; aim: {args.target} cases")
    heading = ("cases", "events", "grow s", "cases/s", "report s", "by team s")
    print(" ".join(f"{h:>9}" for h in heading))
    started = time.perf_counter()
    deadline = started + args.minutes * 60
    events = 0
    made = 0
    while made < args.target:
        made += 1
        events += make_case(app, clock, made, args.target, rng)
        out_of_time = time.perf_counter() > deadline
        if made in checkpoints or out_of_time or made == args.target:
            grown = time.perf_counter() - started
            report_all, report_team, _ = time_report(app, args.runs)
            print(
                f"{made:>9} {events:>9} {grown:>8.0f} {made / grown:>8.0f} "
                f"{report_all:>9.3f} {report_team:>9.3f}",
                flush=True,
            )
            started += time.perf_counter() - started - grown  # the report's time is not growth
            if out_of_time:
                break
    app.engine.dispose()


if __name__ == "__main__":
    main()
