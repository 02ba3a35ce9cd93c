"""What a generation's rows cost the server (issue 80, decision 8000), from bench/cost_profile.py's
WAL by relation: `genesis_sessions`, `async_tasks` and `command_inbox` keep room on each page
(fillfactor 70). A generation updates each of their rows twice or more; with full pages every
update moved its row to another page, which rules out a heap-only update.

The branch that measured this also dropped these tables' `updated_at` triggers and two indexes;
the contract (DESIGN section 2) names both the trigger and `async_tasks (status, task_type)`, and
the A/B showed no CPU gain from either, so they stay (decision 8000).

Revision ID: 0039_generation_writes
Revises: 0038_one_claim_per_key
"""

from alembic import op

revision = "0039_generation_writes"
down_revision = "0038_one_claim_per_key"
branch_labels = None
depends_on = None

#: Pages keep this share filled by inserts; the rest is for the row's later versions.
_FILLFACTOR = 70
_TABLES = ("genesis_sessions", "async_tasks", "command_inbox")


def upgrade() -> None:
    for table in _TABLES:
        op.execute(f"ALTER TABLE {table} SET (fillfactor = {_FILLFACTOR})")


def downgrade() -> None:
    for table in _TABLES:
        op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
