"""give the staff webhook and the SMS gateway their own channel names

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

Until now one outbox channel, "webhook", carried both the staff notifications and the
citizens' SMS, and was sent to the staff URL when both URLs were set. The channels are
separate now: "staff_webhook" for staff and "sms" for citizens. A row without a worker is a
citizen's (app/recipients.py), so the rows already written are renamed by that, and a
pending citizen's SMS goes to the SMS gateway, never to the staff webhook.
"""

from alembic import op


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE outbox SET channel = 'sms' WHERE channel = 'webhook' AND worker_id IS NULL")
    op.execute("UPDATE outbox SET channel = 'staff_webhook' WHERE channel = 'webhook'")


def downgrade() -> None:
    op.execute("UPDATE outbox SET channel = 'webhook' WHERE channel IN ('sms', 'staff_webhook')")
