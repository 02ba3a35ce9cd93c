"""Quick append: the function a one-statement write uses to refuse itself (issue 20).

A command's write is one statement in autocommit (events, outbox rows, snapshot, inbox row,
task, idempotency record: persistence/writes/statement.py). When one of its version-checked parts
finds nothing to change (the snapshot moved since it was read, an idempotency key that is still
live), the statement must fail as a whole, or the parts that did write would commit.
`scribe_expect` raises with a SQLSTATE and constraint name the driver error translation already
understands (40001: retry; 23505 with the constraint: a unique index refused it).

Revision ID: 0012_quick_append
Revises: 0008_stream_tickets
"""

from alembic import op

revision = "0012_quick_append"
down_revision = "0011_operator_audit"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE FUNCTION scribe_expect(ok boolean, errcode text, constraint_name text)
RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF ok IS NOT TRUE THEN
        RAISE EXCEPTION 'write refused by %', constraint_name
            USING ERRCODE = errcode, CONSTRAINT = constraint_name;
    END IF;
    RETURN true;
END
$$
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute("DROP FUNCTION scribe_expect(boolean, text, text)")
