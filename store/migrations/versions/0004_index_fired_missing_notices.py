"""index the fired missing-check-in notices

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

The daily digest lists citizens whose check-in is missing: the fired 'mangler' notices of the
last period or so. A partial index by firing time holds only those, so the digest reads them
as a range instead of scanning every timer the jobcenter ever had.
"""

from alembic import op
import sqlalchemy as sa


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

MISSING_NOTICES = "kind = 'checkin_missing' AND status = 'fired'"


def upgrade() -> None:
    with op.batch_alter_table("timer", schema=None) as batch_op:
        batch_op.create_index(
            "ix_timer_missing",
            ["fired_at"],
            unique=False,
            sqlite_where=sa.text(MISSING_NOTICES),
            postgresql_where=sa.text(MISSING_NOTICES),
        )


def downgrade() -> None:
    with op.batch_alter_table("timer", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_timer_missing",
            sqlite_where=sa.text(MISSING_NOTICES),
            postgresql_where=sa.text(MISSING_NOTICES),
        )
