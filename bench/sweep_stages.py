"""Where a sweep's time goes: 10,000 due timers fired on SQLite, by stage, in µs per timer.

Run on demand (never in the tests):
    .venv/bin/python -m bench.sweep_stages --cases 20000

A fresh SQLite file with the given number of ressourceforløb cases (bench/cases.py's bulk
fill, a leder and a sagsbehandler with e-mail on every case), 10,000 of their timers made due,
then one sweep with each stage wrapped in a timer. Stages nest (rendering is part of
composing); the wrapping itself costs a little, so the total is a bit below the plain rate.
"""

from __future__ import annotations

import argparse
import functools
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlmodel import SQLModel

import drejebog.app.firing
import drejebog.app.notices
import drejebog.engine.runtime
import drejebog.store.step_writes
import drejebog.store.unit_of_work
from bench.cases import START, bulk_fill, fresh_database
from bench.daemon import DUE_AT_ONCE, make_due, staff_all_cases
from drejebog.app.firing import Channels, sweep
from drejebog.app.settings import Settings
from drejebog.bootstrap import bootstrap
from drejebog.cli.daemon import settle
from drejebog.engine.clock import SimulatedClock

SPENT: dict[str, float] = defaultdict(float)


def timed(label: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            SPENT[label] += time.perf_counter() - started

    return wrapper


def instrument() -> None:
    firing = drejebog.app.firing
    firing.compose = timed("compose the notices (incl. render)", firing.compose)  # type: ignore[assignment]
    drejebog.app.notices.render = timed("render subject and text", drejebog.app.notices.render)  # type: ignore[assignment]
    uow = drejebog.store.unit_of_work.SqlUnitOfWork
    uow.claim_due = timed("claim the due timers", uow.claim_due)  # type: ignore[method-assign]
    uow.mark_fired = timed("mark them fired", uow.mark_fired)  # type: ignore[method-assign]
    uow.load_cases = timed("load the cases", uow.load_cases)  # type: ignore[method-assign]
    uow.directory = timed("read assignments and staff", uow.directory)  # type: ignore[method-assign]
    uow.write_outbox = timed("write the outbox rows", uow.write_outbox)  # type: ignore[method-assign]
    uow.commit = timed("commit", uow.commit)  # type: ignore[method-assign]
    writes = drejebog.store.step_writes.StepWrites
    writes.add = timed("collect the step writes", writes.add)  # type: ignore[method-assign]
    writes.flush = timed("write cases, history, timers", writes.flush)  # type: ignore[method-assign]
    runtime = drejebog.engine.runtime.CaseRuntime
    runtime.fire = timed("the engine's fire()", runtime.fire)  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--workdir", default=tempfile.gettempdir())
    args = parser.parse_args()
    url = fresh_database("sqlite", Path(args.workdir))
    app = bootstrap(Settings(url), SimulatedClock(START))
    SQLModel.metadata.create_all(app.engine)
    bulk_fill(app, args.cases)
    staff_all_cases(app, args.cases)
    make_due(app, DUE_AT_ONCE)
    app.engine.dispose()
    app = bootstrap(Settings(url), SimulatedClock(START))
    settle(app)  # as `drejebog daemon` does at start-up
    instrument()
    started = time.perf_counter()
    report = sweep(app.unit_of_work, START, Channels.named("email"), batch_size=500)
    total = time.perf_counter() - started
    print(f"{report.fired} timers, {report.notifications} messages, {report.fired / total:,.0f}/s")
    print(f"{'the whole sweep':40s} {total / report.fired * 1e6:7.1f} µs per timer")
    for label, seconds in sorted(SPENT.items(), key=lambda item: -item[1]):
        print(f"  {label:38s} {seconds / report.fired * 1e6:7.1f}")


if __name__ == "__main__":
    main()
