"""`StoryRepository` and `StoryQueries` on PostgreSQL: the memory row, the findings, the checked
chapters' fingerprints (migration 0023)."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import asyncpg

from infinite_scribe.application.ports.story import MemoryMove, StoredMemory
from infinite_scribe.domain.continuity import Finding
from infinite_scribe.domain.errors import ConcurrencyConflict
from infinite_scribe.persistence.errors import translated

_STORED = "SELECT version, memory FROM story_memory WHERE novel_id = $1"

# At most a few chapters per fingerprint: a phrase the whole book uses ("said the captain")
# would otherwise bring every chapter back, a cost that grows with the book.
_SHARING = """
SELECT s.chapter, count(*)::int AS shared
FROM unnest($2::bigint[]) AS m(mark)
CROSS JOIN LATERAL (
    SELECT chapter FROM story_marks
    WHERE novel_id = $1 AND mark = m.mark AND chapter <> $3
    ORDER BY chapter LIMIT 8
) AS s
GROUP BY s.chapter
"""

# The chapter's text where its checked event holds it: a confirmation's, or a rollback's copy.
# Hot rows only: the continuity check runs on a book being written, never an archived one.
_CHAPTER_TEXT = """
SELECT coalesce(e.payload->>'text', e.payload #>> ARRAY['chapters', $3::text, 'text']) AS text,
       c.event_id
FROM story_chapters c JOIN domain_events e ON e.event_id = c.event_id AND NOT e.archived
WHERE c.novel_id = $1 AND c.chapter = $2
"""

_OPEN = """
SELECT finding, status, reason FROM story_findings
WHERE novel_id = $1 AND status = 'open'
  AND (chapter = $2 OR kind = 'thread_overdue' OR $2 = ANY(evidence_chapters))
"""

_FINDING = "SELECT finding, status, reason FROM story_findings WHERE novel_id = $1 AND id = $2"

_MOVE_MEMORY = """
INSERT INTO story_memory AS m (novel_id, user_id, version, memory) VALUES ($1, $2, $4, $5)
ON CONFLICT (novel_id) DO UPDATE SET version = $4, memory = $5, updated_at = now()
WHERE m.version = $3
RETURNING 1
"""

_CHAPTER_GONE = "DELETE FROM story_chapters WHERE novel_id = $1 AND chapter = $2"
CHAPTER = "INSERT INTO story_chapters (novel_id, chapter, event_id) VALUES ($1, $2, $3)"
MARKS = """
INSERT INTO story_marks (novel_id, mark, chapter)
SELECT $1, m, $3 FROM unnest($2::bigint[]) AS m ON CONFLICT DO NOTHING
"""

# A finding found again keeps its status (a waiver stays); one resolved before opens again.
_FINDINGS = """
INSERT INTO story_findings AS f (id, novel_id, kind, chapter, finding, evidence_chapters)
SELECT (x->>'id')::uuid, $1, x->>'kind', (x->>'chapter')::int, x,
       ARRAY(SELECT (e->>'chapter')::int FROM jsonb_array_elements(x->'evidence') AS e)
FROM jsonb_array_elements($2::jsonb) AS x
ON CONFLICT (id) DO UPDATE SET status = 'open', finding = excluded.finding, updated_at = now()
WHERE f.status = 'resolved'
"""

_SETTLE = """
UPDATE story_findings SET status = $3, reason = coalesce($4, reason), updated_at = now()
WHERE novel_id = $1 AND id = ANY($2::uuid[]) AND status <> 'waived'
"""

_QUERY_MEMORY = "SELECT version, memory, user_id FROM story_memory WHERE novel_id = $1"
_OWNED = "SELECT 1 FROM novels WHERE id = $1 AND user_id = $2"
_PAGE = """
SELECT finding, status, reason FROM story_findings
WHERE novel_id = $1 AND ($2::text IS NULL OR status = $2)
  AND ($3::int IS NULL OR (chapter, id) < ($3::int, $4::uuid))
ORDER BY chapter DESC, id DESC
LIMIT $5
"""


def finding_of(row: asyncpg.Record) -> Finding:
    found: Finding = dict(row["finding"])
    return found | {"status": row["status"], "reason": row["reason"]}


class PostgresStoryRepository:
    """`StoryRepository` on one connection (a transaction's, or the autocommit one)."""

    def __init__(self, connection: asyncpg.Connection | asyncpg.Pool) -> None:
        self.connection = connection

    async def stored(self, novel_id: UUID) -> StoredMemory:
        with translated():
            row = await self.connection.fetchrow(_STORED, novel_id)
        if row is None:
            return StoredMemory(novel_id)
        return StoredMemory(novel_id, int(row["version"]), dict(row["memory"]))

    async def sharing(
        self, novel_id: UUID, chapter: int, marks: Sequence[int]
    ) -> list[tuple[int, int]]:
        with translated():
            rows = await self.connection.fetch(_SHARING, novel_id, list(marks), chapter)
        return [(int(r["chapter"]), int(r["shared"])) for r in rows]

    async def chapter_text(self, novel_id: UUID, chapter: int) -> tuple[str, UUID] | None:
        with translated():
            row = await self.connection.fetchrow(_CHAPTER_TEXT, novel_id, chapter, str(chapter))
        if row is None or row["text"] is None:
            return None
        return str(row["text"]), row["event_id"]

    async def open_findings(self, novel_id: UUID, chapter: int) -> list[Finding]:
        with translated():
            rows = await self.connection.fetch(_OPEN, novel_id, chapter)
        return [finding_of(row) for row in rows]

    async def finding(self, novel_id: UUID, finding_id: UUID) -> Finding | None:
        with translated():
            row = await self.connection.fetchrow(_FINDING, novel_id, finding_id)
        return None if row is None else finding_of(row)

    async def move(self, move: MemoryMove) -> None:
        connection = self.connection
        with translated():
            moved = await connection.fetchval(
                _MOVE_MEMORY,
                move.novel_id,
                move.user_id,
                move.old_version,
                move.version,
                move.memory,
            )
            if moved is None:
                raise ConcurrencyConflict("The story memory was moved concurrently")
            for chapter in move.chapters:
                await connection.execute(_CHAPTER_GONE, move.novel_id, chapter.chapter)
                if chapter.event_id is not None:
                    await connection.execute(
                        CHAPTER, move.novel_id, chapter.chapter, chapter.event_id
                    )
                    await connection.execute(
                        MARKS, move.novel_id, list(chapter.marks), chapter.chapter
                    )
            if move.findings:
                await connection.execute(_FINDINGS, move.novel_id, list(move.findings))
            if move.resolved:
                await connection.execute(
                    _SETTLE, move.novel_id, list(move.resolved), "resolved", None
                )
            for finding_id, reason in move.waived.items():
                await connection.execute(_SETTLE, move.novel_id, [finding_id], "waived", reason)


class PostgresStoryQueries:
    """`StoryQueries` on the pool: the API's reads."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def memory(self, novel_id: UUID, user_id: UUID) -> StoredMemory | None:
        with translated():
            async with self.pool.acquire() as connection:
                if await connection.fetchval(_OWNED, novel_id, user_id) is None:
                    return None
                row = await connection.fetchrow(_QUERY_MEMORY, novel_id)
        if row is None:
            return StoredMemory(novel_id)
        return StoredMemory(novel_id, int(row["version"]), dict(row["memory"]))

    async def findings(
        self, novel_id: UUID, user_id: UUID, status: str | None, limit: int, after: str | None
    ) -> list[dict[str, Any]] | None:
        chapter, last = _position(after)
        with translated():
            async with self.pool.acquire() as connection:
                if await connection.fetchval(_OWNED, novel_id, user_id) is None:
                    return None
                rows = await connection.fetch(_PAGE, novel_id, status, chapter, last, limit)
        return [finding_of(row) for row in rows]


def _position(after: str | None) -> tuple[int | None, UUID | None]:
    """A findings cursor ("<chapter>:<finding id>") as the page's keyset position."""
    if not after:
        return None, None
    chapter, _, last = after.partition(":")
    return int(chapter), UUID(last)
