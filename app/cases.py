"""The case service: the pure runtime wrapped in a unit of work and a clock.

One call is one transaction. A refused event raises before anything is written; a conflict
with a concurrent writer raises ConcurrencyConflict and writes nothing. An event id makes an
event idempotent: the second application of the same id changes nothing and says so.

Every manual change (opening, an event, an assignment, a migration) is one history row with
who and when, and may carry a reason (`begrundelse`) in its data. An assignment is a change of
the case like an event: it bumps the case's lock version, so a concurrent change conflicts.
"""

from __future__ import annotations

import difflib
import unicodedata
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from drejebog.app.notices import Channels, TaskMessages, compose_task_messages
from drejebog.app.ports import SYSTEM_ACTOR as SYSTEM_ACTOR
from drejebog.app.ports import CaseUnitOfWork, HistoryNote
from drejebog.engine.clock import Clock
from drejebog.engine.cpr import mask_cpr_in_text
from drejebog.engine.errors import (
    CaseError,
    ConcurrencyConflict,
    EventIdReused,
    MigrationRefused,
    NotFound,
)
from drejebog.engine.fields import IDENTIFIER
from drejebog.engine.model import CITIZEN_ROLE, Drejebog
from drejebog.engine.runtime import CaseRuntime, Record, Step
from drejebog.engine.shown import SHOWN_NAME, shown_name

MAX_REASON = 2000  # characters of a --begrundelse; the history keeps it in full
MAX_NAME = 64  # a worker handle's and a role's column length (store/tables.py)


@dataclass(frozen=True)
class EventResult:
    case_id: str
    event: str
    event_id: str
    applied: bool  # False: this event id was applied before; nothing changed now
    from_state: str
    to_state: str
    records: tuple[Record, ...] = ()


@dataclass(frozen=True)
class MigratedCase:
    case_id: str
    from_version: str
    to_version: str
    from_state: str
    to_state: str
    timers_planned: int


@dataclass(frozen=True)
class Assignment:
    case_id: str
    role: str
    previous: str | None  # who held the role before (None: nobody)
    worker: str
    applied: bool  # False: the worker already held the role; nothing changed


@dataclass(frozen=True)
class OpenedCase:
    case_id: str
    state: str
    records: tuple[Record, ...]


_RUNTIMES: dict[str, CaseRuntime] = {}


def runtime_for(drejebog: Drejebog) -> CaseRuntime:
    """One runtime (and so one transitions machine) per drejebog version."""
    runtime = _RUNTIMES.get(drejebog.content_hash)
    if runtime is None or runtime.drejebog is not drejebog:
        runtime = CaseRuntime(drejebog)
        _RUNTIMES[drejebog.content_hash] = runtime
    return runtime


def _history_data(
    step: Step, data: Mapping[str, object], reason: str | None = None
) -> dict[str, object]:
    written: dict[str, object] = {
        "data": {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items()},
        "records": [_record_data(r) for r in step.records],
        "results": [
            {"rule": r.rule, "outcome": r.outcome, "in_time": r.in_time} for r in step.results
        ],
    }
    return _with_reason(written, reason)


def _record_data(record: Record) -> dict[str, object]:
    """A record in a history row; a report-back on a fixed duty also says til tiden / for
    sent and for which due date."""
    data: dict[str, object] = {"kind": record.kind, "name": record.name, "role": record.role}
    if record.kind == "checkin" and record.due_date is not None:
        data["step"] = record.step
        data["due"] = record.due_date.isoformat()
    if record.kind == "appointment":  # booket / flyttet / aflyst, and the new local time
        data["step"] = record.step
        data["tidspunkt"] = (
            record.appointment.isoformat(sep=" ", timespec="minutes")
            if record.appointment
            else None
        )
    return data


def _with_reason(data: dict[str, object], reason: str | None) -> dict[str, object]:
    """A history row's data with the reason given for a manual change (`begrundelse`)."""
    if reason:
        data["begrundelse"] = reason
    return data


