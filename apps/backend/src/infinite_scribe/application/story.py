"""What the writer reads of the story memory (issue 48): the memory as the API shows it, and
the continuity findings a page at a time (newest chapter first)."""

from typing import Any
from uuid import UUID

from infinite_scribe.application.ports.story import StoryQueries
from infinite_scribe.domain.errors import NotFound
from infinite_scribe.domain.story_memory import blank, view
from infinite_scribe.text.rules import trait_word

#: Findings per page at most.
MAX_FINDINGS_PAGE = 200
_SHOWN = ("id", "kind", "chapter", "event_id", "quote", "evidence", "status", "reason")
_ABOUT = ("who", "attribute", "value", "was", "thread", "length")


class StoryReads:
    def __init__(self, queries: StoryQueries) -> None:
        self.queries = queries

    async def memory(self, novel_id: UUID, user_id: UUID) -> dict[str, Any]:
        """The novel's memory (empty until its first chapter is confirmed); 404: not the
        writer's novel."""
        stored = await self.queries.memory(novel_id, user_id)
        if stored is None:
            raise NotFound("Novel not found")
        memory = stored.memory or blank()
        shown = {"novel_id": str(novel_id), "version": stored.version, "archived": stored.archived}
        language = str(memory.get("language") or "en")
        return shown | view(memory, lambda attribute, value: trait_word(language, attribute, value))

    async def findings(
        self, novel_id: UUID, user_id: UUID, status: str | None, limit: int, cursor: str | None
    ) -> dict[str, Any]:
        """A page of the novel's findings, ranked (contradictions of life and death first,
        repetitions last), newest chapter first within a rank; `next_cursor` for the next."""
        rows = await self.queries.findings(novel_id, user_id, status, limit + 1, cursor)
        if rows is None:
            raise NotFound("Novel not found")
        page = rows[:limit]
        shown = [
            {k: row.get(k) for k in _SHOWN} | {k: row[k] for k in _ABOUT if k in row}
            for row in page
        ]
        last = page[-1] if len(rows) > limit else None
        cursor_out = None if last is None else f"{last['rank']}:{last['chapter']}:{last['id']}"
        return {"novel_id": str(novel_id), "findings": shown, "next_cursor": cursor_out}
