"""A novel is being written once its Genesis finished (issue 55): a novel row is made by the
finish, so its status starts at GENERATING, not GENESIS (the console badged every finished
novel as still in Genesis). Existing rows move too; the downgrade moves them back.

Revision ID: 0032_novel_status
Revises: 0031_proposal_inputs
"""

from alembic import op

revision = "0032_novel_status"
down_revision = "0031_proposal_inputs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE novels ALTER COLUMN status SET DEFAULT 'GENERATING'")
    op.execute("UPDATE novels SET status = 'GENERATING' WHERE status = 'GENESIS'")


def downgrade() -> None:
    op.execute("ALTER TABLE novels ALTER COLUMN status SET DEFAULT 'GENESIS'")
    op.execute("UPDATE novels SET status = 'GENESIS' WHERE status = 'GENERATING'")
