"""A novel's exports as jobs (issue 54): one row per novel and format, the file built for one
version of the novel (its finishes `novels.version` and its stream `novels.stream_version`), and
the async task that builds it (GET /tasks/{id}). A request for the same version is answered from
here; a changed novel claims the row for a new build.

Revision ID: 0024_novel_exports
Revises: 0023_story_memory
"""

from alembic import op

revision = "0024_novel_exports"
down_revision = "0023_story_memory"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
CREATE TABLE novel_exports (
    novel_id       UUID NOT NULL REFERENCES novels (id) ON DELETE CASCADE,
    format         TEXT NOT NULL CHECK (format IN ('markdown', 'epub')),
    novel_version  INT NOT NULL,
    stream_version INT NOT NULL,
    task_id        UUID NOT NULL,
    -- NULL while the job runs (or after it failed); the file once it is built.
    body           BYTEA,
    failed         BOOLEAN NOT NULL DEFAULT false,
    -- Moved by the job while it runs: a job whose process died stops moving it, and the next
    -- request takes the row over.
    heartbeat_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    built_at       TIMESTAMPTZ,
    PRIMARY KEY (novel_id, format)
)
"""
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS novel_exports")
