"""What `transitions` adds to one case event, measured on the shipped ressourceforløb path.

Run: .venv/bin/python bench/transitions_overhead.py [--rounds N]

Prints, per call, the time of the machine's trigger alone (what transitions adds), and of the
whole pure `CaseRuntime.apply` (data checks, guard, transitions, timer planning) for the
same events, plus the one-off cost of building the machine for a drejebog version.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta

from drejebog.engine.deadlines import local_date
from drejebog.engine.expressions import EVENT_DATE_NAME
from drejebog.engine.loader import load_file
from drejebog.engine.machine import DrejebogMachine
from drejebog.engine.runtime import CaseRuntime
from drejebog.workflows import SHIPPED_DIR

FACTS = {"rehab_moede": "2027-03-01", "indstilling": "ressourceforloeb"}


def per_call(function, rounds: int) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(rounds):
            function()
        samples.append((time.perf_counter() - start) / rounds)
    return statistics.median(samples) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20_000)
    parser.add_argument("--drejebog", default=str(SHIPPED_DIR / "ressourceforloeb.yaml"))
    args = parser.parse_args()
    drejebog = load_file(args.drejebog)

    build = per_call(lambda: DrejebogMachine(drejebog), max(args.rounds // 100, 10))
    machine = DrejebogMachine(drejebog)
    at = datetime(2027, 3, 1, 9, tzinfo=UTC)
    scope = {**{f: None for f in drejebog.facts}, EVENT_DATE_NAME: local_date(at)}

    # the first event of the drejebog that is allowed from the start state
    event = next(e for e in drejebog.events.values() if drejebog.start in e.sources)
    trigger = per_call(lambda: machine.fire(drejebog.start, event.id, scope), args.rounds)

    runtime = CaseRuntime(drejebog)
    opened = runtime.open_case("bench", at).case
    data = {name: FACTS.get(name, "2027-03-01") for name in event.data}
    later = at + timedelta(hours=1)
    try:
        runtime.apply(opened, event.id, data, later)
        apply = per_call(lambda: runtime.apply(opened, event.id, data, later), args.rounds // 4)
        apply_text = f"{apply:8.1f} µs"
    except Exception as exc:  # the event may need data this generic bench cannot invent
        apply_text = f"(ikke målt: {exc})"

    print(f"drejebog: {drejebog.id} version {drejebog.version}, hændelse: {event.id}")
    print(f"byg Machine pr. drejebog-version : {build:8.1f} µs (én gang pr. version)")
    print(f"transitions-trigger pr. hændelse : {trigger:8.1f} µs")
    print(f"hele CaseRuntime.apply           : {apply_text}")


if __name__ == "__main__":
    main()