def checked_reason(case_id: str, reason: str | None) -> str | None:
    """A --begrundelse as stored: one line (runs of white space, line breaks included, become
    one space), None when empty; refused when over-long or holding a control character or a
    byte that is not UTF-8 (a lone surrogate), which no database column can keep."""
    text = " ".join((reason or "").split())
    if len(text) > MAX_REASON:
        raise CaseError(
            case_id, f"begrundelsen er {len(text)} tegn lang; højst {MAX_REASON} tegn er tilladt"
        )
    bad = next((c for c in text if unicodedata.category(c) in ("Cc", "Cs")), None)
    if bad is not None:
        raise CaseError(
            case_id,
            f"begrundelsen indeholder et ugyldigt tegn (U+{ord(bad):04X}) ved position "
            f"{text.index(bad) + 1}; skriv den som almindelig tekst",
        )
    return text or None


def check_handle(handle: str) -> None:
    """Refuse, without asking the store, a worker handle no worker can have (handles are
    identifiers of at most MAX_NAME characters, app/admin.py): NotFound, as for an unknown
    one, and a database never sees a string its column or encoding refuses."""
    if len(handle) > MAX_NAME or not IDENTIFIER.match(handle):
        raise NotFound("medarbejder", shown_name(handle), " (se 'drejebog worker list')")


def suggestion(name: str, known: list[str]) -> str:
    """' (mente du 'x'?)' for the known name closest to `name`, else ''."""
    if len(name) > 2 * SHOWN_NAME:
        return ""
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f" (mente du '{close[0]}'?)" if close else ""


def check_role(case_id: str, drejebog: Drejebog, role: str) -> None:
    """Refuse a role the case's drejebog does not know (built-in or declared under 'roller'),
    and the citizen's role, which no worker holds."""
    staff = sorted(r for r in drejebog.roles if r != CITIZEN_ROLE)
    if role == CITIZEN_ROLE:
        raise CaseError(
            case_id, f"rollen '{CITIZEN_ROLE}' er borgerens og kan ikke tildeles en medarbejder"
        )
    if role not in staff:
        raise CaseError(
            case_id,
            f"ukendt rolle '{shown_name(role)}' i drejebogen '{drejebog.id}'"
            f"{suggestion(role, staff)}; kendte roller: {', '.join(staff)}",
        )


MAX_EVENT_ID = 100  # characters; the history's event_id column (store/tables.py)


def check_event_id(case_id: str, event_id: str) -> None:
    """An event id the store can keep and show: not empty, not too long, no CPR number."""
    if not event_id.strip():
        raise CaseError(case_id, "hændelses-id'et er tomt")
    if len(event_id) > MAX_EVENT_ID:
        raise CaseError(
            case_id, f"hændelses-id'et er {len(event_id)} tegn; højst {MAX_EVENT_ID} er tilladt"
        )
    if mask_cpr_in_text(event_id) != event_id:
        # an id is shown and logged wherever the event is: no place for a person's number
        raise CaseError(
            case_id,
            "hændelses-id'et ligner et CPR-nummer (10 cifre); brug et id uden personnumre",
        )


