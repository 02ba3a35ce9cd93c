"""Relay tuning: HOT-friendly fillfactor, eager autovacuum, a keyless-row index for the outbox.

Claiming a row only sets claimed_by/claimed_until (no indexed column), so with room on the page
PostgreSQL writes a heap-only tuple and touches none of the four indexes (primary key,
pending, unsent key, and the keyless one below).

Revision ID: 0003_relay
Revises: 0001_event_store
"""

from alembic import op

revision = "0003_relay"
down_revision = "0001_event_store"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A queue table: every row is updated once or twice and then dead weight in the partial
    # indexes the claim walks. Vacuum it after ~1% churn instead of the default 20%.
    op.execute(
        "ALTER TABLE event_outbox SET (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.01, "
        "autovacuum_vacuum_threshold = 1000, autovacuum_vacuum_cost_delay = 0)"
    )
    # Keyless rows are claimed in position order; almost always empty, so nearly free.
    op.execute(
        "CREATE INDEX idx_event_outbox_pending_keyless ON event_outbox (position) "
        "WHERE status = 'PENDING' AND key IS NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS idx_event_outbox_pending_keyless")
    op.execute(
        "ALTER TABLE event_outbox RESET (fillfactor, autovacuum_vacuum_scale_factor, "
        "autovacuum_vacuum_threshold, autovacuum_vacuum_cost_delay)"
    )
