"""open tasks by role in a partial index, so closing a task cannot be planned through it

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04

Closing a task (`UPDATE task ... WHERE case_id = ? AND rule = ? AND status = 'open'`) must
go through the (case_id, rule, occurrence) unique key. With `ix_task_open_role` on
(status, role, due_date), SQLite without statistics (a database grown through the product,
which had never run ANALYZE) chose that index on `status = ?` instead: a scan of every open
task per close, so the event rate fell as 1/N. Holding only the open tasks, by role and
deadline, the index no longer offers `status` as a key column, so the unique key is the only
index with equality terms and wins with or without statistics. It is also smaller: closed
tasks (most of them, in time) are not in it. The task lists ask for `status = 'open'` and
still read through it.
"""

from alembic import op
import sqlalchemy as sa


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

OPEN_TASKS = "status = 'open'"


def upgrade() -> None:
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_index("ix_task_open_role")
        batch_op.create_index(
            "ix_task_open_role",
            ["role", "due_date"],
            unique=False,
            sqlite_where=sa.text(OPEN_TASKS),
            postgresql_where=sa.text(OPEN_TASKS),
        )


def downgrade() -> None:
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_task_open_role",
            sqlite_where=sa.text(OPEN_TASKS),
            postgresql_where=sa.text(OPEN_TASKS),
        )
        batch_op.create_index("ix_task_open_role", ["status", "role", "due_date"], unique=False)
