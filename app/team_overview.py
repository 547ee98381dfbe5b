"""The leader's overview of the team: the open cases where a worker of the leder's team holds
a role, with their overdue deadlines and tasks, the escalations fired on deadlines still open,
and the roles their open deadlines and tasks need that nobody holds; each counted by worker
(who holds the rule's role on the case) and by drejebog.

Only a leder sees it (AccessDenied for anyone else). A deadline is overdue the day after its
due date (today in Copenhagen). At most MAX_CASES cases are read; the overview says when the
team has more.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from drejebog.app.access import AccessDenied, CaseAccess
from drejebog.app.ports import StoredCase, TeamCase, TeamOverviewStore, UnitOfWork
from drejebog.engine.clock import Clock
from drejebog.engine.deadlines import local_date
from drejebog.engine.model import CITIZEN_ROLE, Drejebog

MAX_CASES = 2000
NOBODY = "(ingen)"  # the worker column of a rule whose role nobody holds


class CaseLoader(UnitOfWork, Protocol):
    def load_cases(self, keys: Collection[int], lock: bool = False) -> dict[int, StoredCase]:
        """Several cases in one read, by store key."""
        ...


@dataclass(frozen=True)
class Overdue:
    case_id: int
    citizen: str
    drejebog_id: str
    rule: str
    title: str
    role: str
    worker: str  # NOBODY when nobody holds the role
    due_date: date
    days_over: int


@dataclass(frozen=True)
class Escalated:
    case_id: int
    citizen: str
    drejebog_id: str
    rule: str
    role: str
    worker: str
    count: int


@dataclass(frozen=True)
class Unassigned:
    case_id: int
    citizen: str
    drejebog_id: str
    role: str
    needed_for: str  # the titles of the deadlines and tasks that need the role


@dataclass(frozen=True)
class TeamOverview:
    overdue: tuple[Overdue, ...]  # most days over first
    escalated: tuple[Escalated, ...]
    unassigned: tuple[Unassigned, ...]
    overdue_by_worker: tuple[tuple[str, int], ...]  # most first
    overdue_by_drejebog: tuple[tuple[str, int], ...]
    escalated_by_worker: tuple[tuple[str, int], ...]
    escalated_by_drejebog: tuple[tuple[str, int], ...]
    cases: int
    truncated: bool  # the team has more than MAX_CASES open cases


def _rules(drejebog: Drejebog, state: str) -> dict[str, tuple[str, str]]:
    """The deadlines and tasks that can run in the state (its own, the whole case's and
    those events start): name -> (title, the role that owns it)."""
    found = drejebog.in_force(state)
    rules = {d.name: (d.title, d.owner) for d in found.deadlines}
    rules.update((t.name, (t.title, t.role)) for t in found.tasks)
    return rules


def _ranked(counter: Counter[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counter.items(), key=lambda item: (-item[1], item[0])))


def _case_items(
    case: TeamCase, stored: StoredCase, today: date
) -> tuple[list[Overdue], list[Escalated], list[Unassigned]]:
    snapshot = stored.snapshot
    rules = _rules(stored.drejebog, snapshot.state)
    holders: Mapping[str, str] = dict(case.assignments)
    overdue = []
    for name, pending in snapshot.open_rules.items():
        if pending.due_date is None or pending.due_date >= today or name not in rules:
            continue
        title, role = rules[name]
        overdue.append(
            Overdue(
                case.case_id,
                case.citizen,
                case.drejebog_id,
                name,
                title,
                role,
                holders.get(role, NOBODY),
                pending.due_date,
                (today - pending.due_date).days,
            )
        )
    escalated = []
    for name, count in case.escalations:
        if name not in snapshot.open_rules or name not in rules:
            continue  # met or lapsed since: history, not the team's work now
        role = rules[name][1]
        escalated.append(
            Escalated(
                case.case_id,
                case.citizen,
                case.drejebog_id,
                name,
                role,
                holders.get(role, NOBODY),
                count,
            )
        )
    needed: dict[str, list[str]] = {}
    for name in dict.fromkeys((*snapshot.open_rules, *snapshot.open_tasks)):
        if name in rules:
            title, role = rules[name]
            needed.setdefault(role, []).append(title)
    unassigned = [
        Unassigned(case.case_id, case.citizen, case.drejebog_id, role, ", ".join(titles))
        for role, titles in sorted(needed.items())
        if role not in holders and role != CITIZEN_ROLE
    ]
    return overdue, escalated, unassigned


class TeamOverviews:
    def __init__(
        self,
        store: TeamOverviewStore,
        access: CaseAccess,
        unit_of_work: Callable[[], CaseLoader],
        clock: Clock,
    ) -> None:
        self._store = store
        self._access = access
        self._unit_of_work = unit_of_work
        self._clock = clock

    def overview(self, handle: str, account_role: str) -> TeamOverview:
        if account_role != "leder":
            raise AccessDenied("kun en leder kan se teamets overblik")
        team = self._access.team(handle, account_role)
        cases = self._store.team_cases(tuple(m.id for m in team), MAX_CASES + 1)
        shown = cases[:MAX_CASES]
        with self._unit_of_work() as uow:
            stored = uow.load_cases([case.case_id for case in shown])
        today = local_date(self._clock.now())
        overdue: list[Overdue] = []
        escalated: list[Escalated] = []
        unassigned: list[Unassigned] = []
        for case in shown:
            if case.case_id not in stored:  # deleted since the list was read
                continue
            late, fired, free = _case_items(case, stored[case.case_id], today)
            overdue += late
            escalated += fired
            unassigned += free
        overdue.sort(key=lambda o: (-o.days_over, o.case_id, o.rule))
        by_worker: Counter[str] = Counter()
        by_drejebog: Counter[str] = Counter()
        for item in escalated:
            by_worker[item.worker] += item.count
            by_drejebog[item.drejebog_id] += item.count
        return TeamOverview(
            tuple(overdue),
            tuple(escalated),
            tuple(unassigned),
            _ranked(Counter(o.worker for o in overdue)),
            _ranked(Counter(o.drejebog_id for o in overdue)),
            _ranked(by_worker),
            _ranked(by_drejebog),
            len(shown),
            len(cases) > MAX_CASES,
        )
