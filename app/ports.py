"""What the use cases need from storage, as protocols the store implements.

One unit of work is one transaction: everything written through it lands together on
`commit()`, or not at all. `CaseUnitOfWork` is what the case service needs (open a case,
apply an event, migrate); `FiringUnitOfWork` is what the daemon's sweep needs (claim due
timers, fire them, write their notifications). The SQL store (store/) implements both for
SQLite and PostgreSQL; an in-memory store implements them for tests.

Errors: an implementation raises the engine's errors, never a driver's: `ConcurrencyConflict`
for a lost race (a stale lock version, a lock timeout, a deadlock, a serialization failure:
trying again can help) and `StoreError` for a write the database refuses or a failure.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol, Self, TypedDict

from drejebog.app.recipients import Directory, StaffMember
from drejebog.engine.model import Drejebog
from drejebog.engine.runtime import CaseSnapshot, Step
from drejebog.engine.timers import Timer

SYSTEM_ACTOR = "system"  # who acts when nobody typed a command: the daemon, a migration


@dataclass(frozen=True)
class StoredCase:
    snapshot: CaseSnapshot
    drejebog: Drejebog
    version_key: int  # the store's id of the drejebog version the case runs on
    lock_version: int  # optimistic lock: the save fails if someone saved in between


@dataclass(frozen=True)
class HistoryNote:
    """One append-only history row: who, when, what, from -> to, and the data."""

    at: datetime
    actor: str
    kind: str  # åbnet, hændelse, timer, tildeling, migrering
    event: str | None = None
    event_id: str | None = None
    from_state: str | None = None
    to_state: str | None = None
    data: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class AppliedEvent:
    case_id: str
    event: str | None


class UnitOfWork(Protocol):
    """One transaction, used as a with-block: what is not committed is rolled back."""

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc_info: object) -> None:
        """Roll back whatever was not committed."""

    def commit(self) -> None: ...


class CaseUnitOfWork(UnitOfWork, Protocol):
    """What the case service needs from storage: one instance, one transaction."""

    def savepoint(self) -> AbstractContextManager[None]:
        """A nested transaction: kept when the block ends normally, rolled back (and the
        exception passed on) when it raises. An import runs each event in one."""
        ...

    def latest_drejebog(self, drejebog_id: str) -> tuple[int, Drejebog]:
        """The newest stored version: (version key, drejebog). Raises NotFound."""
        ...

    def create_case(
        self, citizen_ref: str, version_key: int, drejebog_id: str, at: datetime
    ) -> tuple[str, str]:
        """Insert an empty case row for the citizen; returns (case id, citizen name)."""
        ...

    def assign(self, case_id: str, role: str, worker_ref: str) -> None:
        """Assign a worker (by handle) to a role on the case, replacing whoever held it.
        Raises NotFound. Writes only the assignment: the case service records the change
        (lock version, history) through `save_step`."""
        ...

    def assignee(self, case_id: str, role: str) -> str | None:
        """The handle of the worker holding the role on the case (None: nobody)."""
        ...

    def worker_id(self, handle: str) -> int:
        """A worker's store key. Raises NotFound."""
        ...

    def drejebog_version_keys(self) -> list[int]:
        """The keys of every stored drejebog version, oldest first."""
        ...

    def drejebog_version(self, version_key: int) -> Drejebog:
        """The stored drejebog version with this key."""
        ...

    def load_case(self, case_id: str) -> StoredCase:
        """The case as stored. Raises NotFound."""
        ...

    def applied_event(self, event_id: str) -> AppliedEvent | None: ...

    def save_step(
        self, case: StoredCase, step: Step, note: HistoryNote, version_key: int | None = None
    ) -> None:
        """Write the step: case row (only if lock_version still matches, else raise
        ConcurrencyConflict), timers cancelled and created, tasks, one history row.
        `version_key` moves the case onto another stored drejebog version (a migration)."""
        ...

    def drejebog_by_version(self, drejebog_id: str, version: str) -> tuple[int, Drejebog]:
        """A stored version by its name. Raises NotFound."""
        ...

    def running_cases(self, drejebog_id: str) -> list[tuple[str, int, str]]:
        """(case id, version key, state) of every open case on any version of the drejebog."""
        ...

    def directory(self, case_keys: Collection[int]) -> Directory:
        """Who can be reached on these cases (a task's message goes to them)."""
        ...

    def write_outbox(self, rows: Sequence[OutboxRow]) -> None:
        """Insert notifications (a task's message, written with the change that created it)."""
        ...


