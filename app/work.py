"""*Mit arbejde*: a worker's open tasks by when they are due, and the cases they hold a role
on. Days are counted from today in Copenhagen (app/reports.py)."""

from __future__ import annotations

from dataclasses import dataclass

from drejebog.app.ports import AccessStore, CaseSummary, TaskView
from drejebog.app.reports import Reports

SOON_DAYS = 7


@dataclass(frozen=True)
class MyWork:
    overdue: list[TaskView]
    today: list[TaskView]
    soon: list[TaskView]  # due within SOON_DAYS days
    cases: list[CaseSummary]


def my_work(reports: Reports, store: AccessStore, handle: str) -> MyWork:
    tasks = reports.open_tasks(worker=handle)
    days = [(t, t.days_left) for t in tasks]
    return MyWork(
        overdue=[t for t, d in days if d is not None and d < 0],
        today=[t for t, d in days if d == 0],
        soon=[t for t, d in days if d is not None and 0 < d <= SOON_DAYS],
        cases=store.cases_of(handle),
    )
