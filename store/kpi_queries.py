"""The KPI report's SQL: every figure is a GROUP BY over the cases of one drejebog, with the
milestone looked up per case through the history's (case_id, seq) key, so no Python loop
ever sees one row per case. The same statements run on SQLite and PostgreSQL; the few
places the dialects differ (a UTC instant's day in Copenhagen, days between two instants,
unpacking the JSON list of a history row's deadline results) are the functions below.

The calendar (app/kpi_ports.CalendarDay) comes in as a temporary table keyed by day: the
anchor's day in Copenhagen is joined to it, so "inden 3 måneder" is one comparison of
instants, with the month arithmetic done once per day in Python (engine/deadlines.py), not
per case.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    Engine,
    FromClause,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    and_,
    case,
    cast,
    column,
    delete,
    func,
    insert,
    literal,
    select,
    true,
    union,
    union_all,
)

from drejebog.app.kpi_ports import (
    GROUP_TEAM,
    GROUP_WORKER,
    CalendarDay,
    DeadlineCount,
    DutyCount,
    Scope,
    ShareCount,
    TimeCount,
)
from drejebog.engine.errors import StoreError
from drejebog.engine.model import Drejebog
from drejebog.engine.names import danish_kind
from drejebog.engine.targets import AnchorKind, Measure, Target
from drejebog.store.drejebog_cache import DrejebogCache
from drejebog.store.tables import ASSIGNMENT, CASE, HISTORY, TIMER, VERSION, WORKER
from drejebog.store.types import UTCDateTime

EVENT_KIND = "hændelse"
MISSING_KIND = danish_kind("checkin_missing")
IN_A_ROW_KIND = danish_kind("misses_in_a_row")


class SqlKpiStore:
    def __init__(self, engine: Engine, cache: DrejebogCache | None = None) -> None:
        self._engine = engine
        self._cache = cache or DrejebogCache()

    @property
    def _dialect(self) -> str:
        return self._engine.dialect.name

    def drejeboeger(self) -> list[Drejebog]:
        newest = select(func.max(VERSION.c.id)).group_by(VERSION.c.drejebog_id)
        query = (
            select(VERSION.c.content_hash, VERSION.c.source_name, VERSION.c.source_text)
            .where(VERSION.c.id.in_(newest))
            .order_by(VERSION.c.drejebog_id)
        )
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        return [self._cache.get(r.content_hash, r.source_name, r.source_text) for r in rows]

    # -- targets ---------------------------------------------------------------------------

    def share_counts(
        self, target: Target, scope: Scope, calendar: list[CalendarDay], now: datetime
    ) -> list[ShareCount]:
        base, day = self._anchored(target, scope, calendar)
        cal = CALENDAR
        decided, reached = self._settled(target, base, cal, now)
        cohort = func.substr(day, 1, 7).label("cohort")
        query = (
            select(
                base.c.grp,
                cohort,
                func.count().label("total"),
                func.sum(case((decided, 1), else_=0)).label("decided"),
                func.sum(case((and_(decided, reached), 1), else_=0)).label("reached"),
            )
            .select_from(base.join(cal, cal.c.day == day))
            .group_by(base.c.grp, cohort)
            .order_by(base.c.grp, cohort)
        )
        return [
            ShareCount(r.grp or "", r.cohort, r.total, int(r.decided or 0), int(r.reached or 0))
            for r in self._rows(query, calendar)
        ]

    def time_counts(
        self, target: Target, scope: Scope, calendar: list[CalendarDay], now: datetime
    ) -> list[TimeCount]:
        base, day = self._anchored(target, scope, calendar)
        cal = CALENDAR
        observed = and_(base.c.first_at.is_not(None), base.c.first_at <= now)
        closed = and_(base.c.closed_at.is_not(None), base.c.closed_at < now)
        end = case(
            (observed, base.c.first_at),
            (closed, base.c.closed_at),
            else_=literal(now, UTCDateTime()),
        )
        days = self._days_between(cal.c.start, end).label("days")
        seen = case((observed, 1), else_=0).label("observed")
        cohort = func.substr(day, 1, 7).label("cohort")
        query = (
            select(base.c.grp, cohort, days, seen, func.count().label("n"))
            .select_from(base.join(cal, cal.c.day == day))
            .where(cal.c.start <= now)
            .group_by(base.c.grp, cohort, days, seen)
            .order_by(base.c.grp, cohort, days)
        )
        return [
            TimeCount(r.grp or "", r.cohort, max(0, int(r.days)), bool(r.observed), r.n)
            for r in self._rows(query, calendar)
        ]

    def _anchored(
        self, target: Target, scope: Scope, calendar: list[CalendarDay]
    ) -> tuple[FromClause, ColumnElement[Any]]:
        """The scope's cases in the target's population: their group, anchor, first
        milestone (or state) and closing; and the expression of the anchor's local day."""
        anchor: ColumnElement[Any]
        if target.anchor.kind is AnchorKind.FACT:
            anchor = CASE.c.facts[target.anchor.name].as_string()
        elif target.anchor.kind is AnchorKind.STATE:
            anchor = _first_at(HISTORY.c.to_state.in_([target.anchor.name]))
        else:
            anchor = CASE.c.opened_at
        first: ColumnElement[Any] = literal(None, UTCDateTime())
        if target.measure is Measure.MILESTONE:
            first = _first_at(and_(HISTORY.c.kind == EVENT_KIND, HISTORY.c.event.in_(target.names)))
        elif target.measure is Measure.STATE:
            first = _first_at(HISTORY.c.to_state.in_(target.names))
        fact = _fact_columns(target)
        query = (
            select(
                CASE.c.id,
                _group_column(scope).label("grp"),
                anchor.label("anchor"),
                first.label("first_at"),
                CASE.c.closed_at,
                fact[0].label("fact_set"),
                fact[1].label("fact_hit"),
            )
            .select_from(_with_worker(scope))
            .where(CASE.c.drejebog_id == scope.drejebog_id, *_scope_filter(scope))
            .where(*_population(target))
        )
        base = query.cte("anchored").prefix_with("MATERIALIZED")
        if target.anchor.kind is AnchorKind.FACT:
            return base, base.c.anchor
        years = sorted({d.day.year for d in calendar} or {date.today().year})
        return base, self._local_day(base.c.anchor, range(years[0] - 1, years[-1] + 2))

    def _settled(
        self, target: Target, base: FromClause, cal: FromClause, now: datetime
    ) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
        """When a case's figure is settled, and whether it then reached the target."""
        if target.measure is Measure.FACT:
            return base.c.fact_set == 1, base.c.fact_hit == 1
        if target.within is not None:
            decided = cal.c.limit <= now
            return decided, and_(base.c.first_at.is_not(None), base.c.first_at < cal.c.limit)
        decided = and_(base.c.closed_at.is_not(None), base.c.closed_at <= now)
        return decided, and_(base.c.first_at.is_not(None), base.c.first_at <= base.c.closed_at)

    # -- deadlines -------------------------------------------------------------------------

    def deadline_counts(self, scope: Scope, start: datetime, end: datetime) -> list[DeadlineCount]:
        results = self._json_list("results")
        rule = results.c.value["rule"].as_string().label("rule")
        outcome = results.c.value["outcome"].as_string()
        in_time = results.c.value["in_time"].as_string()
        met = outcome == "opfyldt"
        punctual = and_(met, in_time.in_(("true", "1")))
        late = and_(met, in_time.in_(("false", "0")))
        group = _group_column(scope).label("grp")
        query = (
            select(
                group,
                rule,
                func.sum(case((punctual, 1), else_=0)).label("in_time"),
                func.sum(case((late, 1), else_=0)).label("late"),
                func.sum(case((outcome != "opfyldt", 1), else_=0)).label("lapsed"),
            )
            .select_from(_with_worker(scope).join(HISTORY, HISTORY.c.case_id == CASE.c.id))
            .join(results, true())
            .where(
                CASE.c.drejebog_id == scope.drejebog_id,
                HISTORY.c.kind == EVENT_KIND,
                HISTORY.c.at >= start,
                HISTORY.c.at < end,
                *_scope_filter(scope),
            )
            .group_by(group, rule)
        )
        counts = {(r.grp or "", r.rule): r for r in self._rows(query)}
        escalated = self._escalated(scope, start, end)
        return [
            DeadlineCount(
                key[0],
                key[1],
                int(counts[key].in_time or 0) if key in counts else 0,
                int(counts[key].late or 0) if key in counts else 0,
                int(counts[key].lapsed or 0) if key in counts else 0,
                escalated.get(key, 0),
            )
            for key in sorted(set(counts) | set(escalated))
        ]

    def _escalated(
        self, scope: Scope, start: datetime, end: datetime
    ) -> dict[tuple[str, str], int]:
        """Per group and rule, the deadlines (case and occurrence) whose ladder fired in the
        period."""
        fired = (
            select(
                _group_column(scope).label("grp"),
                TIMER.c.case_id,
                TIMER.c.rule,
                TIMER.c.occurrence,
            )
            .distinct()
            .select_from(_with_worker(scope).join(TIMER, TIMER.c.case_id == CASE.c.id))
            .where(
                CASE.c.drejebog_id == scope.drejebog_id,
                TIMER.c.kind == "escalation",
                TIMER.c.status == "fired",
                TIMER.c.fired_at >= start,
                TIMER.c.fired_at < end,
                *_scope_filter(scope),
            )
            .subquery("fired")
        )
        query = select(fired.c.grp, fired.c.rule, func.count().label("n")).group_by(
            fired.c.grp, fired.c.rule
        )
        return {(r.grp or "", r.rule): int(r.n) for r in self._rows(query)}

    # -- report-backs ----------------------------------------------------------------------

    def duty_counts(
        self, scope: Scope, start: date, end: date, report_backs: tuple[str, ...]
    ) -> list[DutyCount]:
        """Each occurrence (case, duty, due date) once, by its best outcome: a report-back
        received in time (3) beats one received late (2), which beats the missing notice (1)
        it may have followed. Due dates are local days stored as text, so the period is a
        comparison of ISO dates."""
        first, last = start.isoformat(), end.isoformat()
        occurrences = self._occurrences(scope.drejebog_id, first, last, report_backs)
        group = _group_column(scope).label("grp")
        best = occurrences.c.best
        query = (
            select(
                group,
                occurrences.c.rule,
                func.sum(case((best == 3, 1), else_=0)).label("in_time"),
                func.sum(case((best == 2, 1), else_=0)).label("late"),
                func.sum(case((best == 1, 1), else_=0)).label("missed"),
                func.count(func.distinct(occurrences.c.case_id)).label("cases"),
                func.count(
                    func.distinct(case((occurrences.c.row >= 2, occurrences.c.case_id)))
                ).label("in_a_row"),
            )
            .select_from(_with_worker(scope).join(occurrences, occurrences.c.case_id == CASE.c.id))
            .where(CASE.c.drejebog_id == scope.drejebog_id, *_scope_filter(scope))
            .group_by(group, occurrences.c.rule)
        )
        rungs = self._rungs(scope, first, last)
        return [
            DutyCount(
                r.grp or "",
                r.rule,
                int(r.in_time or 0),
                int(r.late or 0),
                int(r.missed or 0),
                int(r.cases),
                int(r.in_a_row),
                rungs.get((r.grp or "", r.rule), 0),
            )
            for r in self._rows(query.order_by(group, occurrences.c.rule))
        ]

    def _occurrences(
        self, drejebog_id: str, first: str, last: str, report_backs: tuple[str, ...]
    ) -> FromClause:
        """Each occurrence (case, duty, due date) of the drejebog's cases due from `first` to
        `last` once: its best outcome and its count of misses in a row. The history is read
        through the drejebog's cases (ix_case_open, then each case's rows by its key), not
        scanned whole."""
        of_drejebog = CASE.join(HISTORY, HISTORY.c.case_id == CASE.c.id)
        records = self._json_list("records")
        record = records.c.value
        due = record["due"].as_string()
        received = (
            select(
                HISTORY.c.case_id,
                record["name"].as_string().label("rule"),
                due.label("due"),
                case((record["step"].as_string() == "til tiden", 3), else_=2).label("rank"),
                literal(0).label("row"),
            )
            .select_from(of_drejebog)
            .join(records, true())
            .where(
                CASE.c.drejebog_id == drejebog_id,
                HISTORY.c.kind == EVENT_KIND,
                HISTORY.c.event.in_(report_backs),
                record["kind"].as_string() == "checkin",
                due >= first,
                due <= last,
            )
        )
        frist = HISTORY.c.data["frist"].as_string()
        missing = (
            select(
                HISTORY.c.case_id,
                HISTORY.c.event.label("rule"),
                frist.label("due"),
                literal(1).label("rank"),
                func.coalesce(cast(self._in_a_row(), Integer), 0).label("row"),
            )
            .select_from(of_drejebog)
            .where(
                CASE.c.drejebog_id == drejebog_id,
                HISTORY.c.kind == MISSING_KIND,
                frist >= first,
                frist <= last,
            )
        )
        outcomes = union_all(received, missing).subquery("outcomes")
        occurrences = (
            select(
                outcomes.c.case_id,
                outcomes.c.rule,
                func.max(outcomes.c.rank).label("best"),
                func.max(outcomes.c.row).label("row"),
            )
            .group_by(outcomes.c.case_id, outcomes.c.rule, outcomes.c.due)
            .subquery("occurrences")
        )
        return occurrences

    def _rungs(self, scope: Scope, first: str, last: str) -> dict[tuple[str, str], int]:
        """Per group and duty, how often its `mangler_i_træk` rung fired for a due date in
        the period."""
        frist = HISTORY.c.data["frist"].as_string()
        group = _group_column(scope).label("grp")
        query = (
            select(group, HISTORY.c.event, func.count().label("n"))
            .select_from(_with_worker(scope).join(HISTORY, HISTORY.c.case_id == CASE.c.id))
            .where(
                CASE.c.drejebog_id == scope.drejebog_id,
                HISTORY.c.kind == IN_A_ROW_KIND,
                frist >= first,
                frist <= last,
                *_scope_filter(scope),
            )
            .group_by(group, HISTORY.c.event)
        )
        return {(r.grp or "", r.event): int(r.n) for r in self._rows(query)}

    # -- the cases behind a figure ----------------------------------------------------------

    def target_cases(
        self,
        target: Target,
        scope: Scope,
        calendar: list[CalendarDay],
        cohort: str | None,
        limit: int,
    ) -> list[int]:
        base, day = self._anchored(target, scope, calendar)
        cal = CALENDAR
        query = select(base.c.id).select_from(base.join(cal, cal.c.day == day))
        if cohort is not None:
            query = query.where(func.substr(day, 1, 7) == cohort)
        query = query.order_by(base.c.id.desc()).limit(limit)
        return [int(r.id) for r in self._rows(query, calendar)]

    def deadline_cases(
        self, scope: Scope, start: datetime, end: datetime, rule: str, limit: int
    ) -> list[int]:
        results = self._json_list("results")
        settled = (
            select(CASE.c.id)
            .select_from(_with_worker(scope).join(HISTORY, HISTORY.c.case_id == CASE.c.id))
            .join(results, true())
            .where(
                CASE.c.drejebog_id == scope.drejebog_id,
                HISTORY.c.kind == EVENT_KIND,
                HISTORY.c.at >= start,
                HISTORY.c.at < end,
                results.c.value["rule"].as_string() == rule,
                *_scope_filter(scope),
            )
        )
        escalated = (
            select(CASE.c.id)
            .select_from(_with_worker(scope).join(TIMER, TIMER.c.case_id == CASE.c.id))
            .where(
                CASE.c.drejebog_id == scope.drejebog_id,
                TIMER.c.rule == rule,
                TIMER.c.kind == "escalation",
                TIMER.c.status == "fired",
                TIMER.c.fired_at >= start,
                TIMER.c.fired_at < end,
                *_scope_filter(scope),
            )
        )
        ids = union(settled, escalated).subquery("ids")
        query = select(ids.c.id).order_by(ids.c.id.desc()).limit(limit)
        return [int(r.id) for r in self._rows(query)]

    def duty_cases(
        self,
        scope: Scope,
        start: date,
        end: date,
        report_backs: tuple[str, ...],
        rule: str,
        limit: int,
    ) -> list[int]:
        occurrences = self._occurrences(
            scope.drejebog_id, start.isoformat(), end.isoformat(), report_backs
        )
        query = (
            select(CASE.c.id)
            .distinct()
            .select_from(_with_worker(scope).join(occurrences, occurrences.c.case_id == CASE.c.id))
            .where(
                CASE.c.drejebog_id == scope.drejebog_id,
                occurrences.c.rule == rule,
                *_scope_filter(scope),
            )
            .order_by(CASE.c.id.desc())
            .limit(limit)
        )
        return [int(r.id) for r in self._rows(query)]

    # -- where the dialects differ ---------------------------------------------------------

    def _json_list(self, key: str) -> Any:
        """A JSON list of the history row (its deadline `results`, its `records`) as a
        table of JSON values."""
        value = column("value", JSON)
        if self._dialect == "postgresql":
            return func.json_array_elements(HISTORY.c.data[key]).table_valued(value)
        return func.json_each(HISTORY.c.data, f"$.{key}").table_valued(value)

    def _in_a_row(self) -> ColumnElement[Any]:
        """A missing notice's count of misses in a row (`i_træk`). The history's JSON is
        written with non-ASCII escaped ("i_tr\\u00e6k"), and SQLite's JSON paths match a key
        as it is spelt in the text, so both spellings are asked for there."""
        plain: ColumnElement[Any] = HISTORY.c.data["i_træk"].as_string()
        if self._dialect == "postgresql":
            return plain
        return func.coalesce(plain, HISTORY.c.data["i_tr\\u00e6k"].as_string())

    def _local_day(self, instant: ColumnElement[Any], years: range) -> ColumnElement[Any]:
        """The day in Copenhagen of a UTC instant, as YYYY-MM-DD text. SQLite has no time
        zones: summer time (last Sunday of March to last Sunday of October, 01:00 UTC) is
        spelt out for the years the report can touch."""
        if self._dialect == "postgresql":
            return func.to_char(func.timezone("Europe/Copenhagen", instant), "YYYY-MM-DD")
        whens = [
            (
                and_(instant >= _summer_start(year), instant < _summer_end(year)),
                func.date(instant, "+2 hours"),
            )
            for year in years
        ]
        return case(*whens, else_=func.date(instant, "+1 hour"))

    def _days_between(
        self, start: ColumnElement[Any], end: ColumnElement[Any]
    ) -> ColumnElement[Any]:
        """Whole days from one instant to a later one."""
        if self._dialect == "postgresql":
            return cast(func.floor(func.extract("epoch", end - start) / 86400), Integer)
        return cast(func.julianday(end) - func.julianday(start), Integer)

    def _rows(self, query: Select[Any], calendar: list[CalendarDay] | None = None) -> list[Any]:
        """The query's rows; with a calendar, in a transaction that first fills the temporary
        calendar table (indexed by day, so each case finds its day in one step) and is rolled
        back at the end, so nothing of it outlives the query."""
        try:
            with self._engine.connect() as connection:
                if calendar is not None:
                    CALENDAR.create(connection, checkfirst=True)
                    connection.execute(delete(CALENDAR))
                    connection.execute(insert(CALENDAR), _calendar_rows(calendar))
                rows = list(connection.execute(query))
                if calendar is not None:
                    connection.execute(delete(CALENDAR))
                connection.rollback()
                return rows
        except Exception as exc:  # a driver error: translated once, here
            raise StoreError(f"nøgletallene kunne ikke beregnes: {exc}", retryable=True) from exc


