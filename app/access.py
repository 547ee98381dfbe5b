"""Who may see a case, and the access log of every view and change made through the web app.

Team scoping: a worker sees a case they hold a role on. A sagsbehandler also sees the cases
of their leader's team (a case is the team's when a worker assigned to it is the leader or
has that leader); a leder sees their own team's cases. Any other view is refused
(AccessDenied) before anything is read or logged.

The access log (CPR-loven, GDPR art. 15): each view ('vis'), change ('ændr') and case found
by a CPR search ('søg', app/case_list.py) or listed behind a dashboard figure ('måltal')
is one row with who, when (UTC, from the injected
clock), the case, the citizen and where from. The port has no way to change or delete a row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from drejebog.app.as_seen import as_seen
from drejebog.app.cases import Assignment, CaseService, EventResult
from drejebog.app.notices import Channels
from drejebog.app.ports import (
    AccessEntry,
    AccessStore,
    CaseParties,
    CaseReads,
    CaseUnitOfWork,
    TeamMember,
)
from drejebog.engine.clock import Clock
from drejebog.engine.errors import CaseError
from drejebog.engine.model import CITIZEN_ROLE, Drejebog, Event
from drejebog.engine.runtime import CaseSnapshot
from drejebog.engine.shown import shown_name

VIEW = "vis"
CHANGE = "ændr"
SEARCH = "søg"  # a case found by its citizen's CPR number (app/case_list.py)
FIGURE = "måltal"  # a case listed behind a figure of the leader dashboard (web /maaltal)
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
class TaskForm:
    """An open task and the events allowed now that complete it (none: it closes when the
    case leaves its state)."""

    task: str
    title: str
    role: str
    events: tuple[EventForm, ...]


@dataclass(frozen=True)
class CaseView:
    details: dict[str, Any]  # as `drejebog case show --json` (CPR masked)
    forms: tuple[EventForm, ...]  # the events allowed in the case's state now
    lock_version: int  # the case as shown: a change sent from the page expects it
    tasks: tuple[TaskForm, ...]  # the open tasks, each with the events that complete it
    roles: tuple[str, ...]  # the roles a worker can be given (none on a closed case)
    team: tuple[TeamMember, ...]  # the workers the viewer can give one


def _event_form(drejebog: Drejebog, event: Event) -> EventForm:
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
    return EventForm(event.id, event.title, fields)


def event_forms(drejebog: Drejebog, state: str) -> tuple[EventForm, ...]:
    """The events allowed from `state`, each with the fields of its data."""
    return tuple(
        _event_form(drejebog, event) for event in drejebog.events.values() if state in event.sources
    )


def task_forms(drejebog: Drejebog, case: CaseSnapshot) -> tuple[TaskForm, ...]:
    """The case's open tasks, each with the events allowed now that complete it."""
    tasks = {task.name: task for task in drejebog.states[case.state].tasks}
    forms = []
    for name in case.open_tasks:
        task = tasks.get(name)
        if task is None:
            continue
        events = tuple(
            _event_form(drejebog, drejebog.events[event])
            for event in task.met_by
            if event in drejebog.events and case.state in drejebog.events[event].sources
        )
        forms.append(TaskForm(task.name, task.title, task.role, events))
    return tuple(forms)


def team_lead(viewer: TeamMember, account_role: str) -> int | None:
    """Whose team the viewer works in: their own as leder, their leader's as sagsbehandler
    (None: no team, only the cases they hold a role on)."""
    if account_role not in TEAM_ROLES:
        return None
    return viewer.id if account_role == "leder" else viewer.leader_id


