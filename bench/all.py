"""Every figure of issue 12 in one run: target, measured, ratio to the raw floor.

    PYTHONPATH=. .venv/bin/python -m bench all --quick     # a few minutes, small databases
    PYTHONPATH=. .venv/bin/python -m bench all             # the issue's sizes (hours)

Each figure comes from the benchmark module that owns it (bench/growth.py, event_import.py,
storage.py, cases.py, firing.py, pg_clients.py), run here with the sizes below; a raw floor
(a row inserted, then updated, each its own transaction; for firing, the driver marking the
same timers fired) is measured beside each rate, and the rate is also given as a ratio to
it. The daemon's figures run in spawned processes, so their memory is their own. With
--quick the sizes are small, so a figure says what the code does, not what it does at the
issue's size: the table says which size it ran.

The event rates at N cases start from bench/cases.py's bulk fill of N open cases (rows as the
engine writes them) *without* the ANALYZE it ran before: the plans must not need statistics
(issue 12 point 1); the growth, storage, firing and catch-up figures grow through
CaseService itself.
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
from pathlib import Path

from sqlmodel import SQLModel

from bench import cases as cases_bench
from bench import check_speed, event_import, growth, storage
from bench import firing as firing_bench
from drejebog.app.settings import Settings
from drejebog.bootstrap import bootstrap
from drejebog.engine.clock import SimulatedClock

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Sizes:
    growth_cases: int
    growth_chunk: int
    event_cases: int  # open cases the event rates are measured among
    events: int  # heavy events measured
    import_cases: int
    storage_cases: int
    daemon_cases: int  # no longer used: firing and catch-up share catch_up_cases
    catch_up_cases: int
    pg_cases_per_client: int = 40
    pg_firing_cases: int = 2_000


QUICK = Sizes(2_000, 1_000, 10_000, 1_000, 1_000, 500, 5_000, 5_000, 40, 2_000)
FULL = Sizes(100_000, 10_000, 1_000_000, 2_000, 10_000, 2_000, 100_000, 100_000, 250, 20_000)


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
    """bench/firing.py on SQLite: `catch_up_cases` cases grown through CaseService; every
    reminder fired at once (one a case), then a catch-up 30 days after the escalations were
    due (two a case); medians of 3, each sweep in a spawned daemon process."""
    figures = firing_bench.run("sqlite", workdir, sizes.catch_up_cases, 3)
    return [
        *_firing_figures(figures, "", 20_000, sizes.catch_up_cases),
        Figure(
            "daemon peak memory (catch-up)",
            "< 100 MB",
            f"{figures['catch_up']['rss_mb']:.0f} MB",
            size=f"{figures['catch_up']['timers']:,} timers",
            met=figures["catch_up"]["rss_mb"] < 100,
        ),
    ]


def _firing_figures(figures: dict, label: str, target: int, cases: int) -> list[Figure]:  # type: ignore[type-arg]
    fire, catch = figures["firing"], figures["catch_up"]
    scaled = catch["seconds"] * 200_000 / catch["timers"]
    once = "" if fire["exactly_once"] and catch["exactly_once"] else " (NOT exactly once!)"
    result = [
        Figure(
            f"{label}firing, two messages a timer",
            f"≥ {target:,}/s",
            f"{fire['rate']:,.0f}/s{once}",
            f"{fire['ratio']:.3f} of marking them fired",
            f"{fire['timers']:,} due among {cases:,} cases",
            fire["rate"] >= target,
        ),
        Figure(
            f"{label}daemon peak memory (firing)",
            "< 100 MB",
            f"{fire['rss_mb']:.0f} MB",
            size=f"{fire['timers']:,} timers",
            met=fire["rss_mb"] < 100,
        ),
    ]
    if not label:
        result.append(
            Figure(
                "catch-up after 30 days down",
                "< 15 s for 200,000 timers",
                f"{catch['seconds']:.1f} s for {catch['timers']:,} (≈ {scaled:.0f} s for 200,000)",
                f"{catch['ratio']:.3f} of marking them fired",
                f"{cases:,} cases",
                scaled < 15,
            )
        )
    return result


def postgres_figures(sizes: Sizes, workdir: Path) -> list[Figure]:
    """bench/pg_clients.py (8 clients) and bench/firing.py on PostgreSQL, one run each."""
    clients = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.pg_clients",
            "--clients",
            "8",
            "--cases",
            str(sizes.pg_cases_per_client),
            "--runs",
            "1",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    measured = json.loads(clients.stdout[clients.stdout.index("{\n") :])
    figures = [
        Figure(
            "PostgreSQL, 8 clients",
            "≥ 2,000 ev/s",
            f"{measured['events_per_s']:,.0f} ev/s",
            f"{measured['ratio']:.3f}",
            f"8 × {sizes.pg_cases_per_client} cases × 6 events, "
            f"synchronous_commit={measured['server']['synchronous_commit']}",
            measured["events_per_s"] >= 2_000,
        )
    ]
    fired = firing_bench.run("postgresql", workdir, sizes.pg_firing_cases, 1)
    return [*figures, *_firing_figures(fired, "PostgreSQL ", 5_000, sizes.pg_firing_cases)[:1]]


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


NOT_YET: list[Figure] = []


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
        ("postgresql", lambda: postgres_figures(sizes, workdir)),
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
