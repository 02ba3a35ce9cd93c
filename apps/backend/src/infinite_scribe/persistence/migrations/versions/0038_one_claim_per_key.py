"""One claim for a key across the idempotency cache and the command inbox (issue 79 Q3).

A keyed command keeps its key in its inbox row (decision 7204); every other route claims its
key in `idempotency_cache`. Each checked the other's table in its own statement, so one key
sent at one instant to a command and to a session's creation ran both: neither saw the other's
row, uncommitted. `scribe_key_held` is the one claim both take: a transaction-scoped advisory
lock on the (scope, key) hash, held to the caller's commit, then the other side's record read.
VOLATILE and PL/pgSQL on purpose: each query in it takes a fresh snapshot (under READ
COMMITTED), so it sees what the lock's last holder committed, which the calling statement's own
snapshot, taken before the lock was granted, would not.

`writer` is the table the caller writes: 'cache' (is a command holding the key?) or 'inbox' (is
another route's answer or claim live?). The scope is the cache's, `user:<uuid>`.

Revision ID: 0038_one_claim_per_key
Revises: 0037_session_codex
"""

from alembic import op

revision = "0038_one_claim_per_key"
down_revision = "0037_session_codex"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE FUNCTION scribe_key_held(writer text, key_scope text, key_text text)
RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    owner uuid := substring(key_scope FROM '^user:([0-9a-f-]{36})$')::uuid;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(key_scope || chr(31) || key_text, 79));
    IF writer = 'cache' THEN
        RETURN EXISTS (
            SELECT 1 FROM command_inbox WHERE user_id = owner AND idempotency_key = key_text
        );
    END IF;
    RETURN EXISTS (
        SELECT 1 FROM idempotency_cache
        WHERE scope = key_scope AND key = key_text
          AND ((state = 'COMPLETED' AND expires_at > now())
            OR (state = 'IN_PROGRESS' AND lease_expires_at > now()))
    );
END
$$
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute("DROP FUNCTION scribe_key_held(text, text, text)")
