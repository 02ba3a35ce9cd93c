"""The writer's codex on its session row (issue 76, decision 7601): `genesis_sessions.codex`,
the session's codex as `Codex.as_json()` (`{}` until it is read from the idea with the first
proposal). Set by `Genesis.Session.CodexUpdated` events (and carried by rollbacks and
branches), so the projection rebuild derives it from the log like every other column.

A partial index finds a session's codex events: the state right after a version is its base
and each stage's latest version, and the codex's latest change (and the renames made since
the base) is one probe of this index, however long the log (decision 5402).

Revision ID: 0037_session_codex
Revises: 0036_inbox_key_record
"""

from alembic import op

revision = "0037_session_codex"
down_revision = "0036_inbox_key_record"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE genesis_sessions ADD COLUMN codex JSONB NOT NULL DEFAULT '{}'")
    op.execute(
        "CREATE INDEX domain_events_session_codex ON domain_events (aggregate_id, "
        "aggregate_version) WHERE aggregate_type = 'GENESIS_SESSION' "
        "AND event_type = 'Genesis.Session.CodexUpdated'"
    )


def downgrade() -> None:
    op.execute("DROP INDEX domain_events_session_codex")
    op.execute("ALTER TABLE genesis_sessions DROP COLUMN codex")
