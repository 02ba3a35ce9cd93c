"""Rollback and branch by reference (issue 54, decision 5403): a `Genesis.Session.RolledBack`
or `Branched` event names the version it goes back to and the events its state came from; the
state itself (every confirmed stage and the last proposal, which together can be larger than
one event may be) is written beside it, in `session_restores`, in the same transaction. The
fold of the log reads a restore's row instead of a copy in the event, so a writer can go back
to any version the history lists, whatever its size, and the outbox and the topic carry a few
hundred bytes per rollback.

Restores written before this migration keep their copy in the event (the fold reads it there);
nothing is moved. Rows are the session's: a purge deletes them with it (a branch's own row
keeps its first state when its origin is purged).

Revision ID: 0027_session_restores
Revises: 0026_session_versions
"""

from alembic import op

revision = "0027_session_restores"
down_revision = "0026_session_versions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
CREATE TABLE session_restores (
    session_id     UUID NOT NULL,
    seq            INT NOT NULL,
    confirmed_data JSONB NOT NULL,
    last_result    JSONB,
    PRIMARY KEY (session_id, seq)
)
"""
    )


def downgrade() -> None:
    op.execute("DROP TABLE session_restores")
