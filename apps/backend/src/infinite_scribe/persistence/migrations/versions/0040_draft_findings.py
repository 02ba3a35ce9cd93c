"""A draft's continuity findings (issue 78): where a chapter draft contradicts the story memory,
read before the writer sees it, kept on the chapter beside its notes until it is drafted again
or confirmed (a confirmed chapter's findings are the continuity check's). Empty for every
chapter drafted before.

Revision ID: 0040_draft_findings
Revises: 0039_generation_writes
"""

from alembic import op

revision = "0040_draft_findings"
down_revision = "0039_generation_writes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A constant default: PostgreSQL adds the column without rewriting the table.
    op.execute("ALTER TABLE novel_chapters ADD COLUMN findings JSONB NOT NULL DEFAULT '[]'")


def downgrade() -> None:
    op.execute("ALTER TABLE novel_chapters DROP COLUMN findings")
