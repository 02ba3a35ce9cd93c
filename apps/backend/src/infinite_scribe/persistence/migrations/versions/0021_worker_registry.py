"""The worker registry (issue 38, decision 4003): every agent worker process upserts its row
once per heartbeat interval and deletes it on a clean stop; the operator's overview counts the
rows seen within three of their own intervals (`beat_seconds`), so a worker killed with -9
drops out on its own. The embedded broker lists consumer groups without members: the workers'
own beats are the count.

Revision ID: 0021_worker_registry
Revises: 0020_stream_follows
"""

from alembic import op

revision = "0021_worker_registry"
down_revision = "0020_stream_follows"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
CREATE TABLE worker_registry (
    worker_id    TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    host         TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    beat_seconds DOUBLE PRECISION NOT NULL CHECK (beat_seconds > 0),
    in_flight    INTEGER NOT NULL DEFAULT 0
)
"""
    )


def downgrade() -> None:
    op.execute("DROP TABLE worker_registry")
