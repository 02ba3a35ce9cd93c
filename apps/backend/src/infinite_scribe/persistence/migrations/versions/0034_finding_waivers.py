"""A novel's waivers of its continuity findings, found by the finding (issue 71, P5).

A second `WaiveFinding` of one finding is refused from the novel's own events (its
`Novel.Finding.Waived`), not from the story memory projection, which the continuity consumer
moves a moment later: this partial index lists the waivers alone, by novel and finding, so
that read is one index probe whatever the book's length. Its predicate is the text
`persistence/story/memory.py` queries with.

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


def downgrade() -> None:
    op.execute("DROP INDEX domain_events_finding_waivers")