# -- the daemon's sweep -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DueTimer:
    """A claimed timer: its row id, the drejebog version it was planned under, the timer."""

    id: int
    version_key: int
    timer: Timer

    @property
    def case_key(self) -> int:
        return int(self.timer.case_id)


class OutboxRow(TypedDict):
    """One notification to write to the outbox (the inbox's are written as already sent)."""

    case_id: int | None  # None: a daily digest
    timer_id: int | None
    kind: str
    rule: str
    role: str
    channel: str  # inbox, email, staff_webhook, sms
    recipient: str  # worker handle, e-mail address or phone
    worker_id: int | None
    subject: str
    body_text: str
    created_at: datetime
    status: str  # sent (inbox) or pending
    sent_at: datetime | None
    next_attempt_at: datetime


class StepWriter(Protocol):
    """Collects the writes of several Steps and writes them together on `flush()`."""

    def add(
        self, key: int, case: StoredCase, step: Step, note: HistoryNote, version_key: int
    ) -> None:
        """Queue one Step of the case with store key `key`; `case` is the case as the previous
        Step of the same case left it (its lock_version one higher), `version_key` the stored
        drejebog version the case runs on after the Step."""
        ...

    def flush(self) -> None:
        """Write what was queued. Raises ConcurrencyConflict if a case changed meanwhile."""
        ...


class FiringUnitOfWork(UnitOfWork, Protocol):
    """What the sweep needs from storage: one instance, one transaction."""

    def claim_due(
        self, now: datetime, limit: int, passing_over: Collection[int] = ()
    ) -> list[DueTimer]:
        """Up to `limit` pending timers due at or before `now`, soonest first (then by id),
        leaving out the timer ids in `passing_over`. On a shared database the claimed rows
        are held until the transaction ends, and rows another sweep holds are skipped."""
        ...

    def mark_fired(self, claimed: Sequence[DueTimer], now: datetime) -> list[DueTimer]:
        """Mark the claimed timers fired at `now`, only those still pending; returns those
        (in the order given)."""
        ...

    def load_case(self, case_id: str) -> StoredCase:
        """The case as stored. Raises NotFound."""
        ...

    def load_cases(self, keys: Collection[int], lock: bool = False) -> dict[int, StoredCase]:
        """Several cases by store key; with `lock`, held until the transaction ends."""
        ...

    def directory(self, case_keys: Collection[int]) -> Directory:
        """Who can be reached on these cases: assignments, staff and their leaders, the
        first active leder, the citizens' contact details."""
        ...

    def step_writes(self) -> StepWriter: ...

    def save_step(
        self, case: StoredCase, step: Step, note: HistoryNote, version_key: int | None = None
    ) -> None:
        """One Step written at once (as `CaseUnitOfWork.save_step`)."""
        ...

    def write_outbox(self, rows: Sequence[OutboxRow]) -> None:
        """Insert notifications. A second message for the same (timer, recipient, channel)
        is refused (StoreError): a timer's message is written once."""
        ...

    def drejebog_version(self, version_key: int) -> Drejebog:
        """The stored drejebog version with this key."""
        ...

    def savepoint(self) -> AbstractContextManager[None]:
        """A nested transaction: kept when the block ends normally, rolled back (and the
        exception passed on) when it raises."""
        ...

    def next_due(self) -> datetime | None:
        """The earliest due instant of any pending timer (None: nothing is pending)."""
        ...


