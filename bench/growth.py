"""Growth: the event rate as a database grows through the product's own code path.

Run on demand (never in the tests):
    .venv/bin/python bench/growth.py                       # 10,000 cases, chunks of 2,000, 3 runs
    .venv/bin/python bench/growth.py --size 100000 --chunk 10000 --runs 1   # issue 12's figure
    .venv/bin/python bench/growth.py --revision 0006       # the schema before migration 0007

Each run starts from an empty SQLite file made by the migrations (`db upgrade`), loads the
shipped ressourceforløb, then grows the database chunk by chunk, every write through the
product: a citizen added (AdminService, not timed), then `CaseService.open_case` and the
holdforløb path (`tilmeld_holdforloeb` and four more events), each its own transaction. No
ANALYZE is ever run by the benchmark: whatever statistics there are, the product wrote.
Cases stay open with their tasks and timers, so the open tasks and pending timers grow with
the database.

After each chunk a raw-SQLite floor is measured in the same run: a row inserted and then
updated, each its own transaction, with the product's pragmas (WAL, synchronous=NORMAL), in a
file of its own. The event rate is also printed as a ratio to that floor, so a chunk slowed
by a busy machine still compares with the others. With several runs, each figure is the
median of the runs' figures for that chunk.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic import command

from drejebog.app.settings import Settings
from drejebog.bootstrap import bootstrap
from drejebog.engine.clock import SimulatedClock
from drejebog.store.migrate_schema import alembic_config
from drejebog.workflows import SHIPPED_DIR

START = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)
PATH = [
    ("tilmeld_holdforloeb", {"rehab_moede": "2027-06-01"}),
    ("forberedelsesskema_udfyldt", {}),
    ("paaroerende_inviteret", {}),
    ("hjemmemoede_holdt", {}),
    ("rehab_moede_holdt", {"indstilling": "ressourceforloeb"}),
]
EVENTS_PER_CASE = 1 + len(PATH)  # the opening counts: it is a transaction like the others
FLOOR_ROWS = 2000


def fake_cpr(i: int) -> str:
    """Erstatningspersonnumre (day + 60): never a real person's number."""
    combo, serial = divmod(i, 10_000)
    day, rest = combo % 28 + 61, combo // 28
    month, year = rest % 12 + 1, (rest // 12) % 100
    return f"{day:02d}{month:02d}{year:02d}-{serial:04d}"


def raw_floor(path: Path) -> float:
    """Transactions/s of raw sqlite3: insert a row, then update it, each committed alone."""
    path.unlink(missing_ok=True)
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, state TEXT, n INTEGER)")
    started = time.perf_counter()
    for i in range(FLOOR_ROWS):
        connection.execute("BEGIN")
        connection.execute("INSERT INTO t (id, state, n) VALUES (?, 'a', 0)", (i,))
        connection.execute("COMMIT")
        connection.execute("BEGIN")
        connection.execute("UPDATE t SET state = 'b', n = n + 1 WHERE id = ?", (i,))
        connection.execute("COMMIT")
    rate = 2 * FLOOR_ROWS / (time.perf_counter() - started)
    connection.close()
    path.unlink(missing_ok=True)
    return rate


def grow(workdir: Path, size: int, chunk: int, revision: str) -> list[tuple[float, float]]:
    """One run: [(events/s, floor transactions/s)] per chunk."""
    path = workdir / "growth.db"
    for leftover in workdir.glob("growth.db*"):
        leftover.unlink()
    clock = SimulatedClock(START)
    app = bootstrap(Settings(f"sqlite:///{path}"), clock)
    if revision == "head":
        app.upgrade_schema()
    else:  # an older schema, to measure what a change to it did
        config = alembic_config(app.engine)
        with app.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    app.admin.load_drejebog_files([SHIPPED_DIR / "ressourceforloeb.yaml"])
    cases = app.cases
    results = []
    for first in range(1, size + 1, chunk):
        numbers = range(first, min(first + chunk, size + 1))
        for i in numbers:
            app.admin.add_citizen(fake_cpr(i), f"Borger {i}")
        started = time.perf_counter()
        for i in numbers:
            clock.advance(timedelta(minutes=1))
            case_id = cases.open_case(fake_cpr(i), "ressourceforloeb", "bench").case_id
            for event, data in PATH:
                cases.apply_event(case_id, event, data, "bench")
        rate = len(numbers) * EVENTS_PER_CASE / (time.perf_counter() - started)
        results.append((rate, raw_floor(workdir / "floor.db")))
        print(
            f"  cases {first:>7}-{numbers[-1]:<7} {rate:>8.0f} events/s "
            f"floor {results[-1][1]:>7.0f} tx/s  ratio {rate / results[-1][1]:.3f}",
            flush=True,
        )
    app.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--size", type=int, default=10_000, help="cases at the end")
    parser.add_argument("--chunk", type=int, default=2_000, help="cases per measured chunk")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--revision", default="head", help="schema revision (default: newest)")
    parser.add_argument("--workdir", default=tempfile.gettempdir())
    args = parser.parse_args()
    print(
        f"growth through CaseService: {args.size} cases, chunks of {args.chunk}, "
        f"{args.runs} run(s), schema {args.revision}; machine: {os.cpu_count()} cores"
    )
    runs = []
    for run in range(args.runs):
        print(f"run {run + 1}:", flush=True)
        runs.append(grow(Path(args.workdir), args.size, args.chunk, args.revision))
    print(f"{'cases':>15} {'events/s':>9} {'floor tx/s':>10} {'ratio':>7} {'vs first':>8}")
    first_rate = statistics.median(run[0][0] for run in runs)
    for index in range(len(runs[0])):
        rate = statistics.median(run[index][0] for run in runs)
        floor = statistics.median(run[index][1] for run in runs)
        ratio = statistics.median(run[index][0] / run[index][1] for run in runs)
        low = index * args.chunk + 1
        high = min(low + args.chunk - 1, args.size)
        print(
            f"{low:>7}-{high:<7} {rate:>9.0f} {floor:>10.0f} {ratio:>7.3f} "
            f"{rate / first_rate:>8.2f}"
        )


if __name__ == "__main__":
    main()
