"""The one composition root: settings and a clock in, a wired application out.

Importing this module opens nothing; `bootstrap()` builds the database engine, the drejebog
cache and the use cases (the case service, the inbox, administration, reports), each over the
store's implementation of its port. The delivery channels are built from the settings here
too (`wire_channels`). The CLI, the daemon and tests take everything from the `App`; tests
call `bootstrap()` with their own settings and a SimulatedClock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from drejebog.app.access import CaseAccess
from drejebog.app.access_record import AccessRecorder
from drejebog.app.accounts import Accounts
from drejebog.app.admin import Admin
from drejebog.app.api_tokens import ApiTokens, Integration
from drejebog.app.calendar_feed import CalendarFeeds
from drejebog.app.case_list import CaseList
from drejebog.app.cases import CaseService
from drejebog.app.drejebog_workbench import Workbench
from drejebog.app.inbox import Inbox
from drejebog.app.insight import Insight
from drejebog.app.integration_access import IntegrationAccess, IntegrationCaseList
from drejebog.app.kpi import KpiReports
from drejebog.app.notices import Channels
from drejebog.app.reports import Reports
from drejebog.app.retention import Retention
from drejebog.app.settings import Settings
from drejebog.app.team_overview import TeamOverviews
from drejebog.engine.clock import Clock, SystemClock
from drejebog.engine.errors import StoreError
from drejebog.notifications.channels import CHANNEL_CLASSES, Channel
from drejebog.store.access import SqlAccess
from drejebog.store.admin import SqlAdmin
from drejebog.store.api_tokens import SqlApiTokens
from drejebog.store.case_list import SqlCaseList
from drejebog.store.db import analyze, make_engine
from drejebog.store.digest import SqlDigestUnitOfWork
from drejebog.store.drejebog_cache import DrejebogCache
from drejebog.store.insight import SqlInsight
from drejebog.store.kpi_queries import SqlKpiStore
from drejebog.store.outbox import SqlOutbox
from drejebog.store.reads import SqlReads
from drejebog.store.retention import SqlRetention
from drejebog.store.schema_version import HEAD_REVISION, current_revision
from drejebog.store.team_overview import SqlTeamOverview
from drejebog.store.unit_of_work import SqlUnitOfWork
from drejebog.workflows import SCENARIOS_DIR


@dataclass
class Wiring:
    """The channels the settings configure: which exist (for composing notifications) and
    the senders by channel name (for delivering them)."""

    flags: Channels
    channels: dict[str, Channel]


def wire_channels(settings: Settings) -> Wiring:
    """Every channel class in the registry that the settings set up, under its own name: the
    staff webhook and the citizens' SMS gateway are separate channels, each with its URL."""
    senders: dict[str, Channel] = {}
    routes = []
    for channel_class in CHANNEL_CLASSES:
        channel = channel_class.configured(settings)
        if channel is not None:
            senders[channel_class.route.channel] = channel
            routes.append(channel_class.route)
    return Wiring(Channels(tuple(routes)), senders)


