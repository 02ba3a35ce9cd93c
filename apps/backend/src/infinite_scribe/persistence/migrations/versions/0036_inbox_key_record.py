"""A keyed command's inbox row is its key's record (issue 72, decision 7204).

- `command_inbox.request_fingerprint`: the fingerprint (method, path, query, body) of the
  request a keyed command came in; NULL for a command sent without a key.
- The key's unique index is the user's, not the session's: a key is scoped to the user (the
  contract), so one index answers "has this user used this key?" for every session and novel.
  A key a user reused on another session before this migration (possible once its 24 h record
  expired) is renamed on the older rows, as `scribe idempotency invalidate` renames it.

Revision ID: 0036_inbox_key_record
Revises: 0035_continuity_backlog
"""

from alembic import op

revision = "0036_inbox_key_record"
down_revision = "0035_continuity_backlog"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE command_inbox ADD COLUMN request_fingerprint TEXT")
    op.execute(
        """
UPDATE command_inbox c SET idempotency_key = c.idempotency_key || ':superseded:' || c.id::text
FROM (
    SELECT id, row_number() OVER (
        PARTITION BY user_id, idempotency_key ORDER BY created_at DESC, id DESC
    ) AS newest
    FROM command_inbox WHERE user_id IS NOT NULL
) AS ranked
WHERE c.id = ranked.id AND ranked.newest > 1
"""
    )
    op.execute("DROP INDEX IF EXISTS uq_command_inbox_session_idempotency_key")
    op.execute(
        "CREATE UNIQUE INDEX uq_command_inbox_user_idempotency_key "
        "ON command_inbox (user_id, idempotency_key)"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS uq_command_inbox_user_idempotency_key")
    op.execute(
        "CREATE UNIQUE INDEX uq_command_inbox_session_idempotency_key "
        "ON command_inbox (session_id, idempotency_key)"
    )
    op.execute("ALTER TABLE command_inbox DROP COLUMN request_fingerprint")
