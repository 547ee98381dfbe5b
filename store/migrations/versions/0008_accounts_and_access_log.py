"""web app accounts and the access log

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04

`account`: a worker's login to the web app (argon2 hash, role, disabled). `access_log`: every
view or change of a citizen's case through the web app, append-only.
"""

from alembic import op
import sqlalchemy as sa

import drejebog.store.types  # noqa: F401  (UTCDateTime columns)


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("handle", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("created_at", drejebog.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["handle"], ["worker.handle"]),
        sa.PrimaryKeyConstraint("handle"),
    )
    op.create_table(
        "access_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", drejebog.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("handle", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_access_log_case_id", "access_log", ["case_id"])
    op.create_index("ix_access_log_citizen_id", "access_log", ["citizen_id"])


def downgrade() -> None:
    op.drop_index("ix_access_log_citizen_id", table_name="access_log")
    op.drop_index("ix_access_log_case_id", table_name="access_log")
    op.drop_table("access_log")
    op.drop_table("account")
