"""Operator audit and dead-letter dispositions (the console, issue 22).

`operator_audit` keeps every operator action (who, what, when, how many rows) durably: the
row is written before the action runs (`finished_at` NULL) and completed after it; its unique
`action_id` (one per submitted form) makes a repeated submission return the first answer
instead of acting twice. `dead_letter_dispositions` records which dead letters were
replayed or discarded: a Kafka topic cannot forget a message, so the console hides and skips
letters that already have a disposition, and one letter is replayed at most once.

Revision ID: 0011_operator_audit
Revises: 0008_stream_tickets
"""

from alembic import op

revision = "0011_operator_audit"
down_revision = "0009_novel_bible"
branch_labels = None
depends_on = None

UPGRADE = (
    """
CREATE TABLE operator_audit (
    id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    action_id   UUID NOT NULL UNIQUE,
    actor_id    UUID NOT NULL,
    action      TEXT NOT NULL,
    target      JSONB NOT NULL DEFAULT '{}'::jsonb,
    row_count   INTEGER NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ
)
""",
    "CREATE INDEX idx_operator_audit_created_at ON operator_audit (created_at DESC)",
    """
CREATE TABLE dead_letter_dispositions (
    topic        TEXT NOT NULL,
    partition    INTEGER NOT NULL,
    "offset"     BIGINT NOT NULL,
    disposition  TEXT NOT NULL CHECK (disposition IN ('REPLAYED', 'DISCARDED')),
    action_id    UUID NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (topic, partition, "offset")
)
""",
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS dead_letter_dispositions")
    op.execute("DROP TABLE IF EXISTS operator_audit")
