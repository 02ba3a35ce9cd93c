"""What each proposal was generated from (issue 55): the generation request as the provider got
it and, for a model, the chat messages sent. The prompt view shows them as they were; a replay
with another model generates from the same request. Written with the proposal in one
statement; purged with the session.

Revision ID: 0031_proposal_inputs
Revises: 0030_chapter_notes
"""

from alembic import op

revision = "0031_proposal_inputs"
down_revision = "0030_chapter_notes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
CREATE TABLE proposal_inputs (
    event_id   UUID PRIMARY KEY,
    session_id UUID NOT NULL,
    request    JSONB NOT NULL,
    messages   JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""
    )
    op.execute("CREATE INDEX proposal_inputs_session ON proposal_inputs (session_id)")


def downgrade() -> None:
    op.execute("DROP TABLE proposal_inputs")
