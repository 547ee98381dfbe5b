"""What the KPI report asks of the store (store/kpi_queries.py answers): counts, grouped in
SQL, never one row per case. The calendar (which instant ends "3 måneder" after a given day)
is computed here in the application and handed to the store as a small table of days, so the
SQL only compares instants and counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from drejebog.engine.model import Drejebog
from drejebog.engine.targets import Target

GROUP_NONE = ""
GROUP_TEAM = "team"
GROUP_WORKER = "medarbejder"
GROUPINGS = (GROUP_NONE, GROUP_TEAM, GROUP_WORKER)


@dataclass(frozen=True)
class CalendarDay:
    """An anchor day of the period: the instant it begins in Copenhagen (UTC), and the first
    instant after the target's period counted from it (None: the target has no period)."""

    day: date
    start: datetime
    limit: datetime | None


@dataclass(frozen=True)
class Scope:
    """Which cases a report covers: one drejebog, optionally one team or one worker (the
    worker assigned to `role`), and how they are grouped (GROUPINGS)."""

    drejebog_id: str
    role: str = "sagsbehandler"
    team: str | None = None
    worker: str | None = None
    grouping: str = GROUP_NONE


@dataclass(frozen=True)
class ShareCount:
    """Cases of one group and cohort month: all of them, those settled (`decided`: the
    period has passed, the case is closed, or the fact is registered), and those settled
    that reached the target's milestone, state or value."""

    group: str
    cohort: str  # YYYY-MM of the anchor day
    total: int
    decided: int
    reached: int


@dataclass(frozen=True)
class TimeCount:
    """How many cases of a group and cohort month reached the milestone (`observed`) or were
    still without it (censored) after `days` whole days from the anchor day."""

    group: str
    cohort: str
    days: int
    observed: bool
    count: int


@dataclass(frozen=True)
class DeadlineCount:
    """One rule's deadlines in the period for one group (team or worker; "" ungrouped): met
    in time, met late, lapsed (the state was left without meeting it), and how many of its
    deadlines went up the escalation ladder."""

    group: str
    rule: str
    in_time: int
    late: int
    lapsed: int
    escalated: int


@dataclass(frozen=True)
class DutyCount:
    """One recurring duty's occurrences (report-backs) due in the period, for one group: each
    occurrence once, by its best outcome (received in time, received late, missing); how many
    cases they belong to, how many cases missed at least twice in a row, and how often the
    duty's `mangler_i_træk` rung fired."""

    group: str
    rule: str
    in_time: int
    late: int
    missed: int
    cases: int
    in_a_row: int
    rung: int


class KpiStore(Protocol):
    def drejeboeger(self) -> list[Drejebog]:
        """The newest stored version of each drejebog (its `måltal` are the report's)."""
        ...

    def share_counts(
        self, target: Target, scope: Scope, calendar: list[CalendarDay], now: datetime
    ) -> list[ShareCount]: ...

    def time_counts(
        self, target: Target, scope: Scope, calendar: list[CalendarDay], now: datetime
    ) -> list[TimeCount]: ...

    def deadline_counts(
        self, scope: Scope, start: datetime, end: datetime
    ) -> list[DeadlineCount]: ...

    def duty_counts(
        self, scope: Scope, start: date, end: date, report_backs: tuple[str, ...]
    ) -> list[DutyCount]:
        """Occurrences with a due date from `start` to `end` (local days, both included);
        `report_backs`: the events that can be a report-back (the rows worth unpacking)."""
        ...

    # the cases behind a figure (newest first, at most `limit`), for those allowed to see them

    def target_cases(
        self,
        target: Target,
        scope: Scope,
        calendar: list[CalendarDay],
        cohort: str | None,
        limit: int,
    ) -> list[int]:
        """The cases a måltal's figure rests on: in its population, anchored in the period
        (in the cohort month YYYY-MM, when given), settled or not."""
        ...

    def deadline_cases(
        self, scope: Scope, start: datetime, end: datetime, rule: str, limit: int
    ) -> list[int]:
        """The cases whose deadline of `rule` was met, lapsed or escalated in the period."""
        ...

    def duty_cases(
        self,
        scope: Scope,
        start: date,
        end: date,
        report_backs: tuple[str, ...],
        rule: str,
        limit: int,
    ) -> list[int]:
        """The cases with an occurrence of the duty `rule` due in the period."""
        ...
