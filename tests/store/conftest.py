"""Every store test runs on a SQLite file and on the PostgreSQL of this machine, each test in
its own database file or PostgreSQL schema; the behavioural tests (the `backend` fixture) run
on the in-memory store too."""

from __future__ import annotations

import os
import secrets
import string
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

from drejebog.app.settings import Settings
from drejebog.bootstrap import App, bootstrap
from drejebog.cli.main import main
from drejebog.engine.clock import SimulatedClock
from drejebog.store import tables  # noqa: F401  (registers the tables)
from drejebog.store.memory import MemoryStore
from tests.conftest import FIXTURES, shows_cpr_serial
from tests.store.backends import Backend, MemoryBackend, SqlBackend

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


@contextmanager
def _database(kind: str, tmp_path: Path, postgres_ok: bool) -> Iterator[str]:
    """A fresh SQLite file, or a PostgreSQL schema of its own (dropped afterwards)."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'drejebog.db'}"
        return
    if not postgres_ok:
        pytest.skip("PostgreSQL kører ikke her")
    # letters only: a random hex name once held "1234", which the CPR checks below refuse
    schema = "t_" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(12))
    admin_engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin_engine.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin_engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path, postgres_ok) -> Iterator[str]:
    with _database(request.param, tmp_path, postgres_ok) as url:
        yield url


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path, postgres_ok, clock) -> Iterator[Backend]:
    """The behavioural suite's store: in memory, SQLite or PostgreSQL (tests/store/backends.py)."""
    if request.param == "memory":
        yield MemoryBackend(MemoryStore(), clock)
        return
    with _database(request.param, tmp_path, postgres_ok) as url:
        application = bootstrap(Settings(url), clock)
        SQLModel.metadata.create_all(application.engine)
        try:
            yield SqlBackend(application)
        finally:
            application.engine.dispose()


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


# the staff every store test starts with: handle, name, role, e-mail, team, leader
STAFF = (
    ("lene", "Lene Leder", "leder", "lene@jobcenter.dk", "team1", None),
    ("anna_s", "Anna Sagsbehandler", "sagsbehandler", "anna@jobcenter.dk", "team1", "lene"),
    (
        "karl",
        "Karl Koordinator",
        "koordinerende_sagsbehandler",
        "karl@jobcenter.dk",
        "team1",
        "lene",
    ),
    (
        "vera",
        "Vera Virksomhedskonsulent",
        "virksomhedskonsulent",
        "vera@jobcenter.dk",
        "team1",
        "lene",
    ),
)


def staff(backend: Backend) -> Backend:
    """Staff, two citizens and the mini drejebog loaded."""
    admin = backend.admin
    for worker in STAFF:
        admin.add_worker(*worker)
    admin.add_citizen(ANNA_CPR, "Anna Andersen", "anna@example.org")
    admin.add_citizen(BO_CPR, "Bo Bertelsen")
    admin.load_drejebog_files([FIXTURES / "mini.yaml"])
    return backend


@pytest.fixture
def staffed(app: App) -> App:
    """Staff, two citizens and the mini drejebog loaded."""
    staff(SqlBackend(app))
    return app


@pytest.fixture
def staffed_backend(backend: Backend) -> Backend:
    """`staffed` on every back-end, the in-memory store included."""
    return staff(backend)


@pytest.fixture
def run(database_url: str) -> Callable[..., str]:
    """The `drejebog` command on this test's database: run("case", "show", "1", code=0)
    returns what it printed; the exit code must be `code`, and the test CPR number's serial
    never appears in the output."""
    runner = CliRunner()

    def invoke(*args: str, code: int = 0) -> str:
        result = runner.invoke(main, list(args), env={"DATABASE_URL": database_url})
        output = result.output + (result.stderr if result.stderr_bytes else "")
        assert result.exit_code == code, output
        assert not shows_cpr_serial(output)  # the CPR number's serial never appears
        return output

    return invoke
