"""The time indexes of the two tables every command writes, as BRIN (issue 40): `created_at` of
`domain_events` (append-only: rows never move, so the column follows the table's physical order)
and of `command_inbox` (rows are inserted in time order; a status move rewrites a row, which
keeps its `created_at`). Their readers are operator tools that ask for a time range (`scribe
outbox replay --since`, the console's commands per second); a BRIN index answers a range by
block ranges at a fraction of a B-tree's upkeep: a B-tree gains an entry for every row written
and, for `command_inbox` whose B-tree led with `status`, for every status move. The contract's
indexes stay as they are.

Revision ID: 0023_time_indexes_brin
Revises: 0022_flow_handle_lookup
"""

from alembic import op

revision = "0023_time_indexes_brin"
down_revision = "0022_flow_handle_lookup"
branch_labels = None
depends_on = None

UPGRADE = (
    "DROP INDEX IF EXISTS idx_domain_events_created_at",
    "CREATE INDEX idx_domain_events_created_brin ON domain_events USING brin (created_at)",
    "DROP INDEX IF EXISTS idx_command_inbox_status_created",
    "CREATE INDEX idx_command_inbox_created_brin ON command_inbox USING brin (created_at)",
)

DOWNGRADE = (
    "DROP INDEX IF EXISTS idx_command_inbox_created_brin",
    "CREATE INDEX idx_command_inbox_status_created ON command_inbox (status, created_at)",
    "DROP INDEX IF EXISTS idx_domain_events_created_brin",
    "CREATE INDEX idx_domain_events_created_at ON domain_events (created_at)",
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
