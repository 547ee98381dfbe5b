"""What an integration (a system with an API token, app/api_tokens.py) may see and do: the web
app's use cases (app/access.py, app/case_list.py) with the token in the worker's place.

A token scoped to a team reaches exactly the cases that team's leader would (app/access.py's
rule for a leder); a token for every team reaches every case. The actor of every change and
every access-log row is the integration (`api:<name>`), with the caller's address as its
source. A refused case is AccessDenied before anything is read or logged, as on the web.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from drejebog.app.access import CHANGE, AccessDenied, CaseAccess, may_see
from drejebog.app.api_tokens import Integration
from drejebog.app.case_list import CaseList
from drejebog.app.cases import CaseService, EventResult, OpenedCase
from drejebog.app.notices import Channels
from drejebog.app.ports import (
    AccessStore,
    ApiTokenStore,
    CaseListStore,
    CaseParties,
    CaseReads,
    CaseUnitOfWork,
    Scope,
    TaskView,
    TeamMember,
    WorkerListing,
)
from drejebog.engine.clock import Clock
from drejebog.engine.shown import shown_name

INTEGRATION_ROLE = "integration"  # the account role CaseAccess is told: no worker's
MAX_TASKS = 1000  # open tasks in one answer; filter by worker, role or overdue for fewer


@dataclass(frozen=True)
class Reach:
    """The integration's team as team scoping needs it: the leader (None: every team)."""

    lead: TeamMember | None


class IntegrationAccess(CaseAccess):
    """CaseAccess for an integration: the same use cases, scoped by the token."""

    def __init__(
        self,
        store: AccessStore,
        reads: CaseReads,
        unit_of_work: Callable[[], CaseUnitOfWork],
        clock: Clock,
        channels: Channels | None,
        integration: Integration,
        everyone: Callable[[], list[WorkerListing]],
    ) -> None:
        super().__init__(store, reads, unit_of_work, clock, channels)
        self.integration = integration
        self._everyone = everyone
        self._reach: Reach | None = None

    def reach(self) -> Reach:
        if self._reach is None:
            lead_handle = self.integration.team_lead
            lead = None if lead_handle is None else self._store.team_member(lead_handle)
            if lead_handle is not None and lead is None:  # the leader is gone: reach nothing
                lead = TeamMember(-1, lead_handle, None)
            self._reach = Reach(lead)
        return self._reach

    def sees(self, parties: CaseParties) -> bool:
        lead = self.reach().lead
        return lead is None or may_see(lead, "leder", parties)

    def _allowed(self, case_id: str, handle: str, account_role: str) -> CaseParties:
        parties = self._store.case_parties(case_id)
        if not self.sees(parties):
            raise AccessDenied(
                f"integrationen '{self.integration.name}' har ikke adgang til sag "
                f"{parties.case_id}: den hører ikke til tokenets team"
            )
        return parties

    def team(self, handle: str, account_role: str) -> tuple[TeamMember, ...]:
        """The workers the integration reaches: the team's, or every worker."""
        lead = self.reach().lead
        if lead is None:
            return tuple(TeamMember(0, w.handle, None) for w in self._everyone())
        return tuple(self._store.team(lead.id))

    def handles(self) -> set[str]:
        return {member.handle for member in self.team("", INTEGRATION_ROLE)}

    def require_worker(self, handle: str) -> None:
        if handle not in self.handles():
            raise AccessDenied(f"medarbejderen '{shown_name(handle)}' er ikke i tokenets team")

    def apply_event_by_id(
        self,
        case_id: str,
        event: str,
        data: Mapping[str, object],
        source: str,
        event_id: str | None,
        reason: str | None,
        lock_version: int | None,
    ) -> EventResult:
        """`apply_event` with the integration's own event id (a resent event changes
        nothing: the second answer says it was applied before, and logs nothing)."""
        parties = self._allowed(case_id, self.integration.actor, INTEGRATION_ROLE)
        service = self._service(parties, lock_version)
        result = service.apply_event(
            str(parties.case_id), event, data, self.integration.actor, event_id, reason
        )
        if result.applied:
            self._log(parties, self.integration.actor, CHANGE, source)
        return result

    def open_case(
        self,
        cpr: str,
        drejebog_id: str,
        facts: Mapping[str, object],
        assignments: Mapping[str, str],
        reason: str | None,
        source: str,
    ) -> OpenedCase:
        """Open a case for a citizen; a token for one team must give one of its workers a
        role on it (else the integration could not see the case it opened)."""
        lead = self.reach().lead
        if lead is not None:
            if not assignments:
                raise AccessDenied(
                    "et token for ét team skal give en af teamets medarbejdere en rolle på sagen"
                )
            for worker in assignments.values():
                self.require_worker(worker)
        service = CaseService(self._unit_of_work, self._clock, self._channels)
        opened = service.open_case(
            cpr, drejebog_id, self.integration.actor, facts, assignments, reason
        )
        self._log(self._store.case_parties(opened.case_id), self.integration.actor, CHANGE, source)
        return opened

    def visible_tasks(self, tasks: list[TaskView]) -> list[TaskView]:
        """The tasks on cases the integration reaches (each case asked once), at most
        MAX_TASKS."""
        if self.reach().lead is None:
            return tasks[:MAX_TASKS]
        seen: dict[int, bool] = {}
        shown: list[TaskView] = []
        for task in tasks:
            if task.case_id not in seen:
                seen[task.case_id] = self.sees(self._store.case_parties(str(task.case_id)))
            if seen[task.case_id]:
                shown.append(task)
                if len(shown) == MAX_TASKS:
                    break
        return shown


class IntegrationCaseList(CaseList):
    """The case list scoped by the token: its team's workers' cases, or every worker's."""

    def __init__(
        self,
        store: CaseListStore,
        access: AccessStore,
        clock: Clock,
        tokens: ApiTokenStore,
        integration: Integration,
    ) -> None:
        super().__init__(store, access, clock)
        self._tokens = tokens
        self._integration = integration

    def scope(self, handle: str, account_role: str) -> Scope:
        lead_handle = self._integration.team_lead
        if lead_handle is None:
            return Scope(self._tokens.all_worker_ids())
        lead = self._access.team_member(lead_handle)
        if lead is None:
            return Scope(())
        return Scope(tuple(sorted({lead.id, *self._store.team_ids(lead.id)})))
