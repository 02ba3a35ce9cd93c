"""Relays share the key space (issue 26).

`relay_members`: one row per running relay, refreshed by its heartbeat; the live ones split the
1,024 key buckets (`hashtext(key) & 1023`) between them in relay-id order. The claim walks the
heads of its own buckets through `idx_event_outbox_unsent_bucket` instead of every key, so N
relays no longer walk (and fight over) the same heads.

Revision ID: 0014_relay_shares
Revises: 0013_task_request_index
"""

from alembic import op

revision = "0014_relay_shares"
down_revision = "0013_task_request_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE TABLE IF NOT EXISTS relay_members ("
        " relay_id TEXT PRIMARY KEY,"
        " seen_at TIMESTAMPTZ NOT NULL DEFAULT now())"
    )
    op.execute(
        "CREATE INDEX IF NOT EXISTS idx_event_outbox_unsent_bucket "
        "ON event_outbox ((hashtext(key) & 1023), key, position) "
        "WHERE status <> 'SENT' AND key IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS idx_event_outbox_unsent_bucket")
    op.execute("DROP TABLE IF EXISTS relay_members")
