"""An outline of many chapters, written in parts (issue 54, decision 5404): each model reply of
a batched PLOT_OUTLINE generation is kept as it arrives, under the session and the plan (a
digest of what the prompt is built from), so a generation that fails resumes at the first
missing part, in the same task (the worker's retries, a redelivery) or in the writer's next
request with the same inputs. The parts go when their proposal is written, or with the session.

Revision ID: 0028_outline_parts
Revises: 0027_session_restores
"""

from alembic import op

revision = "0028_outline_parts"
down_revision = "0027_session_restores"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
CREATE TABLE outline_parts (
    session_id UUID NOT NULL,
    plan       TEXT NOT NULL,
    part       INT NOT NULL,
    content    JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (session_id, plan, part)
)
"""
    )


def downgrade() -> None:
    op.execute("DROP TABLE outline_parts")
