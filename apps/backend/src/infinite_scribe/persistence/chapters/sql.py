"""SQL reads of the novel aggregate: its state as a command reads it (with a keyed command's
idempotency record, in the same round trip), and its stream, bounded as a session's lineage."""

from collections.abc import Mapping
from typing import Any
from uuid import UUID

import asyncpg

from infinite_scribe.application.ports.genesis import KeyLookup
from infinite_scribe.application.ports.novels import NovelTarget
from infinite_scribe.domain.chapter_brief import chapter_outline
from infinite_scribe.domain.chapter_history import ChapterPage
from infinite_scribe.domain.chapters import ChaptersVersion, NovelState
from infinite_scribe.domain.genesis_events import AGGREGATE_TYPE as GENESIS, FINISHED
from infinite_scribe.domain.novel import NovelBible
from infinite_scribe.persistence.chapters.novel_version import novel_version
from infinite_scribe.persistence.chapters.versions import chapter_version, history_page
from infinite_scribe.persistence.genesis.novels import NOVEL_GENESIS
from infinite_scribe.persistence.genesis.sessions import target_row
from infinite_scribe.persistence.story_memory.store import PostgresStoryRepository

# No chapter here: a command reads the chapters it needs (NovelCommands.complete), the agent
# its chapter and the numbers of the confirmed ones before it (decision 5401). `trashed`:
# whether the novel's first session is in the trash.
_STATE_COLUMNS = """
n.id, n.user_id, n.outline, n.pending_chapter, n.stream_version,
COALESCE(g.trashed_at IS NOT NULL, false) AS trashed, n.archived_at IS NOT NULL AS archived
"""

_LOAD = f"SELECT {_STATE_COLUMNS} FROM novels n {NOVEL_GENESIS} WHERE n.id = $1"
_TARGET = f"{_LOAD} AND n.user_id = $2"

_CHAPTERS = """
SELECT number, status, text, beats, notes, findings FROM novel_chapters
WHERE novel_id = $1 AND ($2::int IS NULL OR number = $2)
"""

_CONFIRMED_BEFORE = """
SELECT number FROM novel_chapters
WHERE novel_id = $1 AND number < $2 AND status = 'CONFIRMED'
ORDER BY number DESC LIMIT $3
"""

# The bible with the event that confirmed it: its Genesis session's last `Finished` (by the
# events' aggregate index; an archived session's events are not searched: None).
_BIBLE = f"""
SELECT title, logline, theme, writing_style, target_chapters, story, worldview, characters,
       outline, (
    SELECT e.event_id::text FROM genesis_sessions s JOIN domain_events e
      ON e.aggregate_type = '{GENESIS}' AND e.aggregate_id = s.id::text
     AND e.event_type = '{FINISHED}'
    WHERE s.novel_id = novels.id ORDER BY e.id DESC LIMIT 1) AS source_event_id
FROM novels WHERE id = $1
"""


def state_of(row: Mapping[str, object]) -> NovelState:
    outline = row["outline"]
    pending = row["pending_chapter"]
    return NovelState(
        novel_id=row["id"],  # type: ignore[arg-type]
        user_id=row["user_id"],  # type: ignore[arg-type]
        outline=tuple(chapter_outline(outline if isinstance(outline, Mapping) else {})),
        pending=dict(pending) if isinstance(pending, Mapping) else None,
        version=int(row["stream_version"]),  # type: ignore[call-overload]
        trashed=bool(row["trashed"]),
    )


def _chapter(row: asyncpg.Record) -> dict[str, Any]:
    chapter = {"status": row["status"], "text": row["text"], "beats": list(row["beats"])}
    for key in ("notes", "findings"):  # as the fold keeps them (domain/chapters.py)
        if row[key]:
            chapter[key] = list(row[key])
    return chapter


# The session a novel came from holds the writer's codex (issue 76): one row by its novel.
_CODEX = "SELECT codex FROM genesis_sessions WHERE novel_id = $1 LIMIT 1"


class PostgresNovelRepository:
    """`NovelRepository` on one connection (a transaction's, or the autocommit one)."""

    def __init__(self, connection: asyncpg.Connection | asyncpg.Pool) -> None:
        self.connection = connection

    async def command_target(
        self, novel_id: UUID, user_id: UUID, lookup: KeyLookup | None
    ) -> NovelTarget:
        """The novel a command acts on (None: not the user's) and its key's live record."""
        row, record = await target_row(self.connection, _TARGET, novel_id, user_id, lookup)
        if row is None:
            return NovelTarget(None, record)
        return NovelTarget(state_of(row), record, bool(row["archived"]))

    async def load(self, novel_id: UUID) -> NovelState | None:
        row = await self.connection.fetchrow(_LOAD, novel_id)
        return None if row is None else state_of(row)

    async def novel_version(
        self, novel_id: UUID, user_id: UUID, event_id: UUID
    ) -> ChaptersVersion | None:
        return await novel_version(self.connection, novel_id, user_id, event_id)

    async def history_page(
        self, novel_id: UUID, user_id: UUID, before: int, limit: int, max_bytes: int
    ) -> ChapterPage:
        return await history_page(self.connection, novel_id, user_id, before, limit, max_bytes)

    async def chapter_version(
        self, novel_id: UUID, user_id: UUID, event_id: UUID
    ) -> ChaptersVersion | None:
        return await chapter_version(self.connection, novel_id, user_id, event_id)

    async def chapters(self, novel_id: UUID, number: int | None) -> dict[str, dict[str, Any]]:
        """str(number) -> {"status", "text", "beats"} (and a draft's "notes" and "findings")
        of chapter `number` (every chapter: None)."""
        rows = await self.connection.fetch(_CHAPTERS, novel_id, number)
        return {str(r["number"]): _chapter(r) for r in rows}

    async def confirmed_before(self, novel_id: UUID, number: int, limit: int) -> list[int]:
        """The numbers of the last `limit` CONFIRMED chapters before `number`, in order."""
        rows = await self.connection.fetch(_CONFIRMED_BEFORE, novel_id, number, limit)
        return sorted(r["number"] for r in rows)

    async def codex(self, novel_id: UUID) -> Mapping[str, Any]:
        found = await self.connection.fetchval(_CODEX, novel_id)
        return dict(found) if isinstance(found, Mapping) else {}

    async def bible(self, novel_id: UUID) -> NovelBible | None:
        row = await self.connection.fetchrow(_BIBLE, novel_id)
        return None if row is None else NovelBible(**dict(row))

    async def finding(self, novel_id: UUID, finding_id: UUID) -> Mapping[str, Any] | None:
        return await PostgresStoryRepository(self.connection).finding(novel_id, finding_id)
