"""The novel's rollbacks that may change chapters besides their own (issue 54, decision 5405).

A novel-wide rollback is now written one event per chapter it changes, each named by that
chapter, so the chapter index (migration 0026) finds it among that chapter's versions. Only
rollbacks written before, which changed many chapters in one event, still have to be read beside
every chapter's versions: this partial index lists those alone, so a chapter's read does not
wade through the per-chapter events of a novel-wide rollback of a thousand chapters. Its
predicate is the text `persistence/chapters/versions.py` queries with.

Revision ID: 0029_wide_rollbacks
Revises: 0028_outline_parts
"""

from alembic import op

revision = "0029_wide_rollbacks"
down_revision = "0028_outline_parts"
branch_labels = None
depends_on = None

WIDE = """aggregate_type = 'NOVEL' AND event_type = 'Novel.Chapters.RolledBack'
  AND NOT (payload ? 'per_chapter') AND (payload ->> 'scope') IS DISTINCT FROM 'chapter'"""


def upgrade() -> None:
    op.execute(
        "CREATE INDEX domain_events_novel_wide_rollbacks "
        f"ON domain_events (aggregate_id, aggregate_version) WHERE {WIDE}"
    )


def downgrade() -> None:
    op.execute("DROP INDEX domain_events_novel_wide_rollbacks")
