"""`ReadQueries` on PostgreSQL: a user's session list (keyset pages) and their novels."""

from uuid import UUID

import asyncpg

from infinite_scribe.application.ports.reads import SessionPosition, SessionSummary
from infinite_scribe.persistence.errors import translated
from infinite_scribe.persistence.genesis.novels import PostgresNovelQueries
from infinite_scribe.persistence.rows import from_row
from shared_types.enums import GenesisStage, GenesisStatus

#: A session's working title (issue 29): what the writer confirmed, the story's over the concept's.
WORKING_TITLE = (
    "left(coalesce(nullif(btrim(confirmed_data #>> '{STORY_CONCEPTION,title}'), ''), "
    "nullif(btrim(confirmed_data #>> '{CONCEPT_SELECTION,title}'), '')), 200)"
)
# A session list's columns; trashed sessions are hidden, as everywhere else.
_SUMMARIES = f"""
SELECT id, status::text AS status, current_stage::text AS current_stage,
       pending_command_type IS NOT NULL AS is_pending, novel_id, version, created_at, updated_at,
       coalesce({WORKING_TITLE}, left(branched_from->>'title', 200)) AS title, branched_from
FROM genesis_sessions
WHERE user_id = $1 AND trashed_at IS NULL"""
# Keyset pagination on (created_at, id), newest first: stable under concurrent inserts (a new
# session lands on page one, never shifts later pages) and served by idx_genesis_sessions_user
# (user_id, created_at). The row comparison breaks ties between sessions created in the same
# transaction (same now()).
_SESSIONS_PAGE = f"""{_SUMMARIES}
  AND ($2::genesis_status IS NULL OR status = $2::genesis_status)
  AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::uuid))
ORDER BY created_at DESC, id DESC
LIMIT $5
"""
# A session's branches: few per session; the user_id index narrows to the writer's sessions.
_BRANCHES = f"""{_SUMMARIES}
  AND branched_from->>'session_id' = $2
ORDER BY created_at, id
LIMIT $3
"""


def summary_of(row: asyncpg.Record) -> SessionSummary:
    """A session list's row (`trashed_at` when the query selects it: the trash list)."""
    return from_row(
        SessionSummary,
        row,
        {"session_id": "id"},
        status=GenesisStatus(row["status"]),
        current_stage=GenesisStage(row["current_stage"]),
        trashed_at=row.get("trashed_at"),
        title=row.get("title"),
        branched_from=row.get("branched_from"),
    )


class PostgresReadQueries(PostgresNovelQueries):
    """`ReadQueries`: the session list here, the novels in persistence/genesis/novels.py."""

    async def sessions_page(
        self,
        user_id: UUID,
        status: GenesisStatus | None,
        after: SessionPosition | None,
        limit: int,
    ) -> list[SessionSummary]:
        with translated():
            rows = await self.pool.fetch(
                _SESSIONS_PAGE,
                user_id,
                None if status is None else status.value,
                None if after is None else after.created_at,
                None if after is None else after.session_id,
                limit,
            )
        return [summary_of(row) for row in rows]

    async def branches_of(
        self, session_id: UUID, user_id: UUID, limit: int
    ) -> list[SessionSummary]:
        with translated():
            rows = await self.pool.fetch(_BRANCHES, user_id, str(session_id), limit)
        return [summary_of(row) for row in rows]
