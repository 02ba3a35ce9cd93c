"""The novel's bible: the logline and every confirmed stage of the Genesis that made it, and
the index a writer's novel list pages on.

Revision ID: 0009_novel_bible
Revises: 0008_stream_tickets
"""

from alembic import op

revision = "0009_novel_bible"
down_revision = "0008_stream_tickets"
branch_labels = None
depends_on = None

UPGRADE = (
    """
ALTER TABLE novels
    ADD COLUMN logline    TEXT,
    ADD COLUMN story      JSONB NOT NULL DEFAULT '{}'::jsonb,
    ADD COLUMN worldview  JSONB NOT NULL DEFAULT '{}'::jsonb,
    ADD COLUMN characters JSONB NOT NULL DEFAULT '{}'::jsonb,
    ADD COLUMN outline    JSONB NOT NULL DEFAULT '{}'::jsonb
""",
    # Keyset pages of GET /novels: the user's novels newest first, ties broken by id.
    "CREATE INDEX idx_novels_user_created ON novels (user_id, created_at DESC, id DESC)",
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS idx_novels_user_created")
    op.execute(
        "ALTER TABLE novels DROP COLUMN IF EXISTS logline, DROP COLUMN IF EXISTS story, "
        "DROP COLUMN IF EXISTS worldview, DROP COLUMN IF EXISTS characters, "
        "DROP COLUMN IF EXISTS outline"
    )
