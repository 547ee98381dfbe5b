"""The case list: a worker's team's cases, filtered (drejebog, state, worker, overdue) and
searched (part of the citizen's name, or the full CPR number), a bounded page at a time.

Scoping is the case page's (app/access.py): a worker sees the cases of their leader's team, a
leder their own team's, anyone else the cases they hold a role on; the store narrows to them
through the assignments' worker index before any other filter. A case is overdue when one of
its open tasks is past its due date (today in Copenhagen).

The list shows the CPR number masked only. A search by CPR number finds a person: it writes
an access log row ('søg') for every case it shows, as viewing the case would. So does the
list of the cases behind a figure of the leader dashboard ('måltal'): it names the citizens
whose cases make a figure, so each case it shows is logged as seen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from drejebog.app.access import FIGURE, SEARCH, TEAM_ROLES
from drejebog.app.ports import (
    AccessEntry,
    AccessStore,
    CaseListQuery,
    CaseListStore,
    ListedCase,
    Scope,
)
from drejebog.engine.clock import Clock
from drejebog.engine.cpr import parse_cpr
from drejebog.engine.deadlines import local_date
from drejebog.engine.errors import DrejebogError

PAGE_SIZE = 25
MAX_PAGE = 400  # PAGE_SIZE * MAX_PAGE cases at most are reachable by paging; filter instead
MAX_SEARCH = 100  # characters of a name search
_CPR_LIKE = re.compile(r"^[0-9][0-9 -]*$")


class CaseListError(ValueError):
    """A filter or search the case list cannot use (a bad CPR number, a partial one, a page
    out of range). Its message says which field and why. Not a DrejebogError (engine/errors.py
    draws that tree): like AccessDenied, it is the web app's to answer, with 400."""


@dataclass(frozen=True)
class CaseFilter:
    drejebog: str | None = None
    state: str | None = None
    worker: str | None = None  # a handle: cases where the worker holds a role
    overdue: bool = False
    search: str = ""  # part of the citizen's name, or a full CPR number
    closed: bool = False  # also closed cases
    page: int = 1
    case_ids: tuple[int, ...] | None = None  # only these (the cases behind a KPI figure)
    version: str | None = None  # of the drejebog: the cases running on that version


@dataclass(frozen=True)
class CaseListPage:
    cases: tuple[ListedCase, ...]
    page: int
    has_next: bool
    searched_cpr: bool


def _search_terms(search: str) -> tuple[str | None, str | None]:
    """(name, cpr) from the search box; a CPR number must be whole."""
    text = " ".join(search.split())
    if not text:
        return None, None
    if len(text) > MAX_SEARCH:
        raise CaseListError(f"søgningen er {len(text)} tegn lang; højst {MAX_SEARCH} er tilladt")
    if _CPR_LIKE.match(text):
        try:
            return None, parse_cpr(text.replace(" ", "")).formatted
        except DrejebogError as exc:
            raise CaseListError(f"søgning på CPR-nummer: {exc} (søg på hele nummeret)") from exc
    if any(c.isdigit() for c in text):
        raise CaseListError("søg på et navn eller et helt CPR-nummer (DDMMÅÅ-XXXX), ikke på dele")
    return text, None


class CaseList:
    def __init__(self, store: CaseListStore, access: AccessStore, clock: Clock) -> None:
        self._store = store
        self._access = access
        self._clock = clock

    def scope(self, handle: str, account_role: str) -> Scope:
        member = self._access.team_member(handle)
        if member is None:
            return Scope(())
        lead = member.id if account_role == "leder" else member.leader_id
        if account_role not in TEAM_ROLES or lead is None:
            return Scope((member.id,))
        return Scope(tuple(sorted({member.id, *self._store.team_ids(lead)})))

    def cases(
        self, wanted: CaseFilter, handle: str, account_role: str, source: str
    ) -> CaseListPage:
        if not 1 <= wanted.page <= MAX_PAGE:
            raise CaseListError(f"siden skal være et tal fra 1 til {MAX_PAGE}")
        name, cpr = _search_terms(wanted.search)
        now = self._clock.now()
        query = CaseListQuery(
            scope=self.scope(handle, account_role),
            drejebog=wanted.drejebog or None,
            version=wanted.version or None,
            state=wanted.state or None,
            worker=wanted.worker or None,
            today=local_date(now),
            overdue=wanted.overdue,
            name=name,
            cpr=cpr,
            closed=wanted.closed,
            limit=PAGE_SIZE + 1,
            offset=(wanted.page - 1) * PAGE_SIZE,
            case_ids=wanted.case_ids,
        )
        rows = self._store.list_cases(query) if query.scope.worker_ids else []
        shown = tuple(rows[:PAGE_SIZE])
        action = SEARCH if cpr is not None else FIGURE if wanted.case_ids is not None else None
        if action is not None:
            for case in shown:
                self._access.log_access(
                    AccessEntry(now, handle, case.case_id, case.citizen_id, action, source[:64])
                )
        return CaseListPage(shown, wanted.page, len(rows) > PAGE_SIZE, cpr is not None)
