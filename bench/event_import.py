"""Event import: `case import`'s rate against one transaction per event, on the same cases.

Run on demand (never in the tests):
    .venv/bin/python bench/event_import.py                   # 2,000 cases, 3 runs
    .venv/bin/python bench/event_import.py --cases 10000 --batch 1000 --runs 3

Each run starts from an empty SQLite file made by the migrations, loads the shipped
ressourceforløb and opens 2 × N cases through `CaseService.open_case` (not timed). Then the
holdforløb path of bench/growth.py (`tilmeld_holdforloeb`, three task completions and
`rehab_moede_holdt`: five events a case) is applied to N cases

- one event per transaction, through `CaseService.apply_event` (what a typed event costs);
- and, to the other N cases, as a JSON Lines file read by the import (`EventImport`, the code
  behind `drejebog case import`: each line parsed and checked as if typed, each event in a
  savepoint, one transaction per batch), timed from reading the file to the last commit.

A second import of the same file (every id already applied: the idempotent path) is timed too.
The raw-SQLite floor of bench/growth.py (a row inserted, then updated, each its own
transaction) is measured in the same run; each rate is also given as a ratio to it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.growth import PATH, fake_cpr, raw_floor
from drejebog.app.event_import import EventImport, ImportSummary, read_events
from drejebog.app.settings import Settings
from drejebog.bootstrap import bootstrap
from drejebog.engine.clock import SimulatedClock
from drejebog.workflows import SHIPPED_DIR

START = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)


def one_run(workdir: Path, cases: int, batch: int) -> dict[str, float]:
    path = workdir / "import.db"
    for leftover in workdir.glob("import.db*"):
        leftover.unlink()
    clock = SimulatedClock(START)
    app = bootstrap(Settings(f"sqlite:///{path}"), clock)
    app.upgrade_schema()
    app.admin.load_drejebog_files([SHIPPED_DIR / "ressourceforloeb.yaml"])
    service = app.cases
    opened = []
    for i in range(1, 2 * cases + 1):
        app.admin.add_citizen(fake_cpr(i), f"Borger {i}")
        opened.append(service.open_case(fake_cpr(i), "ressourceforloeb", "bench").case_id)
    typed, imported = opened[:cases], opened[cases:]
    clock.advance(timedelta(days=1))

    started = time.perf_counter()
    for case_id in typed:
        for event, data in PATH:
            service.apply_event(case_id, event, data, "bench")
    typed_rate = cases * len(PATH) / (time.perf_counter() - started)

    jsonl = workdir / "import.jsonl"
    with jsonl.open("w", encoding="utf-8") as out:
        for case_id in imported:
            for number, (event, data) in enumerate(PATH):
                line = {"id": f"b-{case_id}-{number}", "sag": case_id, "hændelse": event}
                out.write(json.dumps({**line, "data": data}, ensure_ascii=False) + "\n")
    importer = EventImport(service, app.unit_of_work, clock)
    rates = []
    for _ in range(2):  # the first applies every event; the second finds every id applied
        summary = ImportSummary()
        started = time.perf_counter()
        with jsonl.open("rb") as lines:
            importer.run(read_events(lines, summary, lambda _: None), "bench", summary, batch)
        rates.append(cases * len(PATH) / (time.perf_counter() - started))
        assert summary.refused == 0, summary.refusals[:3]
    app.close()
    floor = raw_floor(workdir / "floor.db")
    return {"typed": typed_rate, "import": rates[0], "again": rates[1], "floor": floor}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=2_000, help="cases per method")
    parser.add_argument("--batch", type=int, default=1_000, help="events per transaction")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", default=tempfile.gettempdir())
    args = parser.parse_args()
    print(
        f"event import: {args.cases} cases × {len(PATH)} events per method, batches of "
        f"{args.batch}, {args.runs} run(s); machine: {os.cpu_count()} cores"
    )
    runs = []
    for run in range(args.runs):
        runs.append(one_run(Path(args.workdir), args.cases, args.batch))
        figures = "  ".join(f"{key} {value:,.0f}/s" for key, value in runs[-1].items())
        print(f"run {run + 1}: {figures}", flush=True)
    print(f"{'':<22} {'events/s':>9} {'ratio to floor':>15}")
    for key, label in [
        ("typed", "one event per tx"),
        ("import", "import (new events)"),
        ("again", "import (all applied)"),
    ]:
        rate = statistics.median(run[key] for run in runs)
        ratio = statistics.median(run[key] / run["floor"] for run in runs)
        print(f"{label:<22} {rate:>9,.0f} {ratio:>15.2f}")
    print(f"{'raw floor (tx/s)':<22} {statistics.median(run['floor'] for run in runs):>9,.0f}")


if __name__ == "__main__":
    main()
