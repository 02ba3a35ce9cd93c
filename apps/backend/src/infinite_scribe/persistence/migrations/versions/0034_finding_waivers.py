"""A novel's waivers of its continuity findings, found by the finding (issue 71, P5); the
findings ranked (issue 70).

A second `WaiveFinding` of one finding is refused from the novel's own events (its
`Novel.Finding.Waived`), not from the story memory projection, which the continuity consumer
moves a moment later: this partial index lists the waivers alone, by novel and finding, so
that read is one index probe whatever the book's length. Its predicate is the text
`persistence/story/memory.py` queries with.

The findings page shows contradictions of life and death first, repetitions last: each row
keeps its `rank` (written by the adapter from `domain/continuity.RANKS`, the one table of
ranks; rows written before are ranked here once), and the page reads an index in that order.
A chapter's fingerprints get an index by chapter (the check's write replaces them).

Revision ID: 0034_finding_waivers
Revises: 0033_archived_events
"""

from alembic import op

revision = "0034_finding_waivers"
down_revision = "0033_archived_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX domain_events_finding_waivers "
        "ON domain_events (aggregate_id, (payload ->> 'finding_id')) "
        "WHERE aggregate_type = 'NOVEL' AND event_type = 'Novel.Finding.Waived'"
    )
    op.execute("ALTER TABLE story_findings ADD COLUMN rank SMALLINT NOT NULL DEFAULT 9")
    op.execute(
        "UPDATE story_findings SET rank = CASE kind WHEN 'dead_character_acts' THEN 0 "
        "WHEN 'trait_changed' THEN 1 WHEN 'timeline' THEN 2 WHEN 'thread_overdue' THEN 3 "
        "WHEN 'repetition' THEN 4 ELSE 9 END"
    )
    op.execute(
        "CREATE INDEX idx_story_findings_ranked "
        "ON story_findings (novel_id, rank, chapter DESC, id DESC)"
    )
    op.execute("DROP INDEX idx_story_findings_novel")
    # A chapter's fingerprints by chapter: the check's write replaces a checked chapter's, and
    # a chapter gone takes its own with it (the foreign key's cascade), without reading the
    # fingerprints of the whole book.
    op.execute("CREATE INDEX idx_story_marks_chapter ON story_marks (novel_id, chapter)")


def downgrade() -> None:
    op.execute("DROP INDEX idx_story_marks_chapter")
    op.execute(
        "CREATE INDEX idx_story_findings_novel ON story_findings (novel_id, chapter DESC, id)"
    )
    op.execute("DROP INDEX idx_story_findings_ranked")
    op.execute("ALTER TABLE story_findings DROP COLUMN rank")
    op.execute("DROP INDEX domain_events_finding_waivers")
