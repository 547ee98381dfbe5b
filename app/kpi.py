"""The jobcenter's own figures: each `måltal` of each stored drejebog, for a period of
anchor days (cohorts), honestly.

- A share "inden 3 måneder" counts a case only once 3 months have passed since its anchor
  (before that it is "endnu ikke afgjort"); a share without a period counts a case once it
  is closed; a fact's share counts a case once the fact is registered.
- A time ("10 uger") is the Kaplan-Meier median (app/kpi_survival.py): cases still without
  the milestone are censored where we stopped watching them, not left out.
- Every figure says how many cases it rests on (`n`); fewer than MIN_CASES and no share or
  time is shown, only "for få sager", so nobody can be recognised.
- Deadline adherence per rule (met in time, met late, lapsed, escalated) comes from the same
  history and timer rows.

The store does the counting (store/kpi_queries.py: GROUP BY in SQL); this module makes the
calendar (which instant ends the period after each anchor day) and turns counts into
figures. `now` is read once from the clock and passed down.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TypeVar

from drejebog.app.kpi_ports import (
    GROUP_NONE,
    CalendarDay,
    DeadlineCount,
    KpiStore,
    Scope,
    ShareCount,
    TimeCount,
)
from drejebog.app.kpi_survival import kaplan_meier_median
from drejebog.engine.calendar import WorkingCalendar
from drejebog.engine.clock import Clock
from drejebog.engine.deadlines import add_duration, local_instant
from drejebog.engine.durations import Duration
from drejebog.engine.errors import DrejebogError, NotFound
from drejebog.engine.model import Drejebog
from drejebog.engine.targets import Goal, Target

Row = TypeVar("Row", ShareCount, TimeCount)

MIN_CASES = 5
"""No figure about fewer cases than this: "for få sager"."""
TOO_FEW = "for få sager"
NO_MEDIAN = "medianen er ikke nået endnu"
MAX_PERIOD_DAYS = 3700
"""At most about ten years of anchor days in one report (one calendar row per day)."""


class ReportError(DrejebogError):
    """A report cannot be made as asked (a period the wrong way round, too long)."""


@dataclass(frozen=True)
class Figure:
    """One figure and what it rests on: `n` settled cases (for a time: all watched cases),
    `reached` of them, `pending` not yet settled; `value` a share in percent or a median in
    weeks, None when it is not shown (`note` says why)."""

    n: int
    reached: int
    pending: int
    value: float | None
    note: str = ""
    meets: bool | None = None

    def shown(self, is_time: bool) -> str:
        if self.value is None:
            return self.note
        if is_time:
            return f"{_danish(self.value, 1)} uger"
        return f"{_danish(self.value, 0)} %"


@dataclass(frozen=True)
class TargetFigures:
    target: Target
    overall: Figure
    by_month: list[tuple[str, Figure]]
    by_group: list[tuple[str, Figure]]


@dataclass(frozen=True)
class DeadlineFigure:
    rule: str
    title: str
    count: DeadlineCount

    @property
    def n(self) -> int:
        return self.count.in_time + self.count.late + self.count.lapsed

    @property
    def in_time_share(self) -> str:
        if self.n < MIN_CASES:
            return TOO_FEW
        return f"{_danish(100 * self.count.in_time / self.n, 0)} %"


@dataclass(frozen=True)
class DrejebogFigures:
    drejebog_id: str
    title: str
    targets: list[TargetFigures]
    deadlines: list[DeadlineFigure]


@dataclass(frozen=True)
class KpiReport:
    start: date
    end: date
    now: datetime
    grouping: str
    drejeboeger: list[DrejebogFigures] = field(default_factory=list)


@dataclass(frozen=True)
class ReportRequest:
    start: date
    end: date
    drejebog_id: str | None = None
    team: str | None = None
    worker: str | None = None
    role: str = "sagsbehandler"
    grouping: str = GROUP_NONE


class KpiReports:
    def __init__(self, store: KpiStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def report(self, request: ReportRequest) -> KpiReport:
        _check_period(request.start, request.end)
        now = self.clock.now()
        drejeboeger = self.store.drejeboeger()
        if request.drejebog_id is not None:
            drejeboeger = [d for d in drejeboeger if d.id == request.drejebog_id]
            if not drejeboeger:
                raise NotFound("drejebog", request.drejebog_id, " (se 'drejebog load')")
        report = KpiReport(request.start, request.end, now, request.grouping)
        for drejebog in drejeboeger:
            scope = Scope(drejebog.id, request.role, request.team, request.worker, request.grouping)
            report.drejeboeger.append(self._figures(drejebog, scope, request, now))
        return report

    def _figures(
        self, drejebog: Drejebog, scope: Scope, request: ReportRequest, now: datetime
    ) -> DrejebogFigures:
        calendar = WorkingCalendar(drejebog.closing_days)
        targets = []
        for target in drejebog.targets:
            days = period_calendar(request.start, request.end, target.within, calendar)
            if target.is_time:
                times = self.store.time_counts(target, scope, days, now)
                targets.append(time_figures(target, times))
            else:
                shares = self.store.share_counts(target, scope, days, now)
                targets.append(share_figures(target, shares))
        start = local_instant(request.start, time(0))
        end = local_instant(request.end + timedelta(days=1), time(0))
        deadlines = [
            DeadlineFigure(c.rule, _rule_title(drejebog, c.rule), c)
            for c in self.store.deadline_counts(scope, start, end)
            if _has_deadline(drejebog, c.rule)
        ]
        return DrejebogFigures(drejebog.id, drejebog.title, targets, deadlines)


def period_calendar(
    start: date, end: date, within: Duration | None, calendar: WorkingCalendar
) -> list[CalendarDay]:
    """A row per anchor day of the period: when the day begins in Copenhagen, and the first
    instant after the day on which the period from it ends (`3 måneder` from 31 January
    ends 30 April: engine/deadlines.py counts it)."""
    days = []
    day = start
    while day <= end:
        limit = None
        if within is not None:
            last = add_duration(day, within, calendar)
            limit = local_instant(last + timedelta(days=1), time(0))
        days.append(CalendarDay(day, local_instant(day, time(0)), limit))
        day += timedelta(days=1)
    return days


def share_figure(goal: Goal, total: int, decided: int, reached: int) -> Figure:
    pending = total - decided
    if decided < MIN_CASES:
        return Figure(decided, reached, pending, None, TOO_FEW)
    value = 100 * reached / decided
    return Figure(decided, reached, pending, value, meets=goal.reached(value))


def share_figures(target: Target, counts: Iterable[ShareCount]) -> TargetFigures:
    rows = list(counts)

    def figure(selected: list[ShareCount]) -> Figure:
        return share_figure(
            target.goal,
            sum(r.total for r in selected),
            sum(r.decided for r in selected),
            sum(r.reached for r in selected),
        )

    return TargetFigures(
        target,
        figure(rows),
        [(month, figure(sel)) for month, sel in _by(rows, lambda r: r.cohort)],
        _groups(rows, figure),
    )


def time_figure(goal: Goal, counts: list[TimeCount]) -> Figure:
    n = sum(c.count for c in counts)
    reached = sum(c.count for c in counts if c.observed)
    if n < MIN_CASES:
        return Figure(n, reached, n - reached, None, TOO_FEW)
    median = kaplan_meier_median((c.days, c.observed, c.count) for c in counts)
    if median is None:
        return Figure(n, reached, n - reached, None, NO_MEDIAN)
    return Figure(n, reached, n - reached, median / 7, meets=goal.reached(median))


def time_figures(target: Target, counts: Iterable[TimeCount]) -> TargetFigures:
    rows = list(counts)

    def figure(selected: list[TimeCount]) -> Figure:
        return time_figure(target.goal, selected)

    return TargetFigures(
        target,
        figure(rows),
        [(month, figure(sel)) for month, sel in _by(rows, lambda r: r.cohort)],
        _groups(rows, figure),
    )


def _by(rows: list[Row], key: Callable[[Row], str]) -> list[tuple[str, list[Row]]]:
    groups: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return sorted(groups.items())


def _groups(rows: list[Row], figure: Callable[[list[Row]], Figure]) -> list[tuple[str, Figure]]:
    """The figure per team or worker; none when the report is not grouped."""
    groups = _by(rows, lambda r: r.group)
    if len(groups) == 1 and groups[0][0] == "":
        return []
    return [(group or "(ingen)", figure(sel)) for group, sel in groups]


def _has_deadline(drejebog: Drejebog, rule: str) -> bool:
    """Whether the rule has a deadline to meet (a task without one only lapses, which says
    nothing about adherence). A rule the newest version no longer has is kept."""
    found = drejebog.rules.get(rule)
    return found is None or found[1].timing is not None


def _rule_title(drejebog: Drejebog, rule: str) -> str:
    try:
        return drejebog.rule(rule)[1].title
    except KeyError:
        return rule  # a rule of an older version of the drejebog


def _check_period(start: date, end: date) -> None:
    if end < start:
        raise ReportError(
            f"perioden er bagvendt: --fra {start.isoformat()} ligger efter --til {end.isoformat()}"
        )
    if (end - start).days > MAX_PERIOD_DAYS:
        raise ReportError(
            f"perioden {start.isoformat()}–{end.isoformat()} er for lang; højst ti år ad gangen"
        )


def _danish(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}".replace(".", ",")
