"""Driving the real daemon path on a simulated clock: sweep at every due instant up to a time.

The demo and the scenario tests use it, so what they show is exactly what the daemon does:
the same sweep, outbox and templates, only with time jumping instead of passing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from drejebog.app.firing import Channels, SweepReport, sweep
from drejebog.app.ports import FiringUnitOfWork
from drejebog.engine.clock import SimulatedClock


def next_due(unit_of_work: Callable[[], FiringUnitOfWork]) -> datetime | None:
    with unit_of_work() as uow:
        return uow.next_due()


def run_until(
    unit_of_work: Callable[[], FiringUnitOfWork],
    clock: SimulatedClock,
    until: datetime,
    channels: Channels,
    before: bool = False,
) -> SweepReport:
    """Fire every timer due up to `until` (strictly before it with `before`, so an event
    scheduled at `until` comes first), each at its own instant."""
    total = SweepReport()
    while True:
        due = next_due(unit_of_work)
        if due is None or due > until or (before and due == until):
            break
        clock.advance_to(max(due, clock.now()))
        report = sweep(unit_of_work, clock.now(), channels)
        total.merge(report)
        if report.fired == 0:
            break
    if clock.now() < until:
        clock.advance_to(until)
    return total
