"""the e-mail's HTML part is made at delivery

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

An outbox row keeps the rendered subject and text; the HTML part of an e-mail is the same
text in notifications/templates/message.html.j2, made when the e-mail is sent. Storing it in
every row (inbox and webhook rows too) doubled the bytes each fired timer wrote.
"""

from alembic import op
import sqlalchemy as sa


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("body_html")


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body_html", sa.Text(), nullable=False, server_default=""))
