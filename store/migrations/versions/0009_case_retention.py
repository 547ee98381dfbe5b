"""retention: when a closed case's personal data was anonymised, and an index to find them

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04

`case.anonymised_at`: set when app/retention.py removed the case's personal data, after the
drejebog's `opbevaring` (default five years) had passed since the case closed.
`ix_case_retention`: the closed cases still kept, by closing time, so the daemon's retention
pass reads only those that are due, however many cases were anonymised before.
"""

from alembic import op
import sqlalchemy as sa

import drejebog.store.types  # noqa: F401  (UTCDateTime columns)


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

KEPT_CLOSED_CASES = "closed_at IS NOT NULL AND anonymised_at IS NULL"


def upgrade() -> None:
    # a plain ALTER TABLE on both databases: a batch (copy-and-move) of "case" on SQLite would
    # drop the table every other table's foreign key points at
    op.add_column(
        "case",
        sa.Column("anonymised_at", drejebog.store.types.UTCDateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ix_case_retention",
        "case",
        ["closed_at"],
        unique=False,
        sqlite_where=sa.text(KEPT_CLOSED_CASES),
        postgresql_where=sa.text(KEPT_CLOSED_CASES),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_case_retention",
        table_name="case",
        sqlite_where=sa.text(KEPT_CLOSED_CASES),
        postgresql_where=sa.text(KEPT_CLOSED_CASES),
    )
    if op.get_bind().dialect.name == "sqlite":  # SQLite 3.35+ drops a column in place
        op.execute('ALTER TABLE "case" DROP COLUMN anonymised_at')
    else:
        op.drop_column("case", "anonymised_at")
