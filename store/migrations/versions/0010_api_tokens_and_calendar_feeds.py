"""REST API tokens and the workers' calendar feeds

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04

`api_token`: a token per integration for the REST API (/api/), stored as its SHA-256 digest,
with its scopes, the team it may reach and when it was revoked; one active token per name.
`calendar_feed`: the digest of the secret in a worker's private iCalendar URL.
"""

from alembic import op
import sqlalchemy as sa

import drejebog.store.types  # noqa: F401  (UTCDateTime columns)


revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

ACTIVE_TOKENS = "revoked_at IS NULL"


def upgrade() -> None:
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.String(length=200), nullable=False),
        sa.Column("team_lead", sa.String(length=64), nullable=True),
        sa.Column("created_at", drejebog.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("revoked_at", drejebog.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["team_lead"], ["worker.handle"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index(
        "ix_api_token_active_name",
        "api_token",
        ["name"],
        unique=True,
        sqlite_where=sa.text(ACTIVE_TOKENS),
        postgresql_where=sa.text(ACTIVE_TOKENS),
    )
    op.create_table(
        "calendar_feed",
        sa.Column("handle", sa.String(length=64), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", drejebog.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["handle"], ["worker.handle"]),
        sa.PrimaryKeyConstraint("handle"),
        sa.UniqueConstraint("secret_hash"),
    )


def downgrade() -> None:
    op.drop_table("calendar_feed")
    op.drop_index(
        "ix_api_token_active_name",
        table_name="api_token",
        sqlite_where=sa.text(ACTIVE_TOKENS),
        postgresql_where=sa.text(ACTIVE_TOKENS),
    )
    op.drop_table("api_token")
