"""The one composition root: settings and a clock in, a wired application out.

Importing this module opens nothing; `bootstrap()` builds the database engine, the drejebog
cache and the case service. Tests call it with their own settings and a SimulatedClock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from drejebog.app.cases import CaseService
from drejebog.app.settings import Settings
from drejebog.engine.clock import Clock, SystemClock
from drejebog.engine.errors import StoreError
from drejebog.store.db import make_engine
from drejebog.store.drejebog_cache import DrejebogCache
from drejebog.store.migrate_schema import current_revision, head_revision
from drejebog.store.unit_of_work import SqlUnitOfWork


@dataclass
class App:
    settings: Settings
    engine: Engine
    clock: Clock
    cache: DrejebogCache = field(default_factory=DrejebogCache)

    def unit_of_work(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, self.cache)

    @property
    def cases(self) -> CaseService:
        return CaseService(self.unit_of_work, self.clock)

    def require_schema(self) -> None:
        try:
            current = current_revision(self.engine)
        except Exception as exc:
            raise StoreError(f"databasen kan ikke nås: {exc}", retryable=True) from exc
        if current != head_revision(self.engine):
            raise StoreError(
                "databasen er ikke oprettet eller ikke opgraderet; kør 'drejebog db upgrade'"
            )


def bootstrap(settings: Settings | None = None, clock: Clock | None = None) -> App:
    settings = settings or Settings.from_environment()
    return App(settings=settings, engine=make_engine(settings), clock=clock or SystemClock())
