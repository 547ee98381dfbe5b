"""Who may see a case, and the access log of every view and change made through the web app.

Team scoping: a worker sees a case they hold a role on. A sagsbehandler also sees the cases
of their leader's team (a case is the team's when a worker assigned to it is the leader or
has that leader); a leder sees their own team's cases. Any other view is refused
(AccessDenied) before anything is read or logged.

The access log (CPR-loven, GDPR art. 15): each view ('vis'), change ('ændr') and case found
by a CPR search ('søg', app/case_list.py) is one row with who, when (UTC, from the injected
clock), the case, the citizen and where from. The port has no way to change or delete a row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from drejebog.app.cases import CaseService, EventResult
from drejebog.app.ports import (
    AccessEntry,
    AccessStore,
    CaseParties,
    CaseReads,
    CaseUnitOfWork,
    TeamMember,
)
from drejebog.engine.clock import Clock
from drejebog.engine.model import Drejebog

VIEW = "vis"
CHANGE = "ændr"
SEARCH = "søg"  # a case found by its citizen's CPR number (app/case_list.py)
TEAM_ROLES = ("sagsbehandler", "leder")  # the account roles that see a team's cases


class AccessDenied(PermissionError):
    """A worker asked for a case outside their team. Not a DrejebogError (engine/errors.py
    draws that tree); the web app answers it with 403."""


def may_see(viewer: TeamMember, account_role: str, parties: CaseParties) -> bool:
    if any(worker.id == viewer.id for worker in parties.workers):
        return True
    if account_role not in TEAM_ROLES:
        return False
    lead = viewer.id if account_role == "leder" else viewer.leader_id
    if lead is None:
        return False
    return any(w.id == lead or w.leader_id == lead for w in parties.workers)


@dataclass(frozen=True)
class EventField:
    """One input of an event's form, from the drejebog's fact of that name."""

    name: str
    title: str
    type: str  # the fact type: dato, valg, ja_nej, tal, tekst
    values: tuple[str, ...]  # a 'valg' fact's choices
    required: bool


@dataclass(frozen=True)
class EventForm:
    event: str
    title: str
    fields: tuple[EventField, ...]


@dataclass(frozen=True)
class CaseView:
    details: dict[str, Any]  # as `drejebog case show --json` (CPR masked)
    forms: tuple[EventForm, ...]  # the events allowed in the case's state now


def event_forms(drejebog: Drejebog, state: str) -> tuple[EventForm, ...]:
    """The events allowed from `state`, each with the fields of its data."""
    forms = []
    for event in drejebog.events.values():
        if state not in event.sources:
            continue
        fields = tuple(
            EventField(
                name,
                drejebog.facts[name].title,
                drejebog.facts[name].type.value,
                drejebog.facts[name].values,
                required,
            )
            for names, required in ((event.data, True), (event.optional_data, False))
            for name in names
            if name in drejebog.facts
        )
        forms.append(EventForm(event.id, event.title, fields))
    return tuple(forms)


class CaseAccess:
    """The case use cases of the web app: each checks team scoping first, then logs."""

    def __init__(
        self,
        store: AccessStore,
        reads: CaseReads,
        cases: CaseService,
        unit_of_work: Callable[[], CaseUnitOfWork],
        clock: Clock,
    ) -> None:
        self._store = store
        self._reads = reads
        self._cases = cases
        self._unit_of_work = unit_of_work
        self._clock = clock

    def _allowed(self, case_id: str, handle: str, account_role: str) -> CaseParties:
        """The case's parties; NotFound for an unknown case, AccessDenied outside the team."""
        parties = self._store.case_parties(case_id)
        viewer = self._store.team_member(handle)
        if viewer is None or not may_see(viewer, account_role, parties):
            raise AccessDenied(
                f"du har ikke adgang til sag {parties.case_id}: den hører ikke til dit team"
            )
        return parties

    def _log(self, parties: CaseParties, handle: str, action: str, source: str) -> None:
        entry = AccessEntry(
            self._clock.now(), handle, parties.case_id, parties.citizen_id, action, source[:64]
        )
        self._store.log_access(entry)

    def view(self, case_id: str, handle: str, account_role: str, source: str) -> CaseView:
        """The case as its page shows it, with a 'vis' row in the access log."""
        parties = self._allowed(case_id, handle, account_role)
        key = str(parties.case_id)
        details = self._reads.case_details(key, self._clock.now())
        with self._unit_of_work() as uow:
            stored = uow.load_case(key)
        closed = details["afsluttet"] is not None
        forms = () if closed else event_forms(stored.drejebog, stored.snapshot.state)
        self._log(parties, handle, VIEW, source)
        return CaseView(details, forms)

    def apply_event(
        self,
        case_id: str,
        event: str,
        data: Mapping[str, object],
        handle: str,
        account_role: str,
        source: str,
        reason: str | None = None,
    ) -> EventResult:
        """Apply an event as the worker (the history's actor); an 'ændr' row is logged when
        it changed the case. A refused event raises the engine's CaseError, a lost race
        ConcurrencyConflict; neither is logged, as nothing changed."""
        parties = self._allowed(case_id, handle, account_role)
        result = self._cases.apply_event(str(parties.case_id), event, data, handle, reason=reason)
        self._log(parties, handle, CHANGE, source)
        return result

    def log_of(self, case_key: int) -> list[AccessEntry]:
        return self._store.access_log(case_key)
