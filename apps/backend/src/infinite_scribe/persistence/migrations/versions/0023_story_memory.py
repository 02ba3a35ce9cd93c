"""A novel's story memory and its continuity findings (issue 48): the projection of the memory
stream (aggregate STORY_MEMORY), written by the continuity consumer with its events.

- `story_memory`: one row per novel, the memory document (bounded: see domain/story_memory.py)
  at its stream version (the version check of the consumer's move);
- `story_findings`: one row per finding, its status (open, waived, resolved) and evidence;
- `story_chapters` and `story_marks`: each checked chapter's event (where its text is) and its
  passage fingerprints, so a repeated passage is found by index lookups, not by reading the book.

Revision ID: 0023_story_memory
Revises: 0022_flow_handle_lookup
"""

from alembic import op

revision = "0023_story_memory"
down_revision = "0022_flow_handle_lookup"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # One statement per execute: the driver prepares each (no multi-statement strings).
    for statement in _SCHEMA.split(";\n"):
        if statement.strip():
            op.execute(statement)


_SCHEMA = """
CREATE TABLE story_memory (
    novel_id    UUID PRIMARY KEY REFERENCES novels (id) ON DELETE CASCADE,
    user_id     UUID NOT NULL,
    version     INT NOT NULL,
    memory      JSONB NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE story_findings (
    id                 UUID PRIMARY KEY,
    novel_id           UUID NOT NULL REFERENCES novels (id) ON DELETE CASCADE,
    kind               TEXT NOT NULL,
    chapter            INT NOT NULL,
    status             TEXT NOT NULL DEFAULT 'open'
                       CHECK (status IN ('open', 'waived', 'resolved')),
    finding            JSONB NOT NULL,
    evidence_chapters  INT[] NOT NULL,
    reason             TEXT,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- The findings page (newest chapter first) and a check's open findings of a novel.
CREATE INDEX idx_story_findings_novel ON story_findings (novel_id, chapter DESC, id);
CREATE INDEX idx_story_findings_open ON story_findings (novel_id) WHERE status = 'open';
CREATE TABLE story_chapters (
    novel_id  UUID NOT NULL REFERENCES novels (id) ON DELETE CASCADE,
    chapter   INT NOT NULL,
    event_id  UUID NOT NULL,
    PRIMARY KEY (novel_id, chapter)
);
-- A chapter's fingerprints, looked up among the novel's other chapters (one index probe per
-- fingerprint: a chapter's check costs the same at chapter 10 and 1,000).
CREATE TABLE story_marks (
    novel_id  UUID NOT NULL,
    mark      BIGINT NOT NULL,
    chapter   INT NOT NULL,
    PRIMARY KEY (novel_id, mark, chapter),
    FOREIGN KEY (novel_id, chapter) REFERENCES story_chapters (novel_id, chapter)
        ON DELETE CASCADE
);
"""


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS story_marks, story_chapters, story_findings, story_memory")