# -- the outbox's delivery, the digest, the inbox, staff and reports -------------------------
# (app/delivery.py, app/digest.py, app/inbox.py, app/admin.py, app/reports.py; the SQL store
# implements them in store/outbox.py, store/digest.py, store/reads.py, store/admin.py)


@dataclass(frozen=True, slots=True)
class ClaimedMessage:
    """An outbox row claimed for delivery: nobody else sends it until the claim runs out."""

    id: int
    case_id: int | None  # None: a daily digest
    kind: str
    role: str
    channel: str  # inbox, email, staff_webhook, sms
    recipient: str
    subject: str
    text: str


@dataclass(frozen=True, slots=True)
class Retry:
    """What a failed delivery leads to: the attempts so far, given up or tried again when."""

    attempts: int
    dead: bool
    next_attempt_at: datetime


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """An outgoing message as `drejebog outbox` lists it."""

    id: int
    case_id: int | None
    channel: str
    recipient: str
    subject: str
    status: str  # pending, sent, dead
    attempts: int
    last_error: str
    next_attempt_at: datetime


class Outbox(Protocol):
    """The outbox's delivery side; every call is one transaction of its own."""

    def claim(self, now: datetime, until: datetime, limit: int) -> list[ClaimedMessage]:
        """Up to `limit` pending messages due at `now` and not claimed (or whose claim ran
        out), soonest first, claimed `until` then; rows another dispatcher holds are skipped."""
        ...

    def mark_sent(self, message_id: int, now: datetime) -> None:
        """Sent: one more attempt, no error, the claim released."""
        ...

    def record_failure(self, message_id: int, error: str, plan: Callable[[int], Retry]) -> Retry:
        """A failed attempt: `plan` gets the number of attempts including this one and says
        what follows; the row is updated so (error kept, claim released) and the plan
        returned."""
        ...

    def retry_dead(self, now: datetime, message_id: int | None = None) -> int:
        """Dead messages (one, or all) pending again from `now`; returns how many."""
        ...

    def undelivered(self, dead_only: bool) -> list[OutboxEntry]:
        """The messages to channels other than the inbox not sent yet (or only the dead ones),
        by id."""
        ...


@dataclass(frozen=True, slots=True)
class DueTask:
    """An open task due today or earlier, for the worker who holds its role on the case."""

    worker_id: int
    case_id: int
    title: str
    due_date: date
    citizen: str


@dataclass(frozen=True, slots=True)
class MissingNotice:
    """A fired 'mangler' notice of an open case, once per worker assigned to the case."""

    case_id: int
    rule: str
    occurrence: str
    due_date: date
    version_key: int
    runtime: Mapping[str, Any] | None  # the case's runtime (its current check-in cycles)
    citizen: str
    worker_id: int


class DigestUnitOfWork(UnitOfWork, Protocol):
    """What the daily digest reads and writes: one instance, one transaction."""

    def drejebog_versions(self) -> dict[int, Drejebog]:
        """Every stored drejebog version by its key."""
        ...

    def tasks_due(self, today: date) -> list[DueTask]:
        """Open tasks due on or before `today` with an assigned worker, soonest first."""
        ...

    def missing_notices(self, since: datetime) -> list[MissingNotice]:
        """'Mangler' notices fired from `since` on, of open cases, newest first."""
        ...

    def digests_written(self, rule: str) -> set[int]:
        """The workers who already have the digest with this rule (its day's key)."""
        ...

    def active_staff(self) -> list[StaffMember]:
        """Every active worker, by id."""
        ...

    def write_digests(self, rows: Sequence[OutboxRow]) -> None: ...


@dataclass(frozen=True, slots=True)
class InboxMessage:
    id: int
    case_id: int | None
    kind: str
    subject: str
    text: str
    created_at: datetime
    read_at: datetime | None


