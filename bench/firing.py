"""Firing and catch-up on a database grown through the product (issue 12, points 4-6).

Run on demand (never in the tests):
    PYTHONPATH=. .venv/bin/python -m bench.firing --cases 20000 --runs 3
    PYTHONPATH=. .venv/bin/python -m bench.firing --cases 100000 --runs 3
    PYTHONPATH=. .venv/bin/python -m bench.firing --db postgresql --cases 20000 --runs 3

The database is grown through the product's own code path, never a bulk fill: an empty
database made by the migrations, the shipped ressourceforløb loaded, a leder and a
sagsbehandler (both with e-mail) added, then for each case a citizen (AdminService) and
`CaseService.open_case` with the sagsbehandler assigned, each its own transaction. Every
opened case has two pending timers for its first task: a reminder and, five days later, an
escalation. Nothing is edited by hand; time moves instead:

- **firing**: one sweep at the reminders' due instant fires every case's reminder (N timers,
  each rendered once and written twice: inbox and e-mail);
- **catch-up**: one sweep 30 days after the escalations were due, as after a daemon that was
  down for a month: the reminder and the escalation of every case (2N overdue timers, 4N
  messages). Afterwards the run checks that each timer fired exactly once and each wrote its
  two messages once.

Each sweep runs in a freshly spawned process (`drejebog daemon`'s start-up: bootstrap, then
`settle`), on its own copy of the grown database, so its memory (VmHWM) is its own. Beside
each run, on another copy, the raw floor: the driver itself marking the same timers fired
(`UPDATE timer SET status = 'fired' ... WHERE id = ?`, batches of 500, one transaction per
batch), the least any sweep must do; the sweep's rate is also given as a ratio to it.
Figures are medians of the runs.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import sqlite3
import statistics
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

# nothing from bench.daemon or bench.growth: they import SQLModel and Alembic, which the
# daemon itself does not, and the child's peak memory would count them

START = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)
POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1")
PG_GROWN = "i12_firing_grown"  # databases of this benchmark's own, not the shared `test`
PG_RUN = "i12_firing_run"
FLOOR_BATCH = 500


def fake_cpr(i: int) -> str:
    """Erstatningspersonnumre (day + 60), as bench/growth.py makes them."""
    combo, serial = divmod(i, 10_000)
    day, rest = combo % 28 + 61, combo // 28
    month, year = rest % 12 + 1, (rest // 12) % 100
    return f"{day:02d}{month:02d}{year:02d}-{serial:04d}"


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: from its exec, not its parent's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass(frozen=True)
class Grown:
    url: str  # the grown database (SQLite file or PostgreSQL database)
    cases: int
    reminders_due: datetime
    escalations_due: datetime
    seconds: float


def _sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def _admin_url() -> str:
    return f"{POSTGRES}/postgres"


def _recreate_pg(name: str, template: str | None = None) -> str:
    engine = create_engine(_admin_url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        source = f" TEMPLATE {template}" if template else ""
        connection.execute(text(f"CREATE DATABASE {name}{source}"))
    engine.dispose()
    return f"{POSTGRES}/{name}"


def grow(db: str, workdir: Path, cases: int) -> Grown:
    """N open ressourceforløb cases, every row written by the product. A SQLite file grown
    before to the same size (`firing-grown-N.db`, kept with --keep) is used again."""
    from drejebog.app.settings import Settings
    from drejebog.bootstrap import bootstrap
    from drejebog.engine.clock import SimulatedClock
    from drejebog.workflows import SHIPPED_DIR

    if db == "sqlite":
        path = workdir / f"firing-grown-{cases}.db"
        url = f"sqlite:///{path}"
        if path.exists():
            return _grown_before(url, cases)
        for leftover in workdir.glob(f"{path.name}*"):
            leftover.unlink()
    else:
        url = _recreate_pg(PG_GROWN)
    clock = SimulatedClock(START)
    app = bootstrap(Settings(url), clock)
    app.upgrade_schema()
    app.admin.load_drejebog_files([SHIPPED_DIR / "ressourceforloeb.yaml"])
    app.admin.add_worker("lene", "Lene Leder", "leder", "lene@jobcenter.dk")
    app.admin.add_worker("anna", "Anna A", "sagsbehandler", "anna@jobcenter.dk", "", "lene")
    started = time.perf_counter()
    for i in range(1, cases + 1):
        app.admin.add_citizen(fake_cpr(i), f"Borger {i}")
        clock.advance(timedelta(seconds=1))
        app.cases.open_case(
            fake_cpr(i), "ressourceforloeb", "anna", assignments={"sagsbehandler": "anna"}
        )
        if i % 10_000 == 0:
            print(f"  grown {i:,} cases in {time.perf_counter() - started:.0f} s", flush=True)
    seconds = time.perf_counter() - started
    app.close()
    if db == "sqlite":
        with sqlite3.connect(path) as connection:  # one file to copy
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return replace(_grown_before(url, cases), seconds=seconds)


def _grown_before(url: str, cases: int) -> Grown:
    engine = create_engine(url)
    with engine.connect() as connection:
        due = {
            kind: connection.execute(
                text("SELECT MAX(due_at) FROM timer WHERE status = 'pending' AND kind = :k"),
                {"k": kind},
            ).scalar()
            for kind in ("reminder", "escalation")
        }
    engine.dispose()
    return Grown(url, cases, _utc(due["reminder"]), _utc(due["escalation"]), 0.0)


def _utc(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def copy_of(grown: Grown, workdir: Path, name: str) -> str:
    if grown.url.startswith("sqlite"):
        target = workdir / f"firing-{name}.db"
        for leftover in workdir.glob(f"firing-{name}.db*"):
            leftover.unlink()
        shutil.copy(_sqlite_path(grown.url), target)
        return f"sqlite:///{target}"
    return _recreate_pg(f"{PG_RUN}_{name}", PG_GROWN)


def drop_copy(url: str) -> None:
    if url.startswith("sqlite"):
        path = _sqlite_path(url)
        for leftover in path.parent.glob(path.name + "*"):
            leftover.unlink()
        return
    engine = create_engine(_admin_url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)"))
    engine.dispose()


def raw_floor(url: str, now: datetime) -> float:
    """Timers/s of the driver marking the timers due at `now` fired, 500 a transaction."""
    if url.startswith("sqlite"):
        connection: Any = sqlite3.connect(_sqlite_path(url), isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        stamp: Any = now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")  # as stored
        mark = "UPDATE timer SET status = 'fired', fired_at = ? WHERE id = ? AND status = 'pending'"
        ids = [
            row[0]
            for row in connection.execute(
                "SELECT id FROM timer WHERE status = 'pending' AND due_at <= ? ORDER BY id",
                (stamp,),
            )
        ]
    else:
        import psycopg

        connection = psycopg.connect(url.replace("postgresql+psycopg", "postgresql"))
        connection.autocommit = True
        stamp = now
        mark = (
            "UPDATE timer SET status = 'fired', fired_at = %s WHERE id = %s AND status = 'pending'"
        )
        ids = [
            row[0]
            for row in connection.execute(
                "SELECT id FROM timer WHERE status = 'pending' AND due_at <= %s ORDER BY id",
                (stamp,),
            )
        ]
    started = time.perf_counter()
    for first in range(0, len(ids), FLOOR_BATCH):
        batch = ids[first : first + FLOOR_BATCH]
        connection.execute("BEGIN")
        connection.cursor().executemany(mark, [(stamp, timer_id) for timer_id in batch])
        connection.execute("COMMIT")
    if not ids:
        raise SystemExit(f"ingen tidspunkter forfaldne {now}: intet at måle")
    rate = len(ids) / (time.perf_counter() - started)
    connection.close()
    return rate


def child_sweep(url: str, now: datetime, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from drejebog.app.firing import Channels, sweep
    from drejebog.app.settings import Settings
    from drejebog.bootstrap import bootstrap
    from drejebog.cli.daemon import settle
    from drejebog.engine.clock import SimulatedClock

    app = bootstrap(Settings(url), SimulatedClock(now))
    settle(app)  # as `drejebog daemon` does at start-up
    began = time.perf_counter()
    cpu = time.process_time()
    report = sweep(app.unit_of_work, now, Channels.named("email"), batch_size=500)
    queue.put(
        {
            "fired": report.fired,
            "messages": report.notifications,
            "seconds": time.perf_counter() - began,
            "cpu_seconds": time.process_time() - cpu,
            "rss_mb": peak_rss_mb(),
        }
    )
    app.close()


def in_child(url: str, now: datetime) -> dict[str, float]:
    # spawned, not forked: the child's peak memory must not include this process's
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=child_sweep, args=(url, now, queue))
    child.start()
    result: dict[str, float] = queue.get()
    child.join()
    return result


def fired_once(url: str, timers: int) -> bool:
    """Each due timer fired once, each wrote its two messages (inbox, e-mail) once."""
    engine = create_engine(url)
    with engine.connect() as connection:
        fired = connection.execute(text("SELECT COUNT(*) FROM timer WHERE status = 'fired'"))
        rows = connection.execute(
            text("SELECT COUNT(*), COUNT(DISTINCT timer_id) FROM outbox WHERE timer_id IS NOT NULL")
        ).one()
        fired_count = fired.scalar()
    engine.dispose()
    return fired_count == timers and rows[0] == 2 * timers and rows[1] == timers


def measure(grown: Grown, workdir: Path, now: datetime, timers: int) -> dict[str, Any]:
    floor_url = copy_of(grown, workdir, "floor")
    floor = raw_floor(floor_url, now)
    drop_copy(floor_url)
    url = copy_of(grown, workdir, "sweep")
    result = in_child(url, now)
    once = fired_once(url, timers)
    drop_copy(url)
    rate = result["fired"] / result["seconds"]
    return {
        **result,
        "rate": rate,
        "cpu_us_per_timer": result["cpu_seconds"] / max(result["fired"], 1) * 1e6,
        "floor": floor,
        "ratio": rate / floor,
        "exactly_once": once,
    }


def run(db: str, workdir: Path, cases: int, runs: int, keep: bool = False) -> dict[str, Any]:
    print(f"{cases:,} cases grown through CaseService ({db})", flush=True)
    grown = grow(db, workdir, cases)
    print(f"  {cases:,} cases in {grown.seconds:.0f} s", flush=True)
    figures: dict[str, Any] = {"db": db, "cases": cases, "grow_seconds": grown.seconds}
    plans = {
        "firing": (grown.reminders_due, cases),
        "catch_up": (grown.escalations_due + timedelta(days=30), 2 * cases),
    }
    for name, (now, timers) in plans.items():
        samples = [measure(grown, workdir, now, timers) for _ in range(runs)]
        for sample in samples:
            print(f"  {name}: {json.dumps({k: _round(v) for k, v in sample.items()})}", flush=True)
        figures[name] = {
            key: statistics.median(s[key] for s in samples)
            for key in ("rate", "seconds", "floor", "ratio", "rss_mb", "cpu_us_per_timer")
        }
        figures[name]["runs"] = [_round(s["rate"]) for s in samples]
        figures[name]["exactly_once"] = all(s["exactly_once"] for s in samples)
        figures[name]["timers"] = timers
    if not keep:
        drop_copy(grown.url)
    return figures


def _round(value: Any) -> Any:
    return round(value, 3) if isinstance(value, float) else value


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", default=tempfile.gettempdir())
    parser.add_argument(
        "--keep", action="store_true", help="keep the grown SQLite file for the next run"
    )
    args = parser.parse_args()
    figures = run(args.db, Path(args.workdir), args.cases, args.runs, args.keep)
    print(json.dumps(figures, default=_round, indent=1))


if __name__ == "__main__":
    main()
