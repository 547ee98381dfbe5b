"""Every figure of issue 12 in one run: target, measured, ratio to the raw floor.

    PYTHONPATH=. .venv/bin/python -m bench all --quick     # a few minutes, small databases
    PYTHONPATH=. .venv/bin/python -m bench all             # the issue's sizes (hours)

Each figure comes from the benchmark module that owns it (bench/growth.py, event_import.py,
storage.py, cases.py, daemon.py), run here with the sizes below; a raw-SQLite floor (a row
inserted, then updated, each its own transaction; bench/growth.py) is measured beside each
rate, and the rate is also given as a ratio to it. The daemon's figures run in spawned
processes, so their memory is their own. With --quick the sizes are small, so a figure says
what the code does, not what it does at the issue's size: the table says which size it ran.

The event rates at N cases start from bench/cases.py's bulk fill of N open cases (rows as the
engine writes them) *without* the ANALYZE it ran before: the plans must not need statistics
(issue 12 point 1); the growth and storage figures grow through CaseService itself.
Figures not measured here yet are listed as such, not left out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update
from sqlmodel import SQLModel

from bench import cases as cases_bench
from bench import check_speed, event_import, growth, storage
from bench import daemon as daemon_bench
from drejebog.app.settings import Settings
from drejebog.bootstrap import bootstrap
from drejebog.engine.clock import SimulatedClock
from drejebog.store.tables import TIMER

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Sizes:
    growth_cases: int
    growth_chunk: int
    event_cases: int  # open cases the event rates are measured among
    events: int  # heavy events measured
    import_cases: int
    storage_cases: int
    daemon_cases: int
    catch_up_cases: int


QUICK = Sizes(2_000, 1_000, 10_000, 1_000, 1_000, 500, 20_000, 10_000)
FULL = Sizes(100_000, 10_000, 1_000_000, 2_000, 10_000, 2_000, 100_000, 100_000)


@dataclass(frozen=True)
class Figure:
    name: str
    target: str
    measured: str
    ratio: str = ""  # to the raw floor of the same run, for a rate
    size: str = ""
    met: bool | None = None  # None: not judged (no target or not measured)


def floor(workdir: Path) -> float:
    return growth.raw_floor(workdir / "floor.db")


def rate_figure(
    name: str, target: float, rate: float, workdir: Path, size: str, unit: str = "/s"
) -> Figure:
    raw = floor(workdir)
    return Figure(
        name,
        f"≥ {target:,.0f}{unit}",
        f"{rate:,.0f}{unit}",
        f"{rate / raw:.3f}",
        size,
        rate >= target,
    )


def growth_figure(sizes: Sizes, workdir: Path) -> Figure:
    chunks = growth.grow(workdir, sizes.growth_cases, sizes.growth_chunk, "head")
    first = chunks[0][0] / chunks[0][1]
    last = chunks[-1][0] / chunks[-1][1]
    change = last / first - 1  # ratios to the floor: a busy minute does not count as growth
    return Figure(
        "events, last chunk vs first (growth)",
        "within 20 %",
        f"{change:+.0%}",
        f"{last:.3f} vs {first:.3f}",
        f"{sizes.growth_cases:,} cases, chunks of {sizes.growth_chunk:,}",
        abs(change) <= 0.20 or change > 0,
    )


def event_figures(sizes: Sizes, workdir: Path) -> list[Figure]:
    url = cases_bench.fresh_database("sqlite", workdir)
    app = bootstrap(Settings(url), SimulatedClock(cases_bench.START))
    SQLModel.metadata.create_all(app.engine)
    cases_bench.bulk_fill(app, sizes.event_cases, analyze=False)
    heavy, path = cases_bench.measure_events(app, sizes.event_cases, sizes.events)
    app.close()
    size = f"{sizes.event_cases:,} cases"
    return [
        rate_figure("heaviest event, own transaction", 3_000, heavy, workdir, size),
        rate_figure("path mix, own transaction each", 5_000, path, workdir, size),
    ]


def import_figure(sizes: Sizes, workdir: Path) -> Figure:
    run = event_import.one_run(workdir, sizes.import_cases, 1000)
    return Figure(
        "case import (new events)",
        "≥ 20,000/s",
        f"{run['import']:,.0f}/s",
        f"{run['import'] / run['floor']:.3f}",
        f"{sizes.import_cases:,} cases × 5 events",
        run["import"] >= 20_000,
    )


def storage_figure(sizes: Sizes, workdir: Path) -> Figure:
    path = workdir / "storage.db"
    for leftover in workdir.glob("storage.db*"):
        leftover.unlink()
    storage.grow(path, sizes.storage_cases)
    total, _ = storage.bytes_by_object(path)
    per_case = total / sizes.storage_cases
    return Figure(
        "storage per case midway (SQLite)",
        "≤ 2,048 B",
        f"{per_case:,.0f} B",
        size=f"{sizes.storage_cases:,} cases",
        met=per_case <= 2048,
    )


def daemon_figures(sizes: Sizes, workdir: Path) -> list[Figure]:
    url = cases_bench.fresh_database("sqlite", workdir)
    app = bootstrap(Settings(url), SimulatedClock(cases_bench.START))
    SQLModel.metadata.create_all(app.engine)
    cases_bench.bulk_fill(app, sizes.daemon_cases, analyze=False)
    daemon_bench.staff_all_cases(app, sizes.daemon_cases)
    daemon_bench.make_due(app, daemon_bench.DUE_AT_ONCE)
    app.engine.dispose()
    (fired,) = daemon_bench.in_children(daemon_bench.child_fire, url, 1, True)
    rate = fired["fired"] / (fired["ended"] - fired["began"])
    figures = [
        rate_figure(
            "firing, two messages a timer",
            20_000,
            rate,
            workdir,
            f"{daemon_bench.DUE_AT_ONCE:,} due among {sizes.daemon_cases:,} cases",
        ),
        Figure(
            "daemon peak memory (firing)",
            "< 100 MB",
            f"{fired['rss_mb']:.0f} MB",
            size=f"{daemon_bench.DUE_AT_ONCE:,} timers",
            met=fired["rss_mb"] < 100,
        ),
    ]
    # catch-up: every pending timer of the first `catch_up_cases` cases overdue at once
    url = cases_bench.fresh_database("sqlite", workdir)
    app = bootstrap(Settings(url), SimulatedClock(cases_bench.START))
    SQLModel.metadata.create_all(app.engine)
    cases_bench.bulk_fill(app, sizes.catch_up_cases, analyze=False)
    daemon_bench.staff_all_cases(app, sizes.catch_up_cases)
    with app.engine.begin() as connection:
        overdue = connection.execute(
            update(TIMER)
            .where(TIMER.c.status == "pending")
            .values(due_at=cases_bench.START - timedelta(days=30))
        ).rowcount
    app.engine.dispose()
    (caught,) = daemon_bench.in_children(daemon_bench.child_fire, url, 1, True)
    seconds = caught["ended"] - caught["began"]
    scaled = seconds * 200_000 / max(overdue, 1)
    figures += [
        Figure(
            "catch-up after 30 days down",
            "< 15 s for 200,000 timers",
            f"{seconds:.1f} s for {overdue:,} (≈ {scaled:.0f} s for 200,000)",
            size=f"{sizes.catch_up_cases:,} cases",
            met=scaled < 15,
        ),
        Figure(
            "daemon peak memory (catch-up)",
            "< 100 MB",
            f"{caught['rss_mb']:.0f} MB",
            size=f"{overdue:,} timers",
            met=caught["rss_mb"] < 100,
        ),
    ]
    return figures


def seconds_of(command: list[str], runs: int = 3) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, capture_output=True, check=False)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def start_up_figures() -> list[Figure]:
    program = str(Path(sys.executable).with_name("drejebog"))
    help_s = seconds_of([program, "--help"])
    check_s = seconds_of([program, "check", "workflows/"])
    return [
        Figure("drejebog --help (whole process)", "< 0.3 s", f"{help_s:.2f} s", met=help_s < 0.3),
        Figure(
            "drejebog check workflows/ (whole process)",
            "< 0.6 s",
            f"{check_s:.2f} s",
            met=check_s < 0.6,
        ),
    ]


def check_figure() -> Figure:
    seconds, lines, _ = check_speed.measure(500)
    return Figure(
        "check of a 500-state drejebog (in-process)",
        "< 200 ms",
        f"{seconds * 1000:.0f} ms",
        size=f"{lines:,} lines",
        met=seconds < 0.2,
    )


NOT_YET = [
    Figure("PostgreSQL, 8 clients", "≥ 2,000 ev/s", "ikke målt her endnu"),
    Figure("PostgreSQL daemon firing", "≥ 5,000/s", "ikke målt her endnu"),
]


def table(figures: list[Figure]) -> str:
    header = ("figure", "target", "measured", "ratio to floor", "size", "met")
    rows = [header] + [
        (
            f.name,
            f.target,
            f.measured,
            f.ratio,
            f.size,
            {True: "ja", False: "nej", None: "–"}[f.met],
        )
        for f in figures
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |"
        for row in rows
    ]
    lines.insert(1, "| " + " | ".join("-" * w for w in widths) + " |")
    return "\n".join(lines)


def main(arguments: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench all",
        description=__doc__,
        formatter_class=argparse.RawTextHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="small sizes: a few minutes")
    parser.add_argument("--workdir", default=tempfile.gettempdir())
    parser.add_argument("--json", dest="json_out", default=None, help="also write the figures")
    args = parser.parse_args(arguments)
    sizes = QUICK if args.quick else FULL
    workdir = Path(args.workdir)
    print(
        f"python -m bench all{' --quick' if args.quick else ''}: {time.strftime('%Y-%m-%d')}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}",
        flush=True,
    )
    figures: list[Figure] = []
    steps = [
        ("growth", lambda: [growth_figure(sizes, workdir)]),
        ("events", lambda: event_figures(sizes, workdir)),
        ("import", lambda: [import_figure(sizes, workdir)]),
        ("storage", lambda: [storage_figure(sizes, workdir)]),
        ("daemon", lambda: daemon_figures(sizes, workdir)),
        ("start-up", start_up_figures),
        ("check", lambda: [check_figure()]),
    ]
    for label, step in steps:
        started = time.perf_counter()
        figures += step()
        print(f"  {label}: {time.perf_counter() - started:.0f} s", flush=True)
    figures += NOT_YET
    print(table(figures))
    if args.json_out:
        Path(args.json_out).write_text(
            json.dumps([f.__dict__ for f in figures], ensure_ascii=False, indent=2)
        )