class InboxStore(Protocol):
    def worker_key(self, handle: str) -> int | None:
        """The worker's store key, None if there is no such worker."""
        ...

    def inbox(self, worker_key: int, unread_only: bool) -> list[InboxMessage]:
        """The worker's inbox, newest first."""
        ...

    def mark_read(self, worker_key: int, message_id: int, at: datetime) -> bool:
        """Mark a message of the worker's inbox read; False if it has no such message."""
        ...


@dataclass(frozen=True, slots=True)
class WorkerListing:
    handle: str
    name: str
    role: str
    team: str
    email: str
    leader: str | None  # the leader's handle


@dataclass(frozen=True, slots=True, kw_only=True)
class NewWorker:
    """A worker to store (active): the worker table's columns, the leader by handle (the store
    finds the leader in the same transaction as it inserts the worker)."""

    handle: str
    name: str
    role: str
    email: str
    team: str
    leader: str | None


@dataclass(frozen=True, slots=True)
class NewVersion:
    """A drejebog version to store, with the file it was read from and who loaded it."""

    drejebog: Drejebog
    source_name: str
    source_text: str
    loaded_by: str = SYSTEM_ACTOR


class AdminStore(Protocol):
    """Staff, citizens and stored drejebog versions; every call is one transaction."""

    def worker_key(self, handle: str) -> int | None: ...

    def workers(self) -> list[WorkerListing]:
        """Every worker, by handle."""
        ...

    def add_worker(self, worker: NewWorker) -> int | None:
        """Insert an active worker; returns the key, None if the handle is taken. Raises
        NotFound('leder', ...) if the leader named is unknown (one transaction: read the
        leader and insert the worker)."""
        ...

    def add_citizen(self, cpr: str, name: str, email: str, phone: str) -> bool:
        """Insert a citizen (CPR formatted DDMMYY-SSSS); False if the CPR number is taken."""
        ...

    def content_hashes(self, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """The content hash of each stored (drejebog id, version) among `keys`."""
        ...

    def store_versions(self, versions: Sequence[NewVersion], now: datetime) -> None:
        """Insert the versions, all or none."""
        ...


@dataclass(frozen=True, slots=True)
class TaskView:
    id: int
    case_id: int
    citizen: str
    rule: str
    title: str
    role: str
    worker: str | None
    due_date: date | None
    days_left: int | None
    optional: bool

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "sag": self.case_id,
            "borger": self.citizen,
            "opgave": self.rule,
            "titel": self.title,
            "rolle": self.role,
            "medarbejder": self.worker,
            "frist": self.due_date.isoformat() if self.due_date else None,
            "dage_tilbage": self.days_left,
            "valgfri": self.optional,
        }


@dataclass(frozen=True, slots=True)
class SampleMessage:
    recipient: str
    subject: str
    body_text: str


class CaseReads(Protocol):
    """What case workers and leaders look at; read only."""

    def case_details(self, case_id: str, now: datetime) -> dict[str, Any]:
        """Everything `drejebog case show` prints, as JSON-safe data (CPR masked). Raises
        NotFound."""
        ...

    def open_tasks(
        self, today: date, worker: str | None, role: str | None, overdue: bool
    ) -> list[TaskView]:
        """Open tasks, soonest deadline first. Raises NotFound for an unknown worker."""
        ...


class DeliveryStatistics(Protocol):
    """What the jobcenter demo counts (and a KPI page will); read only."""

    def messages_by_kind_and_role(self) -> list[tuple[str, str, int]]:
        """How many notifications (no digests) went to the inbox or by SMS, by kind and
        role."""
        ...

    def digest_count(self) -> int: ...

    def first_message(self, kind: str) -> SampleMessage | None: ...

    def event_results(self) -> list[Mapping[str, Any]]:
        """What each applied event did to the open rules ("results" of its history rows)."""
        ...

    def escalations_to_leader_inbox(self) -> dict[str, int]:
        """Escalations to a leder's inbox, by rule."""
        ...


# -- the web app: accounts, who may see a case, the access log --------------------------------
# (app/accounts.py, app/access.py; the SQL store implements them in store/access.py)


