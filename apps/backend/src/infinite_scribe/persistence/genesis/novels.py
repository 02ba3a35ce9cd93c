"""Novels on PostgreSQL: the owner's reads (one novel, keyset pages of their novels). A novel
is written by the `novel` part of a finished session's write
(persistence/writes/genesis_parts.py)."""

from dataclasses import asdict
from datetime import datetime
from uuid import UUID

import asyncpg

from infinite_scribe.application.ports.reads import (
    ChapterWindow,
    NovelPosition,
    NovelSource,
    NovelSummary,
    NovelView,
)
from infinite_scribe.domain.chapter_brief import chapter_outline
from infinite_scribe.domain.chapters import NovelState, chapter_views, next_chapter
from infinite_scribe.persistence.errors import translated
from infinite_scribe.persistence.rows import from_row

_SUMMARY_COLUMNS = """
n.id, n.title, n.logline, n.theme, n.writing_style, n.status::text AS status, n.target_chapters,
n.completed_chapters, n.version, n.created_at, n.updated_at,
g.id AS genesis_session_id, COALESCE(g.trashed_at IS NOT NULL, false) AS trashed
"""

#: The session that created the novel `n`, as `g` (the first of its sessions: a branch may name
#: it too); the exports and the novel's commands read it too.
NOVEL_GENESIS = """
LEFT JOIN LATERAL (
    SELECT s.id, s.trashed_at FROM genesis_sessions s WHERE s.novel_id = n.id
    ORDER BY s.created_at LIMIT 1
) g ON true
"""

# Every chapter with text, as the map the domain folds (str(number) -> status, text, beats,
# and a draft's open notes and findings).
_CHAPTER_MAP = """
(SELECT COALESCE(jsonb_object_agg(c.number::text, jsonb_build_object(
     'status', c.status, 'text', c.text, 'beats', c.beats, 'notes', c.notes,
     'findings', c.findings)), '{}'::jsonb)
 FROM novel_chapters c WHERE c.novel_id = n.id {window})
"""
# The chapters of a window ($3 first, $4 of them; $3 NULL: every one), by the primary key.
_WINDOW = "AND ($3::int IS NULL OR (c.number >= $3 AND c.number < $3 + $4::int))"

_NOVEL = f"""
SELECT {_SUMMARY_COLUMNS}, n.story, n.worldview, n.characters, n.outline,
       {_CHAPTER_MAP.replace("{window}", _WINDOW)} AS chapter_state, n.pending_chapter
FROM novels n {NOVEL_GENESIS}
WHERE n.id = $1 AND n.user_id = $2
"""

# The chapters as text: an export decodes them in its build's process (NovelSource.parsed).
_NOVEL_SOURCE = f"""
SELECT {_SUMMARY_COLUMNS}, n.story, n.worldview, n.characters, n.outline,
       {_CHAPTER_MAP.replace("{window}", "")}::text AS chapter_text, n.pending_chapter
FROM novels n {NOVEL_GENESIS}
WHERE n.id = $1 AND n.user_id = $2
"""

# Keyset pages newest first on (created_at, id), served by idx_novels_user_created; the row
# comparison breaks ties between novels created in the same transaction (same now()).
_NOVELS_PAGE = f"""
SELECT {_SUMMARY_COLUMNS}
FROM novels n {NOVEL_GENESIS}
WHERE n.user_id = $1
  AND ($2::timestamptz IS NULL OR (n.created_at, n.id) < ($2::timestamptz, $3::uuid))
ORDER BY n.created_at DESC, n.id DESC
LIMIT $4
"""


def _summary(row: asyncpg.Record) -> NovelSummary:
    return from_row(NovelSummary, row, {"novel_id": "id"})


class PostgresNovelQueries:
    """The novel half of `ReadQueries`."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def novel(
        self, novel_id: UUID, user_id: UUID, window: ChapterWindow | None = None
    ) -> NovelView | None:
        first, limit = (None, None) if window is None else (window.first, window.limit)
        with translated():
            row = await self.pool.fetchrow(_NOVEL, novel_id, user_id, first, limit)
        if row is None:
            return None
        state = NovelState(
            novel_id=row["id"],
            user_id=user_id,
            outline=tuple(chapter_outline(row["outline"] or {})),
            chapters=row["chapter_state"] or {},
            pending=row["pending_chapter"],
        )
        shown = None if window is None else (window.first, window.limit)
        return from_row(
            NovelView,
            row,
            {"novel_id": "id"},
            chapters=chapter_views(state, shown),
            next_chapter=None if shown is None else next_chapter(state, shown),
        )

    async def novel_source(self, novel_id: UUID, user_id: UUID) -> NovelSource | None:
        with translated():
            row = await self.pool.fetchrow(_NOVEL_SOURCE, novel_id, user_id)
        if row is None:
            return None
        stages = {name: row[name] for name in ("story", "worldview", "characters", "outline")}
        novel = NovelView(**asdict(_summary(row)), **stages)
        return NovelSource(novel, row["chapter_text"], row["pending_chapter"])

    async def novels_page(
        self, user_id: UUID, after: NovelPosition | None, limit: int
    ) -> list[NovelSummary]:
        moment: datetime | None = None if after is None else after.created_at
        with translated():
            rows = await self.pool.fetch(
                _NOVELS_PAGE, user_id, moment, None if after is None else after.novel_id, limit
            )
        return [_summary(row) for row in rows]
