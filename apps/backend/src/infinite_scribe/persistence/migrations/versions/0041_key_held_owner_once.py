"""`scribe_key_held` reads the scope's user only where it uses it (issue 80).

The function (migration 0038) computed the key's owner, a regular expression over the scope
and a cast to uuid, in its DECLARE, on every call. Only the cache's side (is a command holding
the key?) reads it; the inbox's side, which every keyed command takes in its write, never did.
On this machine the expression was about 15-20 us of a call's 25-30 us of server CPU, in a
keyed command's PostgreSQL share of about 0.7 ms. The answer is unchanged on both sides.

Revision ID: 0041_key_held_owner_once
Revises: 0040_draft_findings
"""

from alembic import op

revision = "0041_key_held_owner_once"
down_revision = "0040_draft_findings"
branch_labels = None
depends_on = None

#: The lock, then the other side's record read afresh (VOLATILE PL/pgSQL: each query takes a
#: new snapshot, so it sees what the lock's last holder committed; migration 0038 says why).
UPGRADE = """
CREATE OR REPLACE FUNCTION scribe_key_held(writer text, key_scope text, key_text text)
RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(key_scope || chr(31) || key_text, 79));
    IF writer = 'cache' THEN
        RETURN EXISTS (
            SELECT 1 FROM command_inbox
            WHERE user_id = substring(key_scope FROM '^user:([0-9a-f-]{36})$')::uuid
              AND idempotency_key = key_text
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
    # Nothing to restore: the function answers as 0038's did, and 0038's downgrade drops it.
    pass
