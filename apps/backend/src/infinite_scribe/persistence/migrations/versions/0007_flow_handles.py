"""Flow resume handles: find a session's waiting handles and the pauses that never landed.

- A reply command locks its session's waiting handles (`resume_handle->>'session_id'`).
- The sweeper lists PENDING_PAUSE handles by age (a worker died before landing the pause) and
  waiting handles by `expires_at` (0001's full index on `expires_at` serves that one).

Revision ID: 0007_flow_handles
Revises: 0006_trash
"""

from alembic import op

revision = "0007_flow_handles"
down_revision = "0006_trash"
branch_labels = None
depends_on = None

UPGRADE = (
    "CREATE INDEX idx_flow_resume_handles_waiting_session "
    "ON flow_resume_handles ((resume_handle->>'session_id')) "
    "WHERE status IN ('PENDING_PAUSE', 'PAUSED')",
    "CREATE INDEX idx_flow_resume_handles_pending_age ON flow_resume_handles (updated_at) "
    "WHERE status = 'PENDING_PAUSE'",
)

DOWNGRADE = (
    "DROP INDEX IF EXISTS idx_flow_resume_handles_pending_age",
    "DROP INDEX IF EXISTS idx_flow_resume_handles_waiting_session",
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
