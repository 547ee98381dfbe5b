"""The schema. Alembic migrations (store/migrations) create and upgrade it; these classes are
the source the migrations were written from and what the queries use.

Timers are rows, one per pending reminder, escalation step and check-in notice, with their
due instant in UTC under an index, so "what is due now" is one indexed range query. Their
natural key (case, rule, occurrence, step) is UNIQUE: a second copy cannot exist.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, Table, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from drejebog.store.types import UTCDateTime


def _big_id() -> Column[int]:
    """A 64-bit key on PostgreSQL; SQLite's INTEGER PRIMARY KEY (the rowid) is already 64-bit."""
    return Column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )


def _utc(nullable: bool = False, index: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable, index=index)


MISSING_NOTICES = "kind = 'checkin_missing' AND status = 'fired'"
DIGESTS = "kind = 'digest'"
OPEN_TASKS = "status = 'open'"
KEPT_CLOSED_CASES = "closed_at IS NOT NULL AND anonymised_at IS NULL"
ACTIVE_TOKENS = "revoked_at IS NULL"
# the timer's fields stored under another column name ("index" is an SQL keyword)
TIMER_RENAMED = {"index": "idx"}


class Worker(SQLModel, table=True):
    __tablename__ = "worker"
    id: int | None = Field(default=None, primary_key=True)
    handle: str = Field(unique=True, max_length=64)  # what case workers type: "anna"
    name: str
    email: str = ""
    role: str = Field(max_length=64)
    team: str = ""
    leader_id: int | None = Field(default=None, foreign_key="worker.id")
    active: bool = True


class Citizen(SQLModel, table=True):
    __tablename__ = "citizen"
    id: int | None = Field(default=None, primary_key=True)
    cpr: str = Field(unique=True, max_length=11)  # DDMMYY-SSSS; never shown unmasked
    name: str
    email: str = ""
    phone: str = ""


