"""`StoryRepository` and `StoryQueries` on PostgreSQL: the memory row, the findings, the checked
chapters' fingerprints (migration 0023)."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import asyncpg

from infinite_scribe.application.ports.story import StoredMemory
from infinite_scribe.domain.continuity import Finding
from infinite_scribe.persistence.errors import translated

# The memory row and, in the same read, the consumer's ledger: a redelivered event costs this
# one read (the check's work starts only after it).
_STORED = """
SELECT m.version, m.memory, n.version AS bible_version,
       $2::text IS NOT NULL AND EXISTS (
           SELECT 1 FROM processed_messages WHERE consumer = $2 AND event_id = $3
       ) AS processed
FROM (SELECT 1) AS one
LEFT JOIN story_memory m ON m.novel_id = $1
LEFT JOIN novels n ON n.id = $1
"""

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

_TOUCHED = """
SELECT finding, status, reason FROM story_findings
WHERE novel_id = $1 AND (
    id = ANY($3::uuid[])
    OR status = 'open' AND $2::int IS NOT NULL
       AND (chapter = $2 OR kind = 'thread_overdue' OR $2 = ANY(evidence_chapters))
)
"""

# A finding with its status as the novel's own events say: waived once a waiver of it is in the
# novel's stream, whether or not the continuity consumer has projected it yet (a second waiver
# sent at once is refused; migration 0034's partial index finds the waiver).
_FINDING = """
SELECT f.finding, f.reason,
       CASE WHEN EXISTS (
           SELECT 1 FROM domain_events e
           WHERE e.aggregate_type = 'NOVEL' AND e.aggregate_id = $3
             AND e.event_type = 'Novel.Finding.Waived' AND e.payload ->> 'finding_id' = $4
       ) THEN 'waived' ELSE f.status END AS status
FROM story_findings f WHERE f.novel_id = $1 AND f.id = $2
"""

_QUERY_MEMORY = "SELECT version, memory, user_id FROM story_memory WHERE novel_id = $1"
_OWNED = "SELECT archived_at IS NOT NULL FROM novels WHERE id = $1 AND user_id = $2"
# Ranked (life and death first, repetitions last), then newest chapter first; the cursor is
# the last row's (rank, chapter, id).
_PAGE = """
SELECT finding, status, reason, rank FROM story_findings
WHERE novel_id = $1 AND ($2::text IS NULL OR status = $2)
  AND ($3::int IS NULL OR rank > $3 OR rank = $3 AND (chapter, id) < ($4::int, $5::uuid))
ORDER BY rank, chapter DESC, id DESC
LIMIT $6
"""


def finding_of(row: asyncpg.Record) -> Finding:
    found: Finding = dict(row["finding"])
    return found | {"status": row["status"], "reason": row["reason"]}


class PostgresStoryRepository:
    """`StoryRepository` on one connection (a transaction's, or the autocommit one)."""

    def __init__(self, connection: asyncpg.Connection | asyncpg.Pool) -> None:
        self.connection = connection

    async def stored(self, novel_id: UUID, ledger: tuple[str, UUID] | None = None) -> StoredMemory:
        consumer, event_id = ledger if ledger is not None else (None, None)
        with translated():
            row = await self.connection.fetchrow(_STORED, novel_id, consumer, event_id)
        processed, bible_version = bool(row["processed"]), row["bible_version"]
        if row["version"] is None:
            return StoredMemory(novel_id, 0, None, processed, bible_version)
        memory = dict(row["memory"])
        return StoredMemory(novel_id, int(row["version"]), memory, processed, bible_version)

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

    async def touched(
        self, novel_id: UUID, chapter: int | None, ids: Sequence[str]
    ) -> list[Finding]:
        with translated():
            rows = await self.connection.fetch(_TOUCHED, novel_id, chapter, list(ids))
        return [finding_of(row) for row in rows]

    async def finding(self, novel_id: UUID, finding_id: UUID) -> Finding | None:
        with translated():
            row = await self.connection.fetchrow(
                _FINDING, novel_id, finding_id, str(novel_id), str(finding_id)
            )
        return None if row is None else finding_of(row)


class PostgresStoryQueries:
    """`StoryQueries` on the pool: the API's reads."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def memory(self, novel_id: UUID, user_id: UUID) -> StoredMemory | None:
        with translated():
            async with self.pool.acquire() as connection:
                archived = await connection.fetchval(_OWNED, novel_id, user_id)
                if archived is None:
                    return None
                row = await connection.fetchrow(_QUERY_MEMORY, novel_id)
        if row is None:
            return StoredMemory(novel_id, archived=archived)
        memory = dict(row["memory"])
        return StoredMemory(novel_id, int(row["version"]), memory, archived=archived)

    async def findings(
        self, novel_id: UUID, user_id: UUID, status: str | None, limit: int, after: str | None
    ) -> list[dict[str, Any]] | None:
        ranked, chapter, last = _position(after)
        with translated():
            async with self.pool.acquire() as connection:
                if await connection.fetchval(_OWNED, novel_id, user_id) is None:
                    return None
                rows = await connection.fetch(_PAGE, novel_id, status, ranked, chapter, last, limit)
        return [finding_of(row) | {"rank": row["rank"]} for row in rows]


def _position(after: str | None) -> tuple[int | None, int | None, UUID | None]:
    """A findings cursor ("<rank>:<chapter>:<finding id>") as the page's keyset position."""
    if not after:
        return None, None, None
    ranked, chapter, last = after.split(":", 2)
    return int(ranked), int(chapter), UUID(last)
