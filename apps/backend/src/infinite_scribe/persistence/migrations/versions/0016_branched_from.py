"""A branch's origin on its session row (issue 37): `genesis_sessions.branched_from`, the
source session and event a branch started from ({"session_id", "event_id"[, "title"]}); NULL
for a session that was created. Set once by the branch's first event (`...Branched`), so the
projection rebuild derives it from the log like every other column.

Revision ID: 0016_branched_from
Revises: 0015_outbox_message
"""

from alembic import op

revision = "0016_branched_from"
down_revision = "0015_outbox_message"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE genesis_sessions ADD COLUMN branched_from JSONB")


def downgrade() -> None:
    op.execute("ALTER TABLE genesis_sessions DROP COLUMN branched_from")