class DrejebogVersion(SQLModel, table=True):
    __tablename__ = "drejebog_version"
    __table_args__ = (UniqueConstraint("drejebog_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    drejebog_id: str = Field(index=True, max_length=100)
    version: str = Field(max_length=40)
    title: str
    content_hash: str = Field(max_length=64)
    source_name: str
    source_text: str = Field(sa_column=Column(Text, nullable=False))
    loaded_at: datetime = Field(sa_column=_utc())
    loaded_by: str = Field(default="system", max_length=64)  # who loaded it (the audit)


class Case(SQLModel, table=True):
    __tablename__ = "case"
    __table_args__ = (
        Index("ix_case_open", "drejebog_id", "closed_at"),
        # closed cases whose personal data is still kept, by closing time (app/retention.py)
        Index(
            "ix_case_retention",
            "closed_at",
            sqlite_where=text(KEPT_CLOSED_CASES),
            postgresql_where=text(KEPT_CLOSED_CASES),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    citizen_id: int = Field(foreign_key="citizen.id", index=True)
    drejebog_id: str = Field(max_length=100)
    drejebog_version_id: int = Field(foreign_key="drejebog_version.id")
    state: str = Field(max_length=100)
    facts: dict[str, object] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    runtime: dict[str, object] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    opened_at: datetime = Field(sa_column=_utc())
    entered_at: datetime = Field(sa_column=_utc())
    closed_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    lock_version: int = 1
    # when its personal data was removed after the drejebog's `opbevaring` (None: still kept)
    anonymised_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class Assignment(SQLModel, table=True):
    __tablename__ = "assignment"
    __table_args__ = (UniqueConstraint("case_id", "role"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id")
    role: str = Field(max_length=64)
    worker_id: int = Field(foreign_key="worker.id", index=True)


class HistoryEntry(SQLModel, table=True):
    """Append-only: who, when, what, from -> to, with the data. Never updated or deleted."""

    __tablename__ = "case_history"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)
    id: int | None = Field(default=None, sa_column=_big_id())
    case_id: int = Field(foreign_key="case.id")
    seq: int
    at: datetime = Field(sa_column=_utc())
    actor: str = Field(max_length=64)
    kind: str = Field(max_length=32)  # åbnet, hændelse, timer, tildeling, migrering
    event: str | None = Field(default=None, max_length=100)
    event_id: str | None = Field(default=None, unique=True, max_length=100)
    from_state: str | None = Field(default=None, max_length=100)
    to_state: str | None = Field(default=None, max_length=100)
    data: dict[str, object] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class TimerRow(SQLModel, table=True):
    """A stored engine Timer (drejebog.engine.timers.Timer): a column per field of it, named
    as the field except `TIMER_RENAMED` (store/timer_rows.py maps the two), plus the row's key,
    the drejebog version it was planned under, and its status."""

    __tablename__ = "timer"
    __table_args__ = (
        UniqueConstraint("case_id", "rule", "occurrence", "step", name="uq_timer_natural_key"),
        # only pending timers are in the due index: it stays as small as the work ahead
        Index(
            "ix_timer_due",
            "due_at",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        # the daily digest's "missing check-ins": fired notices, by firing time (store/digest.py)
        Index(
            "ix_timer_missing",
            "fired_at",
            sqlite_where=text(MISSING_NOTICES),
            postgresql_where=text(MISSING_NOTICES),
        ),
    )
    id: int | None = Field(default=None, sa_column=_big_id())
    case_id: int = Field(foreign_key="case.id")
    drejebog_version_id: int = Field(foreign_key="drejebog_version.id")
    rule: str = Field(max_length=100)
    occurrence: str = Field(max_length=64)
    step: str = Field(max_length=32)
    kind: str = Field(max_length=32)
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    due_at: datetime = Field(sa_column=_utc())
    due_date: date
    idx: int = 0
    anchor: date
    k: int = 0
    status: str = Field(default="pending", max_length=16)  # pending, fired, cancelled
    fired_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class TaskRow(SQLModel, table=True):
    __tablename__ = "task"
    __table_args__ = (
        UniqueConstraint("case_id", "rule", "occurrence"),
        # open tasks only, by role and deadline (the task lists). Not on `status`: without
        # statistics SQLite closed a task through such an index (a scan of all open tasks)
        # instead of the unique key above (store/migrations/versions/0007)
        Index(
            "ix_task_open_role",
            "role",
            "due_date",
            sqlite_where=text(OPEN_TASKS),
            postgresql_where=text(OPEN_TASKS),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id")  # indexed by the unique key's first column
    rule: str = Field(max_length=100)
    occurrence: str = Field(max_length=64)
    role: str = Field(max_length=64)
    title: str
    state: str = Field(max_length=100)
    optional: bool = False
    due_date: date | None = None
    status: str = Field(default="open", max_length=16)  # open, done, lapsed
    created_at: datetime = Field(sa_column=_utc())
    closed_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    in_time: bool | None = None


def _table(model: type[SQLModel]) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


# Core tables for the hot paths and queries (SQLAlchemy Core, no ORM unit of work).
WORKER = _table(Worker)
CITIZEN = _table(Citizen)
VERSION = _table(DrejebogVersion)
CASE = _table(Case)
ASSIGNMENT = _table(Assignment)
HISTORY = _table(HistoryEntry)
TIMER = _table(TimerRow)
TASK = _table(TaskRow)


class OutboxMessage(SQLModel, table=True):
    """A notification written in the same transaction as the timer that caused it, then
    delivered (and retried) by its channel. Inbox messages are delivered when written."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("timer_id", "recipient", "channel", name="uq_outbox_once"),
        Index(
            "ix_outbox_pending",
            "next_attempt_at",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_outbox_inbox", "worker_id", "channel", "read_at"),
        # the daily digest's "already written today?" (store/digest.py): digests only
        Index(
            "ix_outbox_digest",
            "rule",
            sqlite_where=text(DIGESTS),
            postgresql_where=text(DIGESTS),
        ),
    )
    id: int | None = Field(default=None, sa_column=_big_id())
    case_id: int | None = Field(default=None, foreign_key="case.id")  # None: a daily digest
    timer_id: int | None = Field(default=None, foreign_key="timer.id")
    kind: str = Field(max_length=32)  # reminder, escalation, checkin_missing, digest
    rule: str = Field(default="", max_length=100)
    role: str = Field(default="", max_length=64)
    channel: str = Field(max_length=16)  # inbox, email, staff_webhook, sms
    recipient: str = Field(max_length=200)  # worker handle, e-mail address or phone
    worker_id: int | None = Field(default=None, foreign_key="worker.id")
    subject: str
    body_text: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=_utc())
    status: str = Field(default="pending", max_length=16)  # pending, sent, dead
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=_utc())
    claimed_until: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    last_error: str = ""
    sent_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    read_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


OUTBOX = _table(OutboxMessage)


class AccountRow(SQLModel, table=True):
    """A worker's login to the web app: one per worker (by handle), its password hashed by
    argon2 (app/accounts.py), the role it acts in there. A disabled account cannot log in."""

    __tablename__ = "account"
    handle: str = Field(primary_key=True, max_length=64, foreign_key="worker.handle")
    password_hash: str = Field(max_length=200)
    role: str = Field(max_length=32)  # sagsbehandler, leder, projektleder, administrator
    created_at: datetime = Field(sa_column=_utc())
    disabled: bool = False


class AccessLogRow(SQLModel, table=True):
    """Who looked at or changed which citizen's case, when and from where. Append-only: the
    app has no path that updates or deletes a row. The case and citizen are plain numbers,
    no foreign keys, so the log outlives a case deleted under the retention rules."""

    __tablename__ = "access_log"
    id: int | None = Field(default=None, sa_column=_big_id())
    at: datetime = Field(sa_column=_utc())
    handle: str = Field(max_length=64)
    case_id: int = Field(index=True)
    citizen_id: int = Field(index=True)
    action: str = Field(max_length=8)  # vis, ændr
    source: str = Field(max_length=64)  # the client's IP address


ACCOUNT = _table(AccountRow)
ACCESS_LOG = _table(AccessLogRow)


class ApiTokenRow(SQLModel, table=True):
    """A token another system uses for the REST API (app/api_tokens.py): one per integration,
    its SHA-256 digest only (the token itself is shown once, when made), its scopes, the team
    it may reach (a leader's handle; NULL: every team). A revoked token is kept (revoked_at
    set): the history's actor `api:<name>` still names it. At most one active token per name
    (a partial UNIQUE index)."""

    __tablename__ = "api_token"
    __table_args__ = (
        Index(
            "ix_api_token_active_name",
            "name",
            unique=True,
            sqlite_where=text(ACTIVE_TOKENS),
            postgresql_where=text(ACTIVE_TOKENS),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=40)
    token_hash: str = Field(max_length=64, unique=True)  # hex SHA-256 of the token
    scopes: str = Field(max_length=200)  # space-separated: laes haendelser ...
    team_lead: str | None = Field(default=None, max_length=64, foreign_key="worker.handle")
    created_at: datetime = Field(sa_column=_utc())
    created_by: str = Field(max_length=64)
    revoked_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class CalendarFeedRow(SQLModel, table=True):
    """A worker's private calendar feed (app/calendar_feed.py): the SHA-256 digest of the
    secret in its URL, one row per worker; revoking deletes it, a new URL replaces it."""

    __tablename__ = "calendar_feed"
    handle: str = Field(primary_key=True, max_length=64, foreign_key="worker.handle")
    secret_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_column=_utc())


API_TOKEN = _table(ApiTokenRow)
CALENDAR_FEED = _table(CalendarFeedRow)


class CliSessionRow(SQLModel, table=True):
    """A worker's login from the command line (`drejebog login`, app/cli_identity.py): the
    SHA-256 digest of the token kept in the worker's own file (0600), the account's handle,
    and when it ended (`drejebog logout`; NULL: still valid). An ended session is kept."""

    __tablename__ = "cli_session"
    id: int | None = Field(default=None, primary_key=True)
    handle: str = Field(max_length=64, foreign_key="worker.handle")
    token_hash: str = Field(max_length=64, unique=True)  # hex SHA-256 of the token
    created_at: datetime = Field(sa_column=_utc())
    ended_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


CLI_SESSION = _table(CliSessionRow)
