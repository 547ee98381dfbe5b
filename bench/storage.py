"""Storage: bytes per case, by table and index, for a ressourceforløb case midway.

Run on demand (never in the tests):
    PYTHONPATH=. .venv/bin/python -m bench.storage                  # 2,000 cases
    PYTHONPATH=. .venv/bin/python -m bench.storage --cases 10000

A fresh SQLite file made by the migrations; the shipped ressourceforløb; N citizens and cases
grown through the product (`AdminService.add_citizen`, `CaseService.open_case`, `assign`,
`apply_event`): each case opened with its sagsbehandler, taken through the holdforløb and the
rehabiliteringsteam to the overdragelse (with a koordinerende sagsbehandler and a mentor
assigned), into the ressourceforløb, its opstartsmøde held and one report-back: eight events,
its tasks and timers, as issue 12 point 3 describes "a case midway". The daemon's outbox is
left out (a message belongs to the jobcenter's mail log, not to the case).

Bytes come from SQLite's own page accounting (the `dbstat` virtual table: the pages each table
and index uses, free space inside the pages included), after a VACUUM so that no free pages
are counted. The figure per case is the whole file's, and each table's and index's, divided by
N; the staff and drejebog rows are a few pages shared by every case.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.growth import fake_cpr
from drejebog.app.settings import Settings
from drejebog.bootstrap import bootstrap
from drejebog.engine.clock import SimulatedClock
from drejebog.workflows import SHIPPED_DIR

START = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)
MIDWAY = [
    ("tilmeld_holdforloeb", {"rehab_moede": "2027-03-01"}),
    ("forberedelsesskema_udfyldt", {}),
    ("paaroerende_inviteret", {}),
    ("hjemmemoede_holdt", {}),
    ("rehab_moede_holdt", {"indstilling": "ressourceforloeb"}),
    ("overdragelse_holdt", {"opstartsmoede": "2027-03-22"}),
    ("opstartsmoede_holdt", {}),
    ("tilbagemelding", {}),
]
STAFF = [
    ("lene", "Lene Leder", "leder", None),
    ("anna", "Anna A", "sagsbehandler", "lene"),
    ("karl", "Karl K", "koordinerende_sagsbehandler", "lene"),
    ("mads", "Mads M", "mentor", "lene"),
]


def grow(path: Path, cases: int) -> None:
    clock = SimulatedClock(START)
    app = bootstrap(Settings(f"sqlite:///{path}"), clock)
    app.upgrade_schema()
    app.admin.load_drejebog_files([SHIPPED_DIR / "ressourceforloeb.yaml"])
    for handle, name, role, leader in STAFF:
        app.admin.add_worker(handle, name, role, f"{handle}@jobcenter.dk", "team1", leader)
    service = app.cases
    for i in range(1, cases + 1):
        app.admin.add_citizen(fake_cpr(i), f"Borger {i}")
        case_id = service.open_case(
            fake_cpr(i), "ressourceforloeb", "anna", assignments={"sagsbehandler": "anna"}
        ).case_id
        for number, (event, data) in enumerate(MIDWAY):
            if event == "overdragelse_holdt":
                service.assign(case_id, "koordinerende_sagsbehandler", "karl", "lene")
                service.assign(case_id, "mentor", "mads", "lene")
            clock.advance(timedelta(minutes=1))
            service.apply_event(case_id, event, data, "anna", event_id=f"e{i}-{number}")
    app.close()


def bytes_by_object(path: Path) -> tuple[int, list[tuple[str, str, int]]]:
    connection = sqlite3.connect(path)
    connection.execute("VACUUM")
    total = path.stat().st_size
    rows = connection.execute(
        "SELECT s.name, m.type, SUM(s.pgsize) FROM dbstat s "
        "LEFT JOIN sqlite_schema m ON m.name = s.name GROUP BY s.name ORDER BY 3 DESC"
    ).fetchall()
    connection.close()
    return total, [(name, kind or "?", size) for name, kind, size in rows]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=2_000)
    parser.add_argument("--workdir", default=tempfile.gettempdir())
    args = parser.parse_args()
    path = Path(args.workdir) / "storage.db"
    for leftover in path.parent.glob("storage.db*"):
        leftover.unlink()
    grow(path, args.cases)
    total, objects = bytes_by_object(path)
    print(f"{args.cases} cases midway (8 events each): {total / args.cases:,.0f} bytes per case")
    print(f"{'table or index':<40} {'kind':<6} {'bytes/case':>10}")
    for name, kind, size in objects:
        if size / args.cases >= 1:
            print(f"{name:<40} {kind:<6} {size / args.cases:>10,.0f}")


if __name__ == "__main__":
    main()
