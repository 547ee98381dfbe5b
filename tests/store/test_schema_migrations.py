"""The Alembic migrations build exactly the schema the code describes, and upgrading an
existing database keeps its rows."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, select
from sqlmodel import SQLModel

from drejebog.app.settings import Settings
from drejebog.bootstrap import bootstrap
from drejebog.store.migrate_schema import alembic_config, current_revision, head_revision, upgrade
from drejebog.store.tables import OUTBOX


@pytest.fixture
def engine(database_url, clock) -> Iterator[Engine]:
    app = bootstrap(Settings(database_url), clock)
    yield app.engine
    app.engine.dispose()


def test_the_migrations_build_the_schema_of_store_tables(engine):
    assert upgrade(engine) == head_revision(engine) == current_revision(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == []


def test_upgrading_from_0002_keeps_the_outbox_and_drops_the_stored_html(engine):
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
    with engine.begin() as connection:
        columns = {c["name"] for c in inspect(connection).get_columns("outbox")}
        assert "body_html" in columns
        connection.exec_driver_sql(
            "INSERT INTO outbox (kind, rule, role, channel, recipient, subject, body_text,"
            " body_html, created_at, status, attempts, next_attempt_at, last_error)"
            " VALUES ('digest', '', '', 'inbox', 'anna', 'Dagens opgaver', 'Ingen opgaver',"
            " '<p>Ingen opgaver</p>', '2027-03-01 07:00:00.000000', 'sent', 0,"
            " '2027-03-01 07:00:00.000000', '')"
        )
    upgrade(engine)
    with engine.connect() as connection:
        columns = {c["name"] for c in inspect(connection).get_columns("outbox")}
        kept = connection.execute(select(OUTBOX.c.subject, OUTBOX.c.body_text)).all()
    assert "body_html" not in columns
    assert [tuple(r) for r in kept] == [("Dagens opgaver", "Ingen opgaver")]


def _open_task_index(engine: Engine) -> dict[str, object]:
    with engine.connect() as connection:
        indexes = inspect(connection).get_indexes("task")
    return next(index for index in indexes if index["name"] == "ix_task_open_role")


def test_0007_keeps_the_tasks_and_indexes_only_the_open_ones_and_downgrades(engine):
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0006")
    assert _open_task_index(engine)["column_names"] == ["status", "role", "due_date"]
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO citizen (id, cpr, name, email, phone) VALUES (1, '010170-1234', 'B',"
            " '', '')"
        )
        connection.exec_driver_sql(
            "INSERT INTO drejebog_version (id, drejebog_id, version, title, content_hash,"
            " source_name, source_text, loaded_at) VALUES (1, 'd', '1', 't', 'h', 'n', '',"
            " '2027-03-01 07:00:00.000000')"
        )
        connection.exec_driver_sql(
            'INSERT INTO "case" (id, citizen_id, drejebog_id, drejebog_version_id, state, facts,'
            " runtime, opened_at, entered_at, lock_version) VALUES (1, 1, 'd', 1, 's', '{}',"
            " '{}', '2027-03-01 07:00:00.000000', '2027-03-01 07:00:00.000000', 1)"
        )
        connection.exec_driver_sql(
            "INSERT INTO task (case_id, rule, occurrence, role, title, state, optional, status,"
            " created_at) VALUES (1, 'a', '', 'r', 'A', 's', false, 'open',"
            " '2027-03-01 07:00:00.000000'), (1, 'b', '', 'r', 'B', 's', false, 'done',"
            " '2027-03-01 07:00:00.000000')"
        )
    upgrade(engine)
    index = _open_task_index(engine)
    assert index["column_names"] == ["role", "due_date"]
    where = index.get("dialect_options", {}).get(f"{engine.dialect.name}_where")
    assert "open" in str(where), index
    with engine.connect() as connection:
        kept = connection.exec_driver_sql("SELECT rule, status FROM task ORDER BY rule").all()
    assert [tuple(r) for r in kept] == [("a", "open"), ("b", "done")]
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0006")
    assert _open_task_index(engine)["column_names"] == ["status", "role", "due_date"]


def test_the_head_revision_the_app_checks_without_alembic_is_alembics_head(tmp_path) -> None:
    """store/schema_version.py names the newest migration so that commands need not import
    Alembic; it must be the migrations' real head, and read the same as Alembic reads it."""
    from sqlalchemy import create_engine

    from drejebog.store import schema_version

    engine = create_engine(f"sqlite:///{tmp_path / 'kopi.db'}")
    assert schema_version.current_revision(engine) is None  # no alembic_version table yet
    assert upgrade(engine) == head_revision(engine) == schema_version.HEAD_REVISION
    assert schema_version.current_revision(engine) == current_revision(engine)
    engine.dispose()


def test_0011_deletes_the_cancelled_timers_and_keeps_the_pending_and_fired(engine):
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0010")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO citizen (id, cpr, name, email, phone) VALUES (1, '010170-1234', 'B',"
            " '', '')"
        )
        connection.exec_driver_sql(
            "INSERT INTO drejebog_version (id, drejebog_id, version, title, content_hash,"
            " source_name, source_text, loaded_at) VALUES (1, 'd', '1', 't', 'h', 'n', '',"
            " '2027-03-01 07:00:00.000000')"
        )
        connection.exec_driver_sql(
            'INSERT INTO "case" (id, citizen_id, drejebog_id, drejebog_version_id, state, facts,'
            " runtime, opened_at, entered_at, lock_version) VALUES (1, 1, 'd', 1, 's', '{}',"
            " '{}', '2027-03-01 07:00:00.000000', '2027-03-01 07:00:00.000000', 1)"
        )
        for step, status in (("a", "pending"), ("b", "fired"), ("c", "cancelled")):
            connection.exec_driver_sql(
                "INSERT INTO timer (case_id, drejebog_version_id, rule, occurrence, step, kind,"
                " roles, due_at, due_date, idx, anchor, k, status) VALUES (1, 1, 'r', '', "
                f"'{step}', 'reminder', '[]', '2027-03-02 07:00:00.000000', '2027-03-02', 0,"
                f" '2027-03-01', 0, '{status}')"
            )
    upgrade(engine)
    with engine.connect() as connection:
        kept = connection.exec_driver_sql("SELECT step, status FROM timer ORDER BY step").all()
    assert [tuple(r) for r in kept] == [("a", "pending"), ("b", "fired")]
