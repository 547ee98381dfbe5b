"""Cases at scale: events per second and the "what is due now" query as open cases grow.

Run on demand (never in the tests):
    .venv/bin/python bench/cases.py --db sqlite --sizes 10000,100000,1000000
    .venv/bin/python bench/cases.py --db postgresql --sizes 10000,100000

For each size N it fills a fresh database with N open ressourceforløb cases (bulk inserted,
spread over a year, each with the rows the real engine writes: case, history, tasks, timers),
then measures
  - events/s: `tilmeld_holdforloeb` applied through CaseService to --events cases, each event
    its own transaction (case update, history row, tasks and timers written, old ones cancelled);
  - the daemon's claim of due timers (`claim_due` of the unit of work the sweep uses, a batch
    of 500: the query, FOR UPDATE SKIP LOCKED on PostgreSQL, and the timers built from the
    rows): median of 200 runs, with nothing due and with timers due.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, insert, select, text
from sqlmodel import SQLModel

from drejebog.app.admin import load_drejebog_files
from drejebog.app.cases import runtime_for
from drejebog.app.settings import Settings
from drejebog.bootstrap import bootstrap
from drejebog.engine.clock import SimulatedClock
from drejebog.engine.codec import facts_to_json, runtime_to_json
from drejebog.store.tables import CASE, CITIZEN, HISTORY, TASK, TIMER
from drejebog.store.timer_rows import timer_row
from drejebog.workflows import SHIPPED_DIR

START = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1/test")
BATCH = 20_000


def fake_cpr(i: int) -> str:
    """Erstatningspersonnumre (day + 60): never a real person's number."""
    combo, serial = divmod(i, 10_000)
    day, rest = combo % 28 + 61, combo // 28
    month, year = rest % 12 + 1, (rest // 12) % 100
    return f"{day:02d}{month:02d}{year:02d}-{serial:04d}"


def fresh_database(kind: str, workdir: Path) -> str:
    if kind == "sqlite":
        path = workdir / "bench.db"
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS bench CASCADE"))
        connection.execute(text("CREATE SCHEMA bench"))
    engine.dispose()
    return f"{POSTGRES_URL}?options=-csearch_path%3Dbench"


def bulk_fill(app, size: int, analyze: bool = True) -> float:  # type: ignore[no-untyped-def]
    """N open cases, opened one per ~minute over a year, as the engine would have written them.
    `analyze=False` leaves the statistics as the product left them (bench/all.py)."""
    # as of START, not the App's clock: the use case itself, on the App's store
    load_drejebog_files(app.admin.store, [SHIPPED_DIR / "ressourceforloeb.yaml"], START)
    with app.unit_of_work() as uow:
        version_key, drejebog = uow.latest_drejebog("ressourceforloeb")
    runtime = runtime_for(drejebog)
    started = time.perf_counter()
    templates: dict[int, object] = {}
    with app.engine.begin() as connection:
        for first in range(0, size, BATCH):
            ids = range(first + 1, min(first + BATCH, size) + 1)
            connection.execute(
                insert(CITIZEN),
                [
                    {"id": i, "cpr": fake_cpr(i), "name": f"Borger {i}", "email": "", "phone": ""}
                    for i in ids
                ],
            )
            cases, history, tasks, timers = [], [], [], []
            for i in ids:
                day = i % 365
                step = templates.get(day)
                if step is None:
                    step = runtime.open_case("0", START + timedelta(days=day), {})
                    templates[day] = step
                case = step.case
                cases.append(
                    {
                        "id": i,
                        "citizen_id": i,
                        "drejebog_id": drejebog.id,
                        "drejebog_version_id": version_key,
                        "state": case.state,
                        "facts": facts_to_json(dict(case.facts)),
                        "runtime": runtime_to_json(case),
                        "opened_at": case.entered_at,
                        "entered_at": case.entered_at,
                        "lock_version": 1,
                    }
                )
                history.append(
                    {
                        "case_id": i,
                        "seq": 1,
                        "at": case.entered_at,
                        "actor": "bench",
                        "kind": "åbnet",
                        "to_state": case.state,
                        "data": {},
                    }
                )
                for record in step.records:
                    if record.kind == "task":
                        tasks.append(
                            {
                                "case_id": i,
                                "rule": record.name,
                                "occurrence": case.open_tasks[record.name].occurrence,
                                "role": record.role,
                                "title": record.title,
                                "state": record.state,
                                "optional": False,
                                "due_date": record.due_date,
                                "status": "open",
                                "created_at": case.entered_at,
                            }
                        )
                for timer in step.schedule:
                    timers.append(timer_row(i, version_key, timer))
            connection.execute(insert(CASE), cases)
            connection.execute(insert(HISTORY), history)
            if tasks:
                connection.execute(insert(TASK), tasks)
            if timers:
                connection.execute(insert(TIMER), timers)
    if app.engine.dialect.name == "postgresql":
        with app.engine.connect() as connection:
            connection.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('\"case\"', 'id'), "
                    '(SELECT max(id) FROM "case"))'
                )
            )
            connection.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('citizen', 'id'), "
                    "(SELECT max(id) FROM citizen))"
                )
            )
            if analyze:
                connection.execute(text("ANALYZE"))
            connection.commit()
    elif analyze:
        with app.engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()
    return time.perf_counter() - started


