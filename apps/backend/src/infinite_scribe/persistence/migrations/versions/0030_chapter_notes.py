"""A draft's open notes (issue 55): what the writer asked for that the draft does not write
(the offline writer's unread wishes), kept on the chapter until it is drafted again or
confirmed, so the writer sees them. Empty for every chapter drafted before.

Revision ID: 0030_chapter_notes
Revises: 0029_wide_rollbacks
"""

from alembic import op

revision = "0030_chapter_notes"
down_revision = "0029_wide_rollbacks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A constant default: PostgreSQL adds the column without rewriting the table.
    op.execute("ALTER TABLE novel_chapters ADD COLUMN notes JSONB NOT NULL DEFAULT '[]'")


def downgrade() -> None:
    op.execute("ALTER TABLE novel_chapters DROP COLUMN notes")
