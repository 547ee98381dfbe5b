"""Migration 0006: outbox rows written to the one old "webhook" channel are renamed by their
recipient, so a citizen's pending SMS goes to the SMS gateway, never the staff webhook."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import Engine, select

from drejebog.app.settings import Settings
from drejebog.bootstrap import bootstrap
from drejebog.store.migrate_schema import alembic_config, upgrade
from drejebog.store.tables import OUTBOX


@pytest.fixture
def engine(database_url, clock) -> Iterator[Engine]:
    app = bootstrap(Settings(database_url), clock)
    yield app.engine
    app.engine.dispose()


def outbox_row(recipient: str, worker_id: str, status: str) -> str:
    return (
        "INSERT INTO outbox (kind, rule, role, channel, recipient, worker_id, subject,"
        " body_text, created_at, status, attempts, next_attempt_at, last_error)"
        f" VALUES ('reminder', 'tilbagemelding', 'x', 'webhook', '{recipient}', {worker_id},"
        f" 'Emne', 'Tekst', '2027-03-01 07:00:00.000000', '{status}', 0,"
        " '2027-03-01 07:00:00.000000', '')"
    )


def channels(engine: Engine) -> list[tuple[str, str, str]]:
    query = select(OUTBOX.c.recipient, OUTBOX.c.channel, OUTBOX.c.status).order_by(OUTBOX.c.id)
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(query)]


def test_upgrading_to_0006_splits_the_old_webhook_rows_by_recipient(engine):
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0005")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO worker (id, handle, name, email, role, team, active)"
            " VALUES (1, 'anna_s', 'Anna', '', 'sagsbehandler', '', true)"
        )
        connection.exec_driver_sql(outbox_row("+4512345678", "NULL", "pending"))
        connection.exec_driver_sql(outbox_row("anna_s", "1", "pending"))
        connection.exec_driver_sql(outbox_row("+4587654321", "NULL", "sent"))
    upgrade(engine)
    assert channels(engine) == [
        ("+4512345678", "sms", "pending"),
        ("anna_s", "staff_webhook", "pending"),
        ("+4587654321", "sms", "sent"),
    ]
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0005")
    assert {channel for _, channel, _ in channels(engine)} == {"webhook"}
