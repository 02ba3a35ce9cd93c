"""Flow resume handles by correlation id, whatever their status: the agent's and the sweeper's
`get` / `lock`, the API's read of a flow (`handle_for`) and the trash purge all look a flow up by
its correlation id alone, and the only index on it (0001's unique one) is partial (waiting
handles only): each of those lookups was a sequential scan of the whole table, a cost that grows
with every flow ever paused (measured with pg_stat_statements: 140 buffers per lookup on a
bench database of a few thousand flows, issue 40).

Revision ID: 0022_flow_handle_lookup
Revises: 0021_worker_registry
"""

from alembic import op

revision = "0022_flow_handle_lookup"
down_revision = "0021_worker_registry"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX idx_flow_resume_handles_correlation ON flow_resume_handles (correlation_id)"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS idx_flow_resume_handles_correlation")