@dataclass(frozen=True, slots=True)
class StoredAccount:
    handle: str
    password_hash: str
    role: str  # sagsbehandler, leder, projektleder, administrator
    disabled: bool


class AccountStore(Protocol):
    def account(self, handle: str) -> StoredAccount | None:
        """The account of the worker with this handle, None if there is none."""
        ...

    def add_account(self, handle: str, password_hash: str, role: str, at: datetime) -> bool:
        """Insert an enabled account; False if the worker has one already. Raises
        NotFound('medarbejder', ...) when no worker has the handle."""
        ...


@dataclass(frozen=True, slots=True)
class TeamMember:
    """A worker as team scoping sees them: the store key, the handle, the leader's key."""

    id: int
    handle: str
    leader_id: int | None


@dataclass(frozen=True, slots=True)
class CaseParties:
    """Whose a case is: its store key, its citizen's, the workers assigned to it."""

    case_id: int
    citizen_id: int
    workers: tuple[TeamMember, ...]


@dataclass(frozen=True, slots=True)
class AccessEntry:
    """One row of the access log: who did what (vis, ændr) to which case, when, from where."""

    at: datetime
    handle: str
    case_id: int
    citizen_id: int
    action: str
    source: str


@dataclass(frozen=True, slots=True)
class CaseSummary:
    """A case a worker holds a role on, as *Mit arbejde* lists it."""

    case_id: int
    citizen: str
    drejebog_id: str
    state: str
    role: str


class AccessStore(Protocol):
    """Team scoping and the access log; every call is one transaction. There is no call that
    changes or deletes a log row."""

    def team_member(self, handle: str) -> TeamMember | None: ...

    def team(self, lead_id: int) -> list[TeamMember]:
        """The leader and the active workers whose leader they are, by handle."""
        ...

    def case_parties(self, case_id: str) -> CaseParties:
        """Raises NotFound for an unknown case."""
        ...

    def log_access(self, entry: AccessEntry) -> None: ...

    def access_log(self, case_id: int) -> list[AccessEntry]:
        """The case's log, oldest first."""
        ...

    def cases_of(self, handle: str) -> list[CaseSummary]:
        """The open cases the worker holds a role on, by case."""
        ...


# -- retention (app/retention.py) -------------------------------------------------------

ANONYMISED_NAME = "Anonymiseret borger"
KEPT_HISTORY_KEYS = frozenset({"records", "results"})  # the engine's records and rule outcomes


@dataclass(frozen=True)
class DueCase:
    case_id: int
    drejebog_id: str
    closed_at: datetime
    citizen: str  # the masked CPR number


@dataclass
class Removed:
    cases: int = 0
    facts: int = 0
    history_rows: int = 0
    messages: int = 0
    citizens: int = 0


class RetentionStore(Protocol):
    def versions_with_kept_closed_cases(self) -> list[int]: ...

    def drejebog_version(self, version_key: int) -> Drejebog: ...

    def due_cases(self, version_key: int, closed_before: datetime, limit: int) -> list[DueCase]: ...

    def anonymise(
        self,
        kept_facts: dict[int, frozenset[str]],
        now: datetime,
        actor: str,
        note: dict[int, dict[str, object]],
    ) -> Removed: ...


# -- the citizen's insight and the access log by citizen (app/insight.py) -----------------


