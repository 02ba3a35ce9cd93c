"""The continuity check's backlog (issue 71): a check taken at its start, and an index of the
events a check consumes, so the worker finds a confirmed chapter nobody checked (the broker
restarted empty, a stopped worker dropped what was queued) and publishes it again.

- `continuity_attempts`: (consumer, event id) -> how often a check was begun; written before
  the check's work, deleted once its results are stored. A row left is a check a crash or a
  kill interrupted.
- `domain_events_continuity`: the hot events a check consumes, by global id (partial: a
  fraction of the log; the re-drive reads it from a cursor; its predicate names a clause only
  the re-drive's statement states, so no other statement's plan takes it).

Revision ID: 0035_continuity_backlog
Revises: 0034_finding_waivers
"""

from alembic import op

revision = "0035_continuity_backlog"
down_revision = "0034_finding_waivers"
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
    # `metadata IS NOT NULL` (always true) is a clause no other statement states: only the
    # re-drive's statement, which states it, can use this index. Without it the planner took
    # it for a novel's rollback window (a scan of every novel's continuity events).
    op.execute(
        f"CREATE INDEX domain_events_continuity ON domain_events (id) "
        f"WHERE event_type IN ({types}) AND metadata IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS domain_events_continuity")
    op.execute("DROP TABLE IF EXISTS continuity_attempts")
