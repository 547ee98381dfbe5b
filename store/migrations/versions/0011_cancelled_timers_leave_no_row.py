"""cancelled timers leave no row: delete those kept so far

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05

Until now a cancelled timer (its state left, its rule met, its appointment moved) stayed in
the timer table with status 'cancelled' for as long as the database lived: two thirds of the
timer rows of a ressourceforløb case midway, and their part of the natural-key index (issue 12
point 3). Nothing reads them: the daemon claims pending rows only, the case pages and the KPIs
read pending and fired ones. The store now deletes a pending timer when it is cancelled; this
migration deletes the rows kept before. A downgrade cannot bring them back and need not: the
older code never reads them either.
"""

from alembic import op


revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM timer WHERE status = 'cancelled'")


def downgrade() -> None:
    pass  # the deleted rows were never read; the older code runs without them
