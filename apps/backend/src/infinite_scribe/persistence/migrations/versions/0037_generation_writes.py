"""What a generation's rows cost the server (issue 80, decision 8000), from bench/cost_profile.py's
WAL by relation:

- `genesis_sessions`, `async_tasks` and `command_inbox` keep room on each page (fillfactor 70):
  a generation updates each of their rows twice or more, and with full pages every update moved
  its row to another page, which PostgreSQL logs as a lock record first and which rules out a
  heap-only update; with room, a session's snapshot update touches no index (no indexed column
  changes) and a task's or command's stays on its page.
- The same three tables lose their `set_timestamp_*` trigger: a BEFORE UPDATE row trigger makes
  PostgreSQL lock each row before it updates it (GetTupleForTrigger), a lock record in the WAL
  and a PL/pgSQL call per updated row; every statement that updates them sets `updated_at`
  itself (a unit test reads them all: tests/unit/test_updated_at.py).
- `idx_command_inbox_status_created` and `idx_async_tasks_status_type` go: no statement reads
  through them (the operator's figures count commands by age and tasks by status over the whole
  table, which retention keeps small), and every insert and status update paid for them.

Revision ID: 0037_generation_writes
Revises: 0036_inbox_key_record
"""

from alembic import op

revision = "0037_generation_writes"
down_revision = "0036_inbox_key_record"
branch_labels = None
depends_on = None

#: Pages keep this share filled by inserts; the rest is for the row's later versions.
_FILLFACTOR = 70
_TABLES = ("genesis_sessions", "async_tasks", "command_inbox")


def upgrade() -> None:
    for table in _TABLES:
        op.execute(f"ALTER TABLE {table} SET (fillfactor = {_FILLFACTOR})")
        op.execute(f"DROP TRIGGER IF EXISTS set_timestamp_{table} ON {table}")
    op.execute("DROP INDEX IF EXISTS idx_command_inbox_status_created")
    op.execute("DROP INDEX IF EXISTS idx_async_tasks_status_type")


def downgrade() -> None:
    op.execute("CREATE INDEX idx_async_tasks_status_type ON async_tasks (status, task_type)")
    op.execute(
        "CREATE INDEX idx_command_inbox_status_created ON command_inbox (status, created_at)"
    )
    for table in _TABLES:
        op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
        # genesis_sessions' kept `updated_at` when only the archive flag moved (0033).
        when = " WHEN (OLD.archived_at IS NOT DISTINCT FROM NEW.archived_at)"
        condition = when if table == "genesis_sessions" else ""
        op.execute(
            f"CREATE TRIGGER set_timestamp_{table} BEFORE UPDATE ON {table} FOR EACH ROW"
            f"{condition} EXECUTE FUNCTION trigger_set_timestamp()"
        )