def measure_events(app, size: int, count: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(heavy events/s, path events/s): `tilmeld_holdforloeb` (5 tasks, 2 deadlines) on
    `count` cases, then the rest of the holdforløb path on a quarter of them."""
    service = app.cases
    case_ids = [str(i) for i in range(1, size + 1, max(size // count, 1))][:count]
    started = time.perf_counter()
    for case_id in case_ids:
        service.apply_event(case_id, "tilmeld_holdforloeb", {"rehab_moede": "2027-06-01"}, "bench")
    heavy = len(case_ids) / (time.perf_counter() - started)
    return heavy, measure_path(app, case_ids[: max(count // 4, 1)])


PATH = [
    ("forberedelsesskema_udfyldt", {}),
    ("paaroerende_inviteret", {}),
    ("hjemmemoede_holdt", {}),
    ("rehab_moede_holdt", {"indstilling": "ressourceforloeb"}),
]


def measure_path(app, case_ids: list[str]) -> float:  # type: ignore[no-untyped-def]
    """The rest of the holdforløb path on cases already in holdforløb: three task
    completions, then the rehab meeting (a state change with its tasks and deadlines)."""
    service = app.cases
    started = time.perf_counter()
    for case_id in case_ids:
        for event, data in PATH:
            service.apply_event(case_id, event, data, "bench")
    return len(case_ids) * len(PATH) / (time.perf_counter() - started)


def measure_due(app, now: datetime, runs: int = 200) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    """The sweep's own claim (`FiringUnitOfWork.claim_due`), in one transaction rolled back
    at the end, as a sweep that finds its batch contested would."""
    samples = []
    found = 0
    with app.unit_of_work() as uow:
        for _ in range(runs):
            started = time.perf_counter()
            found = len(uow.claim_due(now, 500))
            samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000, found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--workdir", default=tempfile.gettempdir())
    args = parser.parse_args()
    print(f"database: {args.db}; machine: {os.cpu_count()} cores")
    print(
        f"{'N':>9} {'fill s':>8} {'timers':>10} {'heavy ev/s':>10} {'path ev/s':>9} "
        f"{'due ms (none due)':>17} {'due ms (500 due)':>16}"
    )
    for size in map(int, args.sizes.split(",")):
        url = fresh_database(args.db, Path(args.workdir))
        clock = SimulatedClock(START + timedelta(days=400))
        app = bootstrap(Settings(url), clock)
        SQLModel.metadata.create_all(app.engine)
        fill = bulk_fill(app, size)
        with app.engine.connect() as connection:
            pending = connection.execute(
                select(func.count()).select_from(TIMER).where(TIMER.c.status == "pending")
            ).scalar()
        none_due, _ = measure_due(app, START - timedelta(days=1))
        some_due, found = measure_due(app, START + timedelta(days=200))
        heavy, path = measure_events(app, size, args.events)
        print(
            f"{size:>9} {fill:>8.1f} {pending:>10} {heavy:>10.0f} {path:>9.0f} "
            f"{none_due:>17.3f} {some_due:>10.3f} ({found})"
        )
        app.engine.dispose()


if __name__ == "__main__":
    main()
