"""Every store test runs twice: on a SQLite file and on the PostgreSQL of this machine, each
test in its own database file or PostgreSQL schema."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

from drejebog.app.settings import Settings
from drejebog.bootstrap import App, bootstrap
from drejebog.engine.clock import SimulatedClock
from drejebog.store import (
    admin,
    tables,  # noqa: F401  (registers the tables)
)
from tests.conftest import FIXTURES

POSTGRES_URL = os.environ.get(
    "DREJEBOG_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
START = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)  # Monday 1 March 2027, 09:00 in Copenhagen
# erstatningspersonnumre (day + 60): they can never belong to a real person
ANNA_CPR = "610190-1234"
BO_CPR = "720385-2345"


def _postgres_available() -> bool:
    engine = create_engine(POSTGRES_URL)
    try:
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        return True
    except Exception:
        return False
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def postgres_ok() -> bool:
    available = _postgres_available()
    if not available and os.environ.get("CI"):
        pytest.fail(f"PostgreSQL kan ikke nås på {POSTGRES_URL}, men CI kræver den")
    return available


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path, postgres_ok) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'drejebog.db'}"
        return
    if not postgres_ok:
        pytest.skip("PostgreSQL kører ikke her")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin_engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin_engine.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin_engine.dispose()


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(START)


@pytest.fixture
def app(database_url: str, clock: SimulatedClock) -> Iterator[App]:
    application = bootstrap(Settings(database_url), clock)
    SQLModel.metadata.create_all(application.engine)
    try:
        yield application
    finally:
        application.engine.dispose()


@pytest.fixture
def staffed(app: App) -> App:
    """Staff, two citizens and the mini drejebog loaded."""
    admin.add_worker(app.engine, "lene", "Lene Leder", "leder", "lene@jobcenter.dk", "team1")
    admin.add_worker(
        app.engine,
        "anna_s",
        "Anna Sagsbehandler",
        "sagsbehandler",
        "anna@jobcenter.dk",
        "team1",
        "lene",
    )
    admin.add_worker(
        app.engine,
        "karl",
        "Karl Koordinator",
        "koordinerende_sagsbehandler",
        "karl@jobcenter.dk",
        "team1",
        "lene",
    )
    admin.add_worker(
        app.engine,
        "vera",
        "Vera Virksomhedskonsulent",
        "virksomhedskonsulent",
        "vera@jobcenter.dk",
        "team1",
        "lene",
    )
    admin.add_citizen(app.engine, ANNA_CPR, "Anna Andersen", "anna@example.org")
    admin.add_citizen(app.engine, BO_CPR, "Bo Bertelsen")
    admin.load_drejebog_files(app.engine, [FIXTURES / "mini.yaml"], START)
    return app
