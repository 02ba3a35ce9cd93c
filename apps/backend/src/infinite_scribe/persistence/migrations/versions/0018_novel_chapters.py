"""The novel's chapters (issue 39, decision 3600): the `novels` row becomes the projection of
the novel's own stream (aggregate NOVEL): `chapters` (number -> status, text, beats of every
chapter with text), `pending_chapter` (the generation running) and `stream_version` (the
stream's version, checked by every write like a session's `version`). `completed_chapters`
counts the confirmed ones.

Revision ID: 0018_novel_chapters
Revises: 0017_outbox_switch
"""

from alembic import op

revision = "0018_novel_chapters"
down_revision = "0017_outbox_switch"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE novels ADD COLUMN chapters JSONB NOT NULL DEFAULT '{}'::jsonb, "
        "ADD COLUMN pending_chapter JSONB, "
        "ADD COLUMN stream_version INTEGER NOT NULL DEFAULT 0"
    )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE novels DROP COLUMN stream_version, DROP COLUMN pending_chapter, "
        "DROP COLUMN chapters"
    )