class CaseAccess:
    """The case use cases of the web app: each checks team scoping first, then logs. A
    change made from a page may carry the lock version the page showed (app/as_seen.py)."""

    def __init__(
        self,
        store: AccessStore,
        reads: CaseReads,
        unit_of_work: Callable[[], CaseUnitOfWork],
        clock: Clock,
        channels: Channels | None = None,
    ) -> None:
        self._store = store
        self._reads = reads
        self._unit_of_work = unit_of_work
        self._clock = clock
        self._channels = channels

    def _service(self, parties: CaseParties, lock_version: int | None) -> CaseService:
        factory = as_seen(self._unit_of_work, parties.case_id, lock_version)
        return CaseService(factory, self._clock, self._channels)

    def _viewer(self, handle: str) -> TeamMember:
        viewer = self._store.team_member(handle)
        if viewer is None:
            raise AccessDenied(f"'{handle}' er ikke en medarbejder")
        return viewer

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

    def team(self, handle: str, account_role: str) -> tuple[TeamMember, ...]:
        """The workers a viewer may give a role on a case: their team (or only themselves)."""
        viewer = self._viewer(handle)
        lead = team_lead(viewer, account_role)
        members = {viewer.handle: viewer}
        if lead is not None:
            members.update((m.handle, m) for m in self._store.team(lead))
        return tuple(members[h] for h in sorted(members))

    def view(self, case_id: str, handle: str, account_role: str, source: str) -> CaseView:
        """The case as its page shows it, with a 'vis' row in the access log."""
        parties = self._allowed(case_id, handle, account_role)
        key = str(parties.case_id)
        details = self._reads.case_details(key, self._clock.now())
        with self._unit_of_work() as uow:
            stored = uow.load_case(key)
        drejebog = stored.drejebog
        closed = details["afsluttet"] is not None
        roles = tuple(sorted(r for r in drejebog.roles if r != CITIZEN_ROLE))
        view = CaseView(
            details,
            () if closed else event_forms(drejebog, stored.snapshot.state),
            stored.lock_version,
            () if closed else task_forms(drejebog, stored.snapshot),
            () if closed else roles,
            () if closed else self.team(handle, account_role),
        )
        self._log(parties, handle, VIEW, source)
        return view

    def apply_event(
        self,
        case_id: str,
        event: str,
        data: Mapping[str, object],
        handle: str,
        account_role: str,
        source: str,
        reason: str | None = None,
        lock_version: int | None = None,
    ) -> EventResult:
        """Apply an event as the worker (the history's actor); an 'ændr' row is logged when
        it changed the case. A refused event raises the engine's CaseError, a lost race or a
        case changed since `lock_version` ConcurrencyConflict; neither is logged, as nothing
        changed."""
        parties = self._allowed(case_id, handle, account_role)
        service = self._service(parties, lock_version)
        result = service.apply_event(str(parties.case_id), event, data, handle, reason=reason)
        self._log(parties, handle, CHANGE, source)
        return result

    def complete_task(
        self,
        case_id: str,
        task: str,
        event: str,
        data: Mapping[str, object],
        handle: str,
        account_role: str,
        source: str,
        reason: str | None = None,
        lock_version: int | None = None,
    ) -> EventResult:
        """Complete an open task by an event that completes it (its `opfyldes_af`), applied
        as `apply_event` does. A task that is not open, or an event that does not complete
        it, is a CaseError naming both."""
        parties = self._allowed(case_id, handle, account_role)
        key = str(parties.case_id)
        with self._unit_of_work() as uow:
            stored = uow.load_case(key)
        forms = {form.task: form for form in task_forms(stored.drejebog, stored.snapshot)}
        form = forms.get(task)
        if form is None:
            raise CaseError(key, f"opgaven '{shown_name(task)}' er ikke åben på sagen")
        if event not in {e.event for e in form.events}:
            raise CaseError(
                key,
                f"hændelsen '{shown_name(event)}' udfører ikke opgaven '{task}' nu; "
                f"det gør: {', '.join(e.event for e in form.events) or 'ingen i sagens tilstand'}",
            )
        return self.apply_event(
            key, event, data, handle, account_role, source, reason, lock_version
        )

    def assign(
        self,
        case_id: str,
        role: str,
        worker: str,
        handle: str,
        account_role: str,
        source: str,
        reason: str | None = None,
        lock_version: int | None = None,
    ) -> Assignment:
        """Give a worker of the viewer's team a role on the case (app/cases.py's `assign`,
        the viewer the history's actor); AccessDenied for a worker outside the team."""
        parties = self._allowed(case_id, handle, account_role)
        if not worker:
            raise CaseError(str(parties.case_id), "vælg den medarbejder, der skal have rollen")
        if worker not in {member.handle for member in self.team(handle, account_role)}:
            raise AccessDenied(
                f"'{shown_name(worker)}' er ikke i dit team; du kan kun tildele dit teams "
                "medarbejdere en rolle"
            )
        service = self._service(parties, lock_version)
        done = service.assign(str(parties.case_id), role, worker, handle, reason)
        if done.applied:
            self._log(parties, handle, CHANGE, source)
        return done

    def log_of(self, case_key: int) -> list[AccessEntry]:
        return self._store.access_log(case_key)
