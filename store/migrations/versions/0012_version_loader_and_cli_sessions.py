"""who loaded a drejebog version, and the command line's logins

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05

`drejebog_version.loaded_by`: the worker who loaded the version (the projektleder's page or
`drejebog load`); versions loaded before this revision are the system's.
`cli_session`: the digest of each `drejebog login`'s token, so the command line acts as an
account instead of a free `--as`.
"""

from alembic import op
import sqlalchemy as sa

import drejebog.store.types  # noqa: F401  (UTCDateTime columns)


revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "drejebog_version",
        sa.Column("loaded_by", sa.String(length=64), nullable=False, server_default="system"),
    )
    op.create_table(
        "cli_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handle", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", drejebog.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", drejebog.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["handle"], ["worker.handle"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )


def downgrade() -> None:
    op.drop_table("cli_session")
    if op.get_bind().dialect.name == "sqlite":  # SQLite 3.35+ drops a column in place
        op.execute("ALTER TABLE drejebog_version DROP COLUMN loaded_by")
    else:
        op.drop_column("drejebog_version", "loaded_by")
