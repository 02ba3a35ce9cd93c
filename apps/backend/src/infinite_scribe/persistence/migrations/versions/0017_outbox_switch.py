"""The outbox switch (issue 36, decision 3500): the mode in a one-row table, read once per
write statement through `scribe_outbox_mode()`, which fences writers against the switch.

`scribe_outbox_mode()` takes a shared transaction-level advisory lock, then reads the row; the
switch (persistence/outbox/switch.py) takes the exclusive lock and updates the row in one
transaction. The exclusive lock waits for every writer that read the mode to commit, and
writers that come later wait for the switch to commit, so each writer commits entirely before
or entirely after the switch. A READ COMMITTED writer reads the row with a fresh snapshot (the
function is VOLATILE and reads after the lock). A REPEATABLE READ or SERIALIZABLE writer keeps
its transaction's snapshot, so it reads the row FOR SHARE: if the switch committed after its
snapshot was taken, that read fails with a serialization failure (40001) and nothing is
written in the old mode.

The mode was a database setting (`scribe.outbox_mode`, seen only by new connections); its
value seeds the row and is no longer read.

Revision ID: 0017_outbox_switch
Revises: 0016_branched_from
"""

from alembic import op

revision = "0017_outbox_switch"
down_revision = "0016_branched_from"
branch_labels = None
depends_on = None

#: The advisory lock of the switch (shared by writers, exclusive for the switch).
SWITCH_LOCK = 3_500_017


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE outbox_mode (
            one boolean PRIMARY KEY DEFAULT true CHECK (one),
            mode text NOT NULL DEFAULT 'table' CHECK (mode IN ('table', 'logical')),
            switched_at timestamptz NOT NULL DEFAULT now(),
            -- Off: the slot's messages up to here were handed to the table (read no more).
            handed_over_lsn pg_lsn
        )
        """
    )
    op.execute(
        "INSERT INTO outbox_mode (mode) VALUES ("
        "CASE WHEN current_setting('scribe.outbox_mode', true) = 'logical' "
        "THEN 'logical' ELSE 'table' END)"
    )
    op.execute(
        f"""
        CREATE FUNCTION scribe_outbox_mode() RETURNS text LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock_shared({SWITCH_LOCK});
            IF current_setting('transaction_isolation') = 'read committed' THEN
                RETURN (SELECT mode FROM outbox_mode);
            END IF;
            RETURN (SELECT mode FROM outbox_mode FOR SHARE);
        END $$
        """
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION scribe_outbox_mode()")
    op.execute("DROP TABLE outbox_mode")
