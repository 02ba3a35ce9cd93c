"""Who follows a session's (or a novel's) live stream, so workers send drafts only where
someone reads them (issue 40, decision 4002): one row per followed stream, kept alive by the
API processes that serve it (`expires_at` moved forward while a stream is open) and read by
workers for the sessions they generate for. UNLOGGED: the rows are seconds-lived hints, not
data; a crash empties the table and the API processes write it again within a refresh.

Revision ID: 0020_stream_follows
Revises: 0018_novel_chapters
"""

from alembic import op

revision = "0020_stream_follows"
down_revision = "0018_novel_chapters"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE UNLOGGED TABLE stream_follows ("
        "session_id UUID PRIMARY KEY, "
        "expires_at TIMESTAMPTZ NOT NULL)"
    )


def downgrade() -> None:
    op.execute("DROP TABLE stream_follows")
