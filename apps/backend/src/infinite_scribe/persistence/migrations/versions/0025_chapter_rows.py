"""A novel's chapters as rows (issue 54, decision 5401): `novel_chapters` holds one row per
chapter with text (its status, text and beats), moved from the `novels.chapters` map. A chapter
command then reads and writes its own chapter, not the whole book: the map was read, decoded,
re-encoded and rewritten whole by every chapter command (9 MB for 1,000 chapters of 3,000
characters). `novels.completed_chapters` stays the count of CONFIRMED rows.

Revision ID: 0025_chapter_rows
Revises: 0024_novel_exports
"""

from alembic import op

revision = "0025_chapter_rows"
down_revision = "0024_novel_exports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
CREATE TABLE novel_chapters (
    novel_id UUID NOT NULL REFERENCES novels (id) ON DELETE CASCADE,
    number   INT NOT NULL,
    status   TEXT NOT NULL,
    text     TEXT,
    beats    JSONB NOT NULL DEFAULT '[]'::jsonb,
    PRIMARY KEY (novel_id, number)
)
"""
    )
    op.execute(
        """
INSERT INTO novel_chapters (novel_id, number, status, text, beats)
SELECT n.id, c.key::int, c.value->>'status', c.value->>'text',
       COALESCE(c.value->'beats', '[]'::jsonb)
FROM novels n, jsonb_each(n.chapters) AS c
"""
    )
    op.execute("ALTER TABLE novels DROP COLUMN chapters")


def downgrade() -> None:
    op.execute("ALTER TABLE novels ADD COLUMN chapters JSONB NOT NULL DEFAULT '{}'::jsonb")
    op.execute(
        """
UPDATE novels n SET chapters = c.chapters
FROM (
    SELECT novel_id, jsonb_object_agg(number::text, jsonb_build_object(
        'status', status, 'text', text, 'beats', beats)) AS chapters
    FROM novel_chapters GROUP BY novel_id
) AS c
WHERE c.novel_id = n.id
"""
    )
    op.execute("DROP TABLE novel_chapters")
