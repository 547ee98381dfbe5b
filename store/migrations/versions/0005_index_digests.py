"""index the daily digests in the outbox

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

The daily digest checks which workers already have today's digest. The outbox holds every
message ever written, so that check was a scan of all of them; a partial index holding only
the digests, by day, makes it a lookup.
"""

from alembic import op
import sqlalchemy as sa


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

DIGESTS = "kind = 'digest'"


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_digest",
            ["rule"],
            unique=False,
            sqlite_where=sa.text(DIGESTS),
            postgresql_where=sa.text(DIGESTS),
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_outbox_digest",
            sqlite_where=sa.text(DIGESTS),
            postgresql_where=sa.text(DIGESTS),
        )
