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
  history and timer rows; so does report-back adherence per recurring duty (each occurrence
  due in the period once: received in time, received late, missing) with its misses in a
  row (cases that missed twice or more in a row, times the `mangler_i_træk` rung fired).
  Both are given for the whole scope and, when the report is grouped, per team or worker.

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
    DutyCount,
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
from drejebog.engine.model import Drejebog, Recurring
from drejebog.engine.targets import Goal, Target

Row = TypeVar("Row", ShareCount, TimeCount, DeadlineCount, DutyCount)

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
    def group(self) -> str:
        return self.count.group or ""

    @property
    def n(self) -> int:
        return self.count.in_time + self.count.late + self.count.lapsed

    @property
    def in_time_share(self) -> str:
        if self.n < MIN_CASES:
            return TOO_FEW
        return f"{_danish(100 * self.count.in_time / self.n, 0)} %"


@dataclass(frozen=True)
class DutyFigure:
    """A recurring duty's report-backs due in the period. A duty with fixed due dates records
    each report-back as in time or late; a duty that restarts from its last report-back
    records only its misses (`fixed` False: no share in time to show). Nothing is shown about
    fewer than MIN_CASES cases."""

    rule: str
    title: str
    fixed: bool
    count: DutyCount

    @property
    def group(self) -> str:
        return self.count.group

    @property
    def n(self) -> int:
        """The occurrences the figure rests on."""
        return self.count.in_time + self.count.late + self.count.missed

    @property
    def shown(self) -> bool:
        return self.count.cases >= MIN_CASES

    @property
    def in_time_share(self) -> str:
        if not self.shown:
            return TOO_FEW
        if not self.fixed or not self.n:
            return NOT_MEASURED
        return f"{_danish(100 * self.count.in_time / self.n, 0)} %"


NOT_MEASURED = "måles ikke"
"""A duty that restarts from its last report-back records only its misses."""


@dataclass(frozen=True)
class DrejebogFigures:
    drejebog_id: str
    title: str
    targets: list[TargetFigures]
    deadlines: list[DeadlineFigure]
    duties: list[DutyFigure] = field(default_factory=list)
    # per team or worker when the report is grouped (empty otherwise)
    deadline_groups: list[DeadlineFigure] = field(default_factory=list)
    duty_groups: list[DutyFigure] = field(default_factory=list)


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


FIGURE_KINDS = {"maal": "måltal", "frist": "frist", "pligt": "tilbagevendende pligt"}
"""The kinds of figure whose cases can be listed, and what they are called."""


@dataclass(frozen=True)
class FigureRef:
    """One figure of a report: a måltal (optionally one cohort month), a deadline rule or a
    recurring duty, of one drejebog."""

    kind: str  # a key of FIGURE_KINDS
    drejebog_id: str
    name: str
    cohort: str | None = None