class CaseService:
    def __init__(
        self,
        unit_of_work: Callable[[], CaseUnitOfWork],
        clock: Clock,
        channels: Channels | None = None,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._clock = clock
        # the channels set up (app/notices.py): a task's message goes out on them; without
        # any, a worker still gets it in the inbox and a citizen gets none
        self._channels = channels or Channels()

    def _task_messages(
        self, uow: CaseUnitOfWork, drejebog: Drejebog, step: Step, now: datetime
    ) -> TaskMessages:
        """The messages of the tasks `step` creates. The caller writes them to the outbox in
        the change's own transaction, after the case row: the change and its messages are
        committed together or not at all, and an event id applied before returns before
        this is reached (its history row's event id is UNIQUE), so each is written once."""
        if not any(record.kind == "task" for record in step.records):
            return TaskMessages([], [], [], [])
        key = int(step.case.id)
        return compose_task_messages(
            uow.directory([key]), drejebog, key, step.case, step, now, self._channels
        )

    def open_case(
        self,
        citizen_ref: str,
        drejebog_id: str,
        actor: str,
        facts: Mapping[str, object] | None = None,
        assignments: Mapping[str, str] | None = None,
        reason: str | None = None,
    ) -> OpenedCase:
        now = self._clock.now()
        reason = checked_reason("(ny)", reason)
        with self._unit_of_work() as uow:
            version_key, drejebog = uow.latest_drejebog(drejebog_id)
            for role, worker in (assignments or {}).items():
                check_role("(ny)", drejebog, role)
                check_handle(worker)
            case_id, citizen_name = uow.create_case(citizen_ref, version_key, drejebog_id, now)
            for role, worker in (assignments or {}).items():
                uow.assign(case_id, role, worker)
            runtime = runtime_for(drejebog)
            step = runtime.open_case(case_id, now, facts or {}, citizen_name)
            stored = uow.load_case(case_id)
            messages = self._task_messages(uow, drejebog, step, now)
            note = HistoryNote(
                now,
                actor,
                "åbnet",
                to_state=step.case.state,
                data={**_history_data(step, facts or {}, reason), **messages.history_data()},
            )
            uow.save_step(stored, step, note)
            uow.write_outbox(messages.rows)
            uow.commit()
        return OpenedCase(case_id, step.case.state, tuple(step.records))

    def apply_event(
        self,
        case_id: str,
        event: str,
        data: Mapping[str, object],
        actor: str,
        event_id: str | None = None,
        reason: str | None = None,
    ) -> EventResult:
        reason = checked_reason(case_id, reason)
        if event_id is not None:
            check_event_id(case_id, event_id)
        given_id = event_id is not None
        event_id = event_id or uuid.uuid4().hex
        now = self._clock.now()
        try:
            with self._unit_of_work() as uow:
                # a freshly generated uuid cannot have been applied before: no query needed
                result = self.apply_within(
                    uow, case_id, event, data, actor, event_id, given_id, reason, now
                )
                if result.applied:
                    uow.commit()
        except ConcurrencyConflict:
            # the winner may have been this very event id, sent twice at once
            with self._unit_of_work() as uow:
                duplicate = self._duplicate(uow, case_id, event, event_id)
            if duplicate is not None:
                return duplicate
            raise
        return result

    def apply_within(
        self,
        uow: CaseUnitOfWork,
        case_id: str,
        event: str,
        data: Mapping[str, object],
        actor: str,
        event_id: str,
        check_duplicate: bool,
        reason: str | None,
        now: datetime,
    ) -> EventResult:
        """Apply one event inside the caller's unit of work, which commits: `apply_event`
        for one event, an import for a batch (each event in its own savepoint). The checks
        are the same whichever way an event comes in."""
        duplicate = self._duplicate(uow, case_id, event, event_id) if check_duplicate else None
        if duplicate is not None:
            return duplicate
        stored = uow.load_case(case_id)
        runtime = runtime_for(stored.drejebog)
        step = runtime.apply(stored.snapshot, event, data, now)
        messages = self._task_messages(uow, stored.drejebog, step, now)
        note = HistoryNote(
            now,
            actor,
            "hændelse",
            event=event,
            event_id=event_id,
            from_state=stored.snapshot.state,
            to_state=step.case.state,
            data={**_history_data(step, data, reason), **messages.history_data()},
        )
        uow.save_step(stored, step, note)
        uow.write_outbox(messages.rows)
        return EventResult(
            case_id,
            event,
            event_id,
            True,
            stored.snapshot.state,
            step.case.state,
            tuple(step.records),
        )

    def migrate(
        self,
        drejebog_id: str,
        to_version: str,
        actor: str,
        state_map: Mapping[str, str] | None = None,
        dry_run: bool = False,
        reason: str | None = None,
    ) -> list[MigratedCase]:
        """Move every running case of a drejebog onto `to_version`, all or nothing.

        A case's state is kept when the new version has it, or mapped with `state_map`;
        when any case's state has no place in the new version, nothing changes and
        MigrationRefused lists those cases; when every running case already runs
        `to_version` there is nothing to move, and MigrationRefused says so. Timers due before
        now stay with the old version; the rest are planned again under the new one. The
        history records each move.
        """
        mapping = dict(state_map or {})
        reason = checked_reason("-", reason)
        now = self._clock.now()
        with self._unit_of_work() as uow:
            target_key, target = uow.drejebog_by_version(drejebog_id, to_version)
            unknown = sorted(set(mapping.values()) - set(target.states))
            if unknown:
                raise MigrationRefused(
                    "-",
                    f"--map peger på tilstande, som version {to_version} ikke har: "
                    + ", ".join(unknown),
                )
            every_running = uow.running_cases(drejebog_id)
            running = [c for c in every_running if c[1] != target_key]
            if every_running and not running:
                raise MigrationRefused(
                    every_running[0][0],
                    f"alle {len(every_running)} kørende sag(er) på '{drejebog_id}' kører "
                    f"allerede version {to_version}; intet er flyttet",
                )
            homeless = [
                (case_id, state)
                for case_id, _, state in running
                if mapping.get(state, state) not in target.states
            ]
            if homeless:
                listed = ", ".join(f"sag {c} ({s})" for c, s in homeless[:20])
                more = f" og {len(homeless) - 20} flere" if len(homeless) > 20 else ""
                raise MigrationRefused(
                    homeless[0][0],
                    f"intet er flyttet: {len(homeless)} sag(er) står i en tilstand, som version "
                    f"{to_version} ikke har: {listed}{more}; angiv --map gammel=ny",
                )
            runtime = runtime_for(target)
            moved: list[MigratedCase] = []
            for case_id, _, state in running:
                stored = uow.load_case(case_id)
                new_state = mapping.get(state, state)
                step = runtime.migrate(stored.snapshot, stored.drejebog, new_state, now)
                moved.append(
                    MigratedCase(
                        case_id,
                        stored.drejebog.version,
                        to_version,
                        state,
                        new_state,
                        len(step.schedule),
                    )
                )
                # the tasks the new version adds to the state: their messages, as an event's
                messages = self._task_messages(uow, target, step, now)
                note = HistoryNote(
                    now,
                    actor,
                    "migrering",
                    from_state=state,
                    to_state=new_state,
                    data={
                        **_with_reason(
                            {
                                "fra_version": stored.drejebog.version,
                                "til_version": to_version,
                                "tilstande": mapping,
                            },
                            reason,
                        ),
                        **messages.history_data(),
                    },
                )
                uow.save_step(stored, step, note, version_key=target_key)
                uow.write_outbox(messages.rows)
            if not dry_run:
                uow.commit()
        return moved

    def assign(
        self, case_id: str, role: str, worker: str, actor: str, reason: str | None = None
    ) -> Assignment:
        """Give a worker a role on a case (replacing whoever held it), as an audited change
        in one transaction: the case's lock version is bumped (a concurrent change of the case
        is a ConcurrencyConflict and nothing is written), one history row 'tildeling' records
        who, when, the role, from whom to whom and the reason. A role the case's drejebog does
        not know is refused with the closest known one suggested. Raises NotFound."""
        reason = checked_reason(case_id, reason)
        check_handle(worker)
        now = self._clock.now()
        with self._unit_of_work() as uow:
            stored = uow.load_case(case_id)
            check_role(stored.snapshot.id, stored.drejebog, role)
            if stored.drejebog.states[stored.snapshot.state].final:
                raise CaseError(
                    stored.snapshot.id, "sagen er afsluttet; dens tildelinger ændres ikke længere"
                )
            uow.worker_id(worker)  # NotFound before anything is written
            previous = uow.assignee(case_id, role)
            if previous == worker:
                return Assignment(stored.snapshot.id, role, previous, worker, False)
            note = HistoryNote(
                now,
                actor,
                "tildeling",
                data=_with_reason({"rolle": role, "fra": previous, "til": worker}, reason),
            )
            # the case row first (its lock checked and held), then the assignment row: a
            # concurrent assignment waits for the case row and then conflicts on its lock
            uow.save_step(stored, Step(stored.snapshot), note)
            uow.assign(case_id, role, worker)
            uow.commit()
        return Assignment(stored.snapshot.id, role, previous, worker, True)

    @staticmethod
    def _duplicate(
        uow: CaseUnitOfWork, case_id: str, event: str, event_id: str
    ) -> EventResult | None:
        applied = uow.applied_event(event_id)
        if applied is None:
            return None
        if applied.case_id != case_id or applied.event != event:
            raise EventIdReused(
                case_id, event_id, f"hændelsen '{applied.event}' på sag {applied.case_id}"
            )
        state = uow.load_case(case_id).snapshot.state
        return EventResult(case_id, event, event_id, False, state, state)
