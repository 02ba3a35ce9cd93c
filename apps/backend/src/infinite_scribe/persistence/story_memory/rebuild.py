"""`StoryRebuild` on PostgreSQL: the memory stream, the waivers and the projection's rows,
cleared in the rebuild's transaction (which then writes the folded projection as the check
does, with its `Write.story` part)."""

from typing import Any
from uuid import UUID

import asyncpg

from infinite_scribe.application.ports.story import StoredMemory
from infinite_scribe.domain.chapters import AGGREGATE_TYPE as NOVEL_AGGREGATE, FINDING_WAIVED
from infinite_scribe.domain.continuity import Finding
from infinite_scribe.domain.story_memory import AGGREGATE_TYPE
from infinite_scribe.persistence.errors import translated
from infinite_scribe.persistence.story_memory.store import finding_of

_STREAM = """
SELECT event_type, payload FROM domain_events
WHERE aggregate_type = $1 AND aggregate_id = $2 ORDER BY aggregate_version
"""
_WAIVERS = """
SELECT payload FROM domain_events
WHERE aggregate_type = $1 AND aggregate_id = $2 AND event_type = $3 ORDER BY aggregate_version
"""
_LOCKED = "SELECT version, memory FROM story_memory WHERE novel_id = $1 FOR UPDATE"
_FINDINGS = "SELECT finding, status, reason FROM story_findings WHERE novel_id = $1"
_OWNER = "SELECT user_id FROM novels WHERE id = $1"
_NOVELS = """
SELECT DISTINCT aggregate_id::uuid AS id FROM domain_events WHERE aggregate_type = $1
UNION SELECT novel_id FROM story_memory ORDER BY 1
"""
_CLEAR = """
WITH f AS (DELETE FROM story_findings WHERE novel_id = $1 RETURNING 1),
     c AS (DELETE FROM story_chapters WHERE novel_id = $1 RETURNING 1)
DELETE FROM story_memory WHERE novel_id = $1
"""


class PostgresStoryRebuild:
    """`StoryRebuild` on one connection (the rebuild's transaction)."""

    def __init__(self, connection: asyncpg.Connection | asyncpg.Pool) -> None:
        self.connection = connection

    async def owner(self, novel_id: UUID) -> UUID | None:
        with translated():
            owner: UUID | None = await self.connection.fetchval(_OWNER, novel_id)
        return owner

    async def stream(self, novel_id: UUID) -> list[tuple[str, dict[str, Any]]]:
        with translated():
            rows = await self.connection.fetch(_STREAM, AGGREGATE_TYPE, str(novel_id))
        return [(row["event_type"], dict(row["payload"])) for row in rows]

    async def waivers(self, novel_id: UUID) -> list[dict[str, Any]]:
        with translated():
            rows = await self.connection.fetch(
                _WAIVERS, NOVEL_AGGREGATE, str(novel_id), FINDING_WAIVED
            )
        return [dict(row["payload"]) for row in rows]

    async def projected(self, novel_id: UUID) -> tuple[StoredMemory, dict[str, Finding]]:
        with translated():
            row = await self.connection.fetchrow(_LOCKED, novel_id)
            rows = await self.connection.fetch(_FINDINGS, novel_id)
        stored = StoredMemory(novel_id)
        if row is not None:
            stored = StoredMemory(novel_id, int(row["version"]), dict(row["memory"]))
        return stored, {str(r["finding"]["id"]): finding_of(r) for r in rows}

    async def text_of(self, novel_id: UUID, chapter: int, event_id: UUID) -> str | None:
        with translated():
            row = await self.connection.fetchrow(
                "SELECT coalesce(payload->>'text', payload #>> ARRAY['chapters', $2, 'text']) "
                "FROM domain_events WHERE event_id = $1",
                event_id,
                str(chapter),
            )
        return None if row is None or row[0] is None else str(row[0])

    async def clear(self, novel_id: UUID) -> None:
        with translated():
            await self.connection.execute(_CLEAR, novel_id)

    async def novel_ids(self) -> list[UUID]:
        with translated():
            rows = await self.connection.fetch(_NOVELS, AGGREGATE_TYPE)
        return [row["id"] for row in rows]