class InsightStore(Protocol):
    def citizen_key(self, cpr: str) -> int | None:
        """The citizen's store key by the formatted CPR number (None: no such citizen)."""
        ...

    def reader_roles(self, handle: str) -> tuple[str | None, str | None]:
        """(the worker's role, the web account's role) of a handle; None where there is none."""
        ...

    def access_entries(self, citizen_key: int) -> list[AccessEntry]:
        """Every access-log row about the citizen's cases, oldest first."""
        ...

    def case_keys(self, citizen_key: int) -> list[int]: ...

    def citizen_data(self, citizen_key: int) -> dict[str, object]:
        """Everything stored about the citizen, as JSON-ready data: the citizen row (CPR
        masked), each case with its facts, assignments, history, tasks and messages."""
        ...

    def log_access(self, entry: AccessEntry) -> None: ...


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose cases a viewer may list: those where one of `worker_ids` holds a role."""

    worker_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ListedCase:
    case_id: int
    citizen_id: int
    citizen: str
    cpr_masked: str
    drejebog_id: str
    state: str
    opened_at: datetime
    closed: bool
    workers: tuple[str, ...]  # "rolle: handle", by role
    overdue_tasks: int


@dataclass(frozen=True, slots=True)
class CaseListQuery:
    """What the case list (app/case_list.py) asks the store: the filter, the search split
    into a name or a CPR number, the page."""

    scope: Scope
    drejebog: str | None
    state: str | None
    worker: str | None
    today: date  # in Copenhagen: a task due before it is overdue
    overdue: bool  # only cases with an overdue task
    name: str | None
    cpr: str | None  # DDMMYY-SSSS, as stored
    closed: bool
    limit: int
    offset: int
    case_ids: tuple[int, ...] | None = None  # only these cases (those behind a KPI figure)
    version: str | None = None  # of the drejebog (with `drejebog`)


class CaseListStore(Protocol):
    def team_ids(self, lead_id: int) -> tuple[int, ...]:
        """The leader and the workers whose leader they are."""
        ...

    def list_cases(self, query: CaseListQuery) -> list[ListedCase]:
        """Newest case first, at most query.limit rows."""
        ...


@dataclass(frozen=True, slots=True)
class TeamCase:
    """An open case of a team, as the leader's overview reads it (app/team_overview.py)."""

    case_id: int
    citizen: str
    drejebog_id: str
    assignments: tuple[tuple[str, str], ...]  # (role, worker handle)
    escalations: tuple[tuple[str, int], ...]  # (rule, escalation steps fired)


class TeamOverviewStore(Protocol):
    def team_cases(self, worker_ids: tuple[int, ...], limit: int) -> list[TeamCase]:
        """The open cases where one of the workers holds a role, by case, at most `limit`."""
        ...


# -- REST API tokens and calendar feeds (app/api_tokens.py, app/calendar_feed.py) -------------


@dataclass(frozen=True, slots=True)
class StoredToken:
    """An integration's API token as stored: never the token, only its digest."""

    id: int
    name: str
    scopes: tuple[str, ...]
    team_lead: str | None  # a leader's handle: that team's cases only; None: every team
    created_at: datetime
    created_by: str
    revoked_at: datetime | None


class ApiTokenStore(Protocol):
    def add_token(
        self,
        name: str,
        token_hash: str,
        scopes: tuple[str, ...],
        team_lead: str | None,
        at: datetime,
        by: str,
    ) -> bool:
        """Insert an active token; False when an active token has the name already."""
        ...

    def token_by_hash(self, token_hash: str) -> StoredToken | None: ...

    def tokens(self) -> list[StoredToken]:
        """Every token, revoked ones too, by name and then newest first."""
        ...

    def revoke_token(self, name: str, at: datetime) -> bool:
        """Revoke the active token of that name; False when there is none."""
        ...

    def all_worker_ids(self) -> tuple[int, ...]:
        """Every worker's key (a token for every team lists every worker's cases)."""
        ...


class CalendarFeedStore(Protocol):
    def set_feed(self, handle: str, secret_hash: str, at: datetime) -> None:
        """The worker's feed secret, replacing any earlier one (one transaction)."""
        ...

    def remove_feed(self, handle: str) -> bool:
        """False when the worker had no feed."""
        ...

    def feed_owner(self, secret_hash: str) -> str | None:
        """The handle of the worker whose feed has this secret, None if nobody's."""
        ...

    def feed_made(self, handle: str) -> datetime | None:
        """When the worker's current feed secret was made, None if they have none."""
        ...
