"""Tasks found by their request event (issue 27).

A worker that takes a generation request looks its task up by `request_event_id`; without an
index every generation scans `async_tasks`, and the scan grows with the table.

Revision ID: 0013_task_request_index
Revises: 0012_quick_append
"""

from alembic import op

revision = "0013_task_request_index"
down_revision = "0012_quick_append"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX IF NOT EXISTS async_tasks_request_event_idx "
        "ON async_tasks (request_event_id) WHERE request_event_id IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS async_tasks_request_event_idx")