def _first_at(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    """The first history row of the case meeting the condition (through its case key)."""
    return (
        select(func.min(HISTORY.c.at))
        .where(HISTORY.c.case_id == CASE.c.id, condition)
        .scalar_subquery()
    )


def _fact_columns(target: Target) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """For a fact target: is the fact registered, and does it have the counted value."""
    if target.measure is not Measure.FACT:
        return literal(0), literal(0)
    fact = target.names[0]
    value = CASE.c.facts[fact]
    hit = _equals(value, target.value)
    return (
        case((value.as_string().is_not(None), 1), else_=0),
        case((hit, 1), else_=0),
    )


def _equals(value: Any, wanted: object) -> ColumnElement[bool]:
    """A fact in the case's JSON equal to a drejebog value (ja_nej, valg or tekst)."""
    text: ColumnElement[str] = value.as_string()  # a yes/no is '1' on SQLite, 'true' on PG
    if isinstance(wanted, bool):
        return text.in_(("true", "1") if wanted else ("false", "0"))
    return text == str(wanted)


def _population(target: Target) -> list[ColumnElement[bool]]:
    conditions = [_equals(CASE.c.facts[f], v) for f, v in target.population_facts]
    if target.population_states:
        entered = select(HISTORY.c.id).where(
            HISTORY.c.case_id == CASE.c.id, HISTORY.c.to_state.in_(target.population_states)
        )
        conditions.append(entered.exists())
    return conditions


def _with_worker(scope: Scope) -> FromClause:
    """The cases, with the worker holding the scope's role (if any)."""
    return CASE.outerjoin(
        ASSIGNMENT, and_(ASSIGNMENT.c.case_id == CASE.c.id, ASSIGNMENT.c.role == scope.role)
    ).outerjoin(WORKER, WORKER.c.id == ASSIGNMENT.c.worker_id)


def _group_column(scope: Scope) -> ColumnElement[Any]:
    if scope.grouping == GROUP_TEAM:
        return func.coalesce(WORKER.c.team, "")
    if scope.grouping == GROUP_WORKER:
        return func.coalesce(WORKER.c.handle, "")
    return literal("", String)


def _scope_filter(scope: Scope) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if scope.team is not None:
        conditions.append(WORKER.c.team == scope.team)
    if scope.worker is not None:
        conditions.append(WORKER.c.handle == scope.worker)
    return conditions


CALENDAR = Table(
    "kpi_calendar",
    MetaData(),
    Column("day", String(10), primary_key=True),
    Column("start", UTCDateTime(), nullable=False),
    Column("limit", UTCDateTime(), nullable=False),
    prefixes=["TEMPORARY"],
)
"""A report's anchor days: a temporary table of the connection (never in the schema)."""


def _calendar_rows(calendar: list[CalendarDay]) -> list[dict[str, object]]:
    far = datetime(9999, 1, 1, tzinfo=UTC)
    return [
        {"day": d.day.isoformat(), "start": d.start, "limit": d.limit or far} for d in calendar
    ] or [{"day": "", "start": far, "limit": far}]


def _last_sunday(year: int, month: int) -> date:
    last = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() + 1) % 7)


def _summer_start(year: int) -> datetime:
    day = _last_sunday(year, 3)
    return datetime(day.year, day.month, day.day, 1, tzinfo=UTC)


def _summer_end(year: int) -> datetime:
    day = _last_sunday(year, 10)
    return datetime(day.year, day.month, day.day, 1, tzinfo=UTC)
