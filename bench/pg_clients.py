"""PostgreSQL with several clients on one database (issue 12, point 4).

Run on demand (never in the tests):
    PYTHONPATH=. .venv/bin/python -m bench.pg_clients --clients 8 --cases 250 --runs 3

A database of this benchmark's own (`i12_clients`, made by the migrations, the shipped
ressourceforløb loaded, the citizens added beforehand, untimed). Then `--clients` spawned
processes, each as one web worker would be: its own App and connection pool, opening its
share of the cases through `CaseService.open_case` and taking each through the holdforløb path
(bench/growth.py's five events), every event its own transaction, committed with the server's
settings (printed: `synchronous_commit`, `fsync`, ...). The rate is all clients' events from
the first client's start to the last one's end.

The floor, in the same run, on the same server: as many raw psycopg clients, each inserting a
row and then updating it, each its own committed transaction; the event rate is also given as
a ratio to it. Figures are medians of the runs.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import create_engine, text

from bench.firing import _recreate_pg
from bench.growth import EVENTS_PER_CASE, PATH, START, fake_cpr

DATABASE = "i12_clients"
FLOOR_ROWS = 500
SETTINGS = ("synchronous_commit", "fsync", "wal_sync_method", "commit_delay", "shared_buffers")


def prepare(cases: int) -> str:
    from drejebog.app.settings import Settings
    from drejebog.bootstrap import bootstrap
    from drejebog.engine.clock import SimulatedClock
    from drejebog.workflows import SHIPPED_DIR

    url = _recreate_pg(DATABASE)
    app = bootstrap(Settings(url), SimulatedClock(START))
    app.upgrade_schema()
    app.admin.load_drejebog_files([SHIPPED_DIR / "ressourceforloeb.yaml"])
    for i in range(1, cases + 1):
        app.admin.add_citizen(fake_cpr(i), f"Borger {i}")
    app.close()
    return url


def client(url: str, numbers: list[int], start: Any, queue: Any) -> None:
    from drejebog.app.settings import Settings
    from drejebog.bootstrap import bootstrap
    from drejebog.engine.clock import SimulatedClock

    clock = SimulatedClock(START)
    app = bootstrap(Settings(url), clock)
    cases = app.cases
    start.wait()
    began = time.time()
    for i in numbers:
        clock.advance(timedelta(minutes=1))
        case_id = cases.open_case(fake_cpr(i), "ressourceforloeb", "bench").case_id
        for event, data in PATH:
            cases.apply_event(case_id, event, data, "bench")
    queue.put((began, time.time(), len(numbers) * EVENTS_PER_CASE))
    app.close()


def floor_client(dsn: str, offset: int, start: Any, queue: Any) -> None:
    import psycopg

    connection = psycopg.connect(dsn, autocommit=True)
    start.wait()
    began = time.time()
    for i in range(offset, offset + FLOOR_ROWS):
        with connection.transaction():
            connection.execute("INSERT INTO floor_t (id, state, n) VALUES (%s, 'a', 0)", (i,))
        with connection.transaction():
            connection.execute("UPDATE floor_t SET state = 'b', n = n + 1 WHERE id = %s", (i,))
    queue.put((began, time.time(), 2 * FLOOR_ROWS))
    connection.close()


def together(target: Any, argument_lists: list[tuple[Any, ...]]) -> float:
    """Spawned processes started at once; their joint rate from first start to last end."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    start = context.Event()
    children = [context.Process(target=target, args=(*a, start, queue)) for a in argument_lists]
    for child in children:
        child.start()
    time.sleep(3)  # every child imported and connected before the start
    start.set()
    results = [queue.get() for _ in children]
    for child in children:
        child.join()
    span = max(r[1] for r in results) - min(r[0] for r in results)
    return sum(r[2] for r in results) / span


def floor(url: str, clients: int) -> float:
    dsn = url.replace("postgresql+psycopg", "postgresql")
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP TABLE IF EXISTS floor_t"))
        connection.execute(text("CREATE TABLE floor_t (id INTEGER PRIMARY KEY, state TEXT, n INT)"))
    rate = together(floor_client, [(dsn, c * FLOOR_ROWS) for c in range(clients)])
    with engine.connect() as connection:
        connection.execute(text("DROP TABLE floor_t"))
    engine.dispose()
    return rate


def server_settings(url: str) -> dict[str, str]:
    engine = create_engine(url)
    with engine.connect() as connection:
        found = {name: str(connection.execute(text(f"SHOW {name}")).scalar()) for name in SETTINGS}
    engine.dispose()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--cases", type=int, default=250, help="cases per client")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--async-commit",
        action="store_true",
        help="the clients' sessions commit with synchronous_commit=off (the server's default "
        "is untouched): a crash may lose the last moments of commits, never half of one",
    )
    args = parser.parse_args()
    samples = []
    for run in range(args.runs):
        url = prepare(args.clients * args.cases)
        client_url = f"{url}?options=-csynchronous_commit%3Doff" if args.async_commit else url
        shares = [
            (client_url, list(range(1 + c * args.cases, 1 + (c + 1) * args.cases)))
            for c in range(args.clients)
        ]
        rate = together(client, shares)
        raw = floor(client_url, args.clients)
        samples.append({"events_per_s": rate, "floor_tx_per_s": raw, "ratio": rate / raw})
        print(f"  run {run + 1}: {json.dumps({k: round(v, 3) for k, v in samples[-1].items()})}")
    print(
        json.dumps(
            {
                "clients": args.clients,
                "client_synchronous_commit": "off" if args.async_commit else "server's",
                "events": args.clients * args.cases * EVENTS_PER_CASE,
                "server": server_settings(url),
                "machine_cores": os.cpu_count(),
                **{key: round(statistics.median(s[key] for s in samples), 3) for key in samples[0]},
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