@dataclass
class App:
    settings: Settings
    engine: Engine
    clock: Clock
    cache: DrejebogCache = field(default_factory=DrejebogCache)

    def unit_of_work(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, self.cache)

    def digest_unit_of_work(self) -> SqlDigestUnitOfWork:
        return SqlDigestUnitOfWork(self.engine, self.cache)

    @property
    def cases(self) -> CaseService:
        # a task's message goes out, when the task is created, on the channels set up
        return CaseService(self.unit_of_work, self.clock, self.wiring().flags)

    @property
    def admin(self) -> Admin:
        return Admin(SqlAdmin(self.engine), self.unit_of_work, self.clock)

    @property
    def inbox(self) -> Inbox:
        return Inbox(SqlReads(self.engine), self.clock)

    @property
    def reports(self) -> Reports:
        return Reports(SqlReads(self.engine), self.clock)

    @property
    def kpi(self) -> KpiReports:
        return KpiReports(SqlKpiStore(self.engine, self.cache), self.clock)

    @property
    def access_store(self) -> SqlAccess:
        return SqlAccess(self.engine)

    @property
    def accounts(self) -> Accounts:
        return Accounts(self.access_store, self.clock)

    @property
    def case_access(self) -> CaseAccess:
        """The web app's case use cases: team scoping and the access log."""
        return CaseAccess(
            self.access_store,
            SqlReads(self.engine),
            self.unit_of_work,
            self.clock,
            self.wiring().flags,
        )

    @property
    def workbench(self) -> Workbench:
        """The projektleder's page: load a drejebog's text, the versions, the scenarios."""
        return Workbench(self.admin, self.unit_of_work, SCENARIOS_DIR)

    @property
    def case_list(self) -> CaseList:
        """The case list of the web app, scoped to the viewer's team."""
        return CaseList(SqlCaseList(self.engine), self.access_store, self.clock)

    @property
    def team_overviews(self) -> TeamOverviews:
        """The leader's overview of the team in the web app."""
        return TeamOverviews(
            SqlTeamOverview(self.engine), self.case_access, self.unit_of_work, self.clock
        )

    @property
    def access_recorder(self) -> AccessRecorder:
        """The access log's rows for the CLI's views and changes (app/access_record.py)."""
        return AccessRecorder(self.access_store, self.clock)

    @property
    def insight(self) -> Insight:
        """The access log by citizen and the citizen's insight export (app/insight.py)."""
        return Insight(SqlInsight(self.engine), self.clock)

    @property
    def retention(self) -> Retention:
        """Closed cases anonymised after their drejebog's `opbevaring` (app/retention.py)."""
        return Retention(SqlRetention(self.engine, self.cache), self.clock)

    @property
    def api_tokens(self) -> ApiTokens:
        """The REST API's tokens: made, listed, revoked, checked (app/api_tokens.py)."""
        return ApiTokens(SqlApiTokens(self.engine), self.access_store, self.clock)

    def integration_access(self, integration: Integration) -> IntegrationAccess:
        """The case use cases for an API token's integration, scoped by the token."""
        return IntegrationAccess(
            self.access_store,
            SqlReads(self.engine),
            self.unit_of_work,
            self.clock,
            self.wiring().flags,
            integration,
            SqlAdmin(self.engine).workers,
        )

    def integration_case_list(self, integration: Integration) -> IntegrationCaseList:
        return IntegrationCaseList(
            SqlCaseList(self.engine),
            self.access_store,
            self.clock,
            SqlApiTokens(self.engine),
            integration,
        )

    @property
    def calendar_feeds(self) -> CalendarFeeds:
        """The workers' private iCalendar feeds (app/calendar_feed.py)."""
        return CalendarFeeds(SqlApiTokens(self.engine), self.reports, self.clock)

    @property
    def statistics(self) -> SqlReads:
        return SqlReads(self.engine)

    @property
    def outbox(self) -> SqlOutbox:
        return SqlOutbox(self.engine)

    def wiring(self) -> Wiring:
        return wire_channels(self.settings)

    @property
    def database(self) -> str:
        """The database's URL as shown to people (no password)."""
        return self.engine.url.render_as_string()

    @property
    def sqlite_file(self) -> str | None:
        """The database file on SQLite (None on PostgreSQL)."""
        if self.engine.dialect.name != "sqlite":
            return None
        return self.engine.url.database or "drejebog.db"

    def refresh_statistics(self) -> None:
        """Fresh planner statistics on SQLite (bounded ANALYZE; the daemon runs it nightly,
        since its pooled connections rarely close and so rarely run `PRAGMA optimize`)."""
        analyze(self.engine)

    def upgrade_schema(self) -> str:
        """Create or upgrade the database's schema; returns the revision it is at."""
        from drejebog.store.migrate_schema import upgrade  # Alembic: only this command

        return upgrade(self.engine)

    def require_schema(self) -> None:
        try:
            current = current_revision(self.engine)
        except StoreError:
            raise  # already says what is wrong, in Danish (store/db.py's connection hook)
        except Exception as exc:
            raise StoreError(f"databasen kan ikke nås: {exc}", retryable=True) from exc
        if current != HEAD_REVISION:
            raise StoreError(
                "databasen er ikke oprettet eller ikke opgraderet; kør 'drejebog db upgrade'"
            )

    def close(self) -> None:
        """Close the database connections (the App can be used again: they reopen)."""
        self.engine.dispose()


def bootstrap(settings: Settings | None = None, clock: Clock | None = None) -> App:
    settings = settings or Settings.from_environment()
    return App(settings=settings, engine=make_engine(settings), clock=clock or SystemClock())
