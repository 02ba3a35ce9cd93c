"""Agent work: what a task needs to be followed and re-driven, and the consumers' dedupe ledger.

- `async_tasks` learns whose it is (user, session), which flow (correlation id) and which
  request event an agent must handle (`request_event_id`, re-published by the re-drive sweeper),
  plus a human progress message and its start/finish times. One task per command at most.
- `processed_messages` is the consumer-side dedupe: (consumer, event id) is written in the same
  transaction as the consumer's results, so a redelivered message writes nothing twice.

Revision ID: 0004_agent_tasks
Revises: 0003_relay
"""

from alembic import op

revision = "0004_agent_tasks"
down_revision = "0003_relay"
branch_labels = None
depends_on = None

UPGRADE = (
    """
ALTER TABLE async_tasks
    ADD COLUMN user_id UUID,
    ADD COLUMN session_id UUID,
    ADD COLUMN correlation_id UUID,
    ADD COLUMN request_event_id UUID,
    ADD COLUMN message TEXT,
    ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    ADD COLUMN started_at TIMESTAMPTZ,
    ADD COLUMN finished_at TIMESTAMPTZ
""",
    # One task per command: the worker finds a task by its command, never two.
    "DROP INDEX idx_async_tasks_triggered_by",
    "CREATE UNIQUE INDEX uq_async_tasks_triggered_by ON async_tasks (triggered_by_command_id)",
    "CREATE INDEX idx_async_tasks_session ON async_tasks (session_id, created_at)",
    # The re-drive sweeper looks only at unfinished tasks, oldest activity first.
    "CREATE INDEX idx_async_tasks_unfinished ON async_tasks (updated_at) "
    "WHERE status IN ('PENDING', 'RUNNING')",
    """
CREATE TABLE processed_messages (
    consumer     TEXT NOT NULL,
    event_id     UUID NOT NULL,
    processed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
)
""",
)

DOWNGRADE = (
    "DROP TABLE IF EXISTS processed_messages",
    "DROP INDEX IF EXISTS idx_async_tasks_unfinished",
    "DROP INDEX IF EXISTS idx_async_tasks_session",
    "DROP INDEX IF EXISTS uq_async_tasks_triggered_by",
    "CREATE INDEX idx_async_tasks_triggered_by ON async_tasks (triggered_by_command_id)",
    """
ALTER TABLE async_tasks
    DROP COLUMN finished_at, DROP COLUMN started_at, DROP COLUMN attempts, DROP COLUMN message,
    DROP COLUMN request_event_id, DROP COLUMN correlation_id, DROP COLUMN session_id,
    DROP COLUMN user_id
""",
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
