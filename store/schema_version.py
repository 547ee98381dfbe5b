"""Which schema revision a database is at, without importing Alembic.

Every command that opens the database checks that its schema is current (`App.require_schema`);
Alembic and its migration scripts cost a command about 11 MB and a tenth of a second to import,
which only `db upgrade` needs (store/migrate_schema.py). `HEAD_REVISION` is the newest
migration's id; tests/store/test_schema_migrations.py fails if it is not Alembic's head.
"""

from __future__ import annotations

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

HEAD_REVISION = "0012"


def current_revision(engine: Engine) -> str | None:
    """The revision recorded in `alembic_version`; None before `db upgrade` made one."""
    with engine.connect() as connection:
        try:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except DBAPIError:  # no such table: a database no migration has touched
            return None
