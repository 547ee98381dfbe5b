"""The daemon at scale: an idle sweep, 10,000 timers due at once, peak memory, two daemons.

Run on demand (never in the tests):
    .venv/bin/python bench/daemon.py --db sqlite --sizes 100000,1000000
    .venv/bin/python bench/daemon.py --db postgresql --sizes 100000 --daemons 2

For each size N: a fresh database with N open ressourceforløb cases (bench/cases.py's bulk
fill), then, each in a fresh child process so its memory is its own:
  (a) idle sweep: `app.firing.sweep` when nothing is due, median of 50;
  (b) 10,000 timers made due at once, fired by one sweep (or --daemons sweeps in parallel
      processes), their notifications rendered and written: timers per second;
  (c) the child's peak resident memory (VmHWM).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, select, update
from sqlmodel import SQLModel

from bench.cases import START, bulk_fill, fresh_database
from drejebog.app.firing import Channels, sweep
from drejebog.app.settings import Settings
from drejebog.bootstrap import bootstrap
from drejebog.cli.daemon import settle
from drejebog.engine.clock import SimulatedClock
from drejebog.store.tables import ASSIGNMENT, TIMER

DUE_AT_ONCE = 10_000


def peak_rss_mb() -> float:
    """This process's peak resident memory: VmHWM, which starts afresh at exec. (ru_maxrss
    does not: a spawned child reports its parent's peak at the fork, here the bulk fill.)"""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_idle(url: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    app = bootstrap(Settings(url), SimulatedClock(START - timedelta(days=1)))
    settle(app)
    samples = []
    for _ in range(50):
        started = time.perf_counter()
        sweep(app.unit_of_work, app.clock.now(), Channels())
        samples.append(time.perf_counter() - started)
    queue.put(
        {
            "idle_ms": statistics.median(samples) * 1000,
            "rss_mb": peak_rss_mb(),
        }
    )


def child_fire(url: str, queue: multiprocessing.Queue, email: bool) -> None:  # type: ignore[type-arg]
    app = bootstrap(Settings(url), SimulatedClock(START))
    settle(app)  # as `drejebog daemon` does at start-up
    began = time.time()
    report = sweep(
        app.unit_of_work, START, Channels.named("email") if email else Channels(), batch_size=500
    )
    queue.put(
        {
            "fired": report.fired,
            "messages": report.notifications,
            "began": began,
            "ended": time.time(),
            "rss_mb": peak_rss_mb(),
        }
    )


def in_children(target, url: str, count: int, *args) -> list[dict[str, float]]:  # type: ignore[no-untyped-def]
    # spawned, not forked: a child's peak memory must not include the parent's bulk fill
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    children = [context.Process(target=target, args=(url, queue, *args)) for _ in range(count)]
    for child in children:
        child.start()
    results = [queue.get() for _ in children]
    for child in children:
        child.join()
    return results


def staff_all_cases(app, size: int) -> None:  # type: ignore[no-untyped-def]
    """A leder and a sagsbehandler with e-mail on every case, so every timer has recipients
    (inbox and e-mail: two messages rendered and written per recipient)."""
    app.admin.add_worker("lene", "Lene Leder", "leder", "lene@jobcenter.dk")
    worker = app.admin.add_worker(
        "anna", "Anna A", "sagsbehandler", "anna@jobcenter.dk", "", "lene"
    )
    with app.engine.begin() as connection:
        for first in range(1, size + 1, 20_000):
            connection.execute(
                insert(ASSIGNMENT),
                [
                    {"case_id": i, "role": "sagsbehandler", "worker_id": worker}
                    for i in range(first, min(first + 20_000, size + 1))
                ],
            )


def make_due(app, count: int) -> None:  # type: ignore[no-untyped-def]
    with app.engine.begin() as connection:
        ids = (
            connection.execute(
                select(TIMER.c.id)
                .where(TIMER.c.status == "pending")
                .order_by(TIMER.c.id)
                .limit(count)
            )
            .scalars()
            .all()
        )
        connection.execute(
            update(TIMER).where(TIMER.c.id.in_(ids)).values(due_at=START - timedelta(hours=1))
        )


def counts(text: str) -> list[int]:
    """'100000,1000000' as numbers; anything else is a usage error naming the text."""
    try:
        numbers = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"skriv hele tal adskilt af komma, ikke '{text}'"
        ) from None
    if any(number < 1 for number in numbers):
        raise argparse.ArgumentTypeError(f"tallene skal være mindst 1: '{text}'")
    return numbers


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--sizes", type=counts, default="100000", help="e.g. 100000,1000000")
    parser.add_argument(
        "--daemons", type=counts, default="1", help="daemon counts to measure in turn, e.g. 1,2"
    )
    parser.add_argument("--workdir", default=tempfile.gettempdir())
    parser.add_argument(
        "--inbox-only",
        action="store_true",
        help="no SMTP configured: one message per timer (the inbox) instead of two",
    )
    args = parser.parse_args()
    channels = "inbox" if args.inbox_only else "inbox and e-mail"
    print(
        f"database: {args.db}; daemons: {','.join(map(str, args.daemons))}; channels: {channels}; "
        f"machine: {os.cpu_count()} cores"
    )
    for size in args.sizes:
        url = fresh_database(args.db, Path(args.workdir))
        app = bootstrap(Settings(url), SimulatedClock(START))
        SQLModel.metadata.create_all(app.engine)
        bulk_fill(app, size)
        staff_all_cases(app, size)
        (idle,) = in_children(child_idle, url, 1)
        for daemons in args.daemons:
            make_due(app, DUE_AT_ONCE)
            app.engine.dispose()
            fired = in_children(child_fire, url, daemons, not args.inbox_only)
            total = sum(r["fired"] for r in fired)
            # from the first child's start of work to the last one's end: their joint rate
            span = max(r["ended"] for r in fired) - min(r["began"] for r in fired)
            print(
                json.dumps(
                    {
                        "cases": size,
                        "daemons": daemons,
                        "idle_sweep_ms": round(idle["idle_ms"], 3),
                        "idle_rss_mb": round(idle["rss_mb"], 1),
                        "fired": total,
                        "messages": sum(r["messages"] for r in fired),
                        "fired_per_second": round(total / span),
                        "peak_rss_mb": round(max(r["rss_mb"] for r in fired), 1),
                    }
                )
            )
        sys.stdout.flush()


if __name__ == "__main__":
    main()
