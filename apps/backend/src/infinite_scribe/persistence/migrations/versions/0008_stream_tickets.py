"""Stream tickets: short-lived, single-use credentials for `GET /events/stream?ticket=`.

An `EventSource` cannot send an Authorization header and a JWT in a URL leaks into access logs,
so the client trades its bearer token for a ticket bound to (user, session). Only the SHA-256 of
the ticket is stored (a leaked table row cannot be replayed); `used_at` makes it single-use
across every API process (one conditional UPDATE claims it).

Revision ID: 0008_stream_tickets
Revises: 0007_flow_handles
"""

from alembic import op

revision = "0008_stream_tickets"
down_revision = "0007_flow_handles"
branch_labels = None
depends_on = None

UPGRADE = (
    """
CREATE TABLE stream_tickets (
    ticket_hash BYTEA PRIMARY KEY,
    user_id     UUID NOT NULL,
    session_id  UUID NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
)
""",
    "CREATE INDEX idx_stream_tickets_expires_at ON stream_tickets (expires_at)",
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS stream_tickets")
