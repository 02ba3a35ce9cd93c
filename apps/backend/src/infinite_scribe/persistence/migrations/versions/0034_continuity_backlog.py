"""The continuity check's backlog (issue 71): a check taken at its start, and an index of the
events a check consumes, so the worker finds a confirmed chapter nobody checked (the broker
restarted empty, a stopped worker dropped what was queued) and publishes it again.

- `continuity_attempts`: (consumer, event id) -> how often a check was begun; written before
  the check's work, deleted once its results are stored. A row left is a check a crash or a
  kill interrupted.
- `domain_events_continuity`: the hot events a check consumes, by global id (partial: a
  fraction of the log; the re-drive reads it from a cursor).

Revision ID: 0034_continuity_backlog
Revises: 0033_archived_events
"""

from alembic import op

revision = "0034_continuity_backlog"
down_revision = "0033_archived_events"
branch_labels = None
depends_on = None

#: The event types a continuity check consumes (application/continuity.is_continuity_event).
CONTINUITY_TYPES = ("Novel.Chapter.Confirmed", "Novel.Chapters.RolledBack", "Novel.Finding.Waived")


def upgrade() -> None:
    op.execute(
        """
CREATE TABLE continuity_attempts (
    consumer   TEXT NOT NULL,
    event_id   UUID NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 1 CHECK (attempts >= 1),
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
)
"""
    )
    types = ", ".join(f"'{t}'" for t in CONTINUITY_TYPES)
    op.execute(
        f"CREATE INDEX domain_events_continuity ON domain_events (id) WHERE event_type IN ({types})"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS domain_events_continuity")
    op.execute("DROP TABLE IF EXISTS continuity_attempts")