@dataclass(frozen=True)
class FigureCases:
    """The cases behind a figure, newest first; `capped` when there were more than asked."""

    title: str
    case_ids: tuple[int, ...]
    capped: bool


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

    def figure_cases(self, request: ReportRequest, ref: FigureRef, limit: int) -> FigureCases:
        """The cases behind one figure of the report `request` makes, at most `limit`. Who
        may see which of them is the case list's business (app/case_list.py)."""
        _check_period(request.start, request.end)
        found = [d for d in self.store.drejeboeger() if d.id == ref.drejebog_id]
        if not found:
            raise NotFound("drejebog", ref.drejebog_id, "")
        drejebog = found[0]
        scope = Scope(drejebog.id, request.role, request.team, request.worker)
        title, ids = self._figure_ids(drejebog, scope, request, ref, limit + 1)
        return FigureCases(title, tuple(ids[:limit]), len(ids) > limit)

    def _figure_ids(
        self, drejebog: Drejebog, scope: Scope, request: ReportRequest, ref: FigureRef, limit: int
    ) -> tuple[str, list[int]]:
        if ref.kind == "maal":
            target = next((t for t in drejebog.targets if t.name == ref.name), None)
            if target is None:
                raise NotFound("måltal", ref.name, f" i drejebogen {drejebog.id}")
            calendar = WorkingCalendar(drejebog.closing_days)
            days = period_calendar(request.start, request.end, target.within, calendar)
            ids = self.store.target_cases(target, scope, days, ref.cohort, limit)
            return target.title, ids
        if ref.kind == "frist" and _has_deadline(drejebog, ref.name) and ref.name in drejebog.rules:
            start = local_instant(request.start, time(0))
            end = local_instant(request.end + timedelta(days=1), time(0))
            ids = self.store.deadline_cases(scope, start, end, ref.name, limit)
            return _rule_title(drejebog, ref.name), ids
        duties = {r.name: r for state in drejebog.states.values() for r in state.recurring}
        if ref.kind == "pligt" and ref.name in duties:
            events = tuple(sorted({e for r in duties.values() if r.fixed for e in r.met_by}))
            ids = self.store.duty_cases(scope, request.start, request.end, events, ref.name, limit)
            return duties[ref.name].title, ids
        what = FIGURE_KINDS.get(ref.kind, "tal")
        raise NotFound(what, ref.name, f" i drejebogen {drejebog.id}")

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
        counts = [
            c
            for c in self.store.deadline_counts(scope, start, end)
            if _has_deadline(drejebog, c.rule)
        ]
        grouped = [DeadlineFigure(c.rule, _rule_title(drejebog, c.rule), c) for c in counts]
        deadlines = [
            DeadlineFigure(rule, _rule_title(drejebog, rule), _sum_deadlines(rule, rows))
            for rule, rows in _by(counts, lambda c: c.rule)
        ]
        duties = self._duties(drejebog, scope, request)
        return DrejebogFigures(
            drejebog.id,
            drejebog.title,
            targets,
            deadlines,
            [d for d in duties if d.group == ""],
            grouped if scope.grouping else [],
            [d for d in duties if d.group != ""],
        )

    def _duties(self, drejebog: Drejebog, scope: Scope, request: ReportRequest) -> list[DutyFigure]:
        """The duties' figures for the whole scope (group "") and, grouped, per group."""
        duties = {r.name: r for state in drejebog.states.values() for r in state.recurring}
        if not duties:
            return []
        events = tuple(sorted({e for r in duties.values() if r.fixed for e in r.met_by}))
        counts = self.store.duty_counts(scope, request.start, request.end, events)
        known = [c for c in counts if c.rule in duties]

        def figure(count: DutyCount) -> DutyFigure:
            duty = duties[count.rule]
            return DutyFigure(count.rule, duty.title, duty.fixed, count)

        overall = [figure(_sum_duties(rule, rows)) for rule, rows in _by(known, lambda c: c.rule)]
        return overall + ([figure(c) for c in known] if scope.grouping else [])


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


def _sum_deadlines(rule: str, rows: list[DeadlineCount]) -> DeadlineCount:
    return DeadlineCount(
        "",
        rule,
        sum(r.in_time for r in rows),
        sum(r.late for r in rows),
        sum(r.lapsed for r in rows),
        sum(r.escalated for r in rows),
    )


def _sum_duties(rule: str, rows: list[DutyCount]) -> DutyCount:
    """The duty over every group: a case is in one group only (one worker per role), so its
    cases add up."""
    return DutyCount(
        "",
        rule,
        sum(r.in_time for r in rows),
        sum(r.late for r in rows),
        sum(r.missed for r in rows),
        sum(r.cases for r in rows),
        sum(r.in_a_row for r in rows),
        sum(r.rung for r in rows),
    )


def _has_deadline(drejebog: Drejebog, rule: str) -> bool:
    """Whether the rule has a deadline to meet (a task without one only lapses, which says
    nothing about adherence). A recurring duty is not one: its report-backs are counted by
    occurrence (DutyFigure). A rule the newest version no longer has is kept."""
    found = drejebog.rules.get(rule)
    if found is None:
        return True
    return found[1].timing is not None and not isinstance(found[1], Recurring)


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
