"""The story memory's ports in memory (issue 48): `StoryRepository` on the in-memory tables, as
the SQL adapter (persistence/story_memory/store.py) behaves, for unit tests and the continuity
bench; and the novel's bible, the one read of the novel the continuity check makes."""

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from infinite_scribe.application.ports.story import StoredMemory
from infinite_scribe.domain.chapters import FINDING_WAIVED
from infinite_scribe.domain.continuity import OPEN, THREAD_OVERDUE, WAIVED, Finding
from infinite_scribe.domain.novel import NovelBible
from tests.support.memory.tables import Tables


class MemoryStory:
    """`StoryRepository` on `tables.story` (novel id -> its projection)."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    def _row(self, novel_id: UUID) -> dict[str, Any]:
        return self.tables.story.setdefault(
            novel_id, {"version": 0, "memory": None, "findings": {}, "chapters": {}}
        )

    async def stored(self, novel_id: UUID, ledger: tuple[str, UUID] | None = None) -> StoredMemory:
        row = self._row(novel_id)
        processed = ledger is not None and ledger in self.tables.ledger
        novel = self.tables.novels.get(novel_id)
        bible_version = None if novel is None else int(novel.get("version", 1))
        return StoredMemory(novel_id, row["version"], row["memory"], processed, bible_version)

    async def sharing(
        self, novel_id: UUID, chapter: int, marks: Sequence[int]
    ) -> list[tuple[int, int]]:
        wanted = set(marks)
        chapters = self._row(novel_id)["chapters"]
        shared = [(n, len(wanted & set(m))) for n, (_, m) in chapters.items() if n != chapter]
        return [(n, count) for n, count in shared if count]

    async def chapter_text(self, novel_id: UUID, chapter: int) -> tuple[str, UUID] | None:
        stored = self._row(novel_id)["chapters"].get(chapter)
        if stored is None:
            return None
        for event in self.tables.events:
            if event.event_id == stored[0]:
                payload = event.payload
                text = payload.get("text") or (payload.get("chapters") or {}).get(str(chapter), {})
                text = text if isinstance(text, str) else text.get("text")
                return (str(text), stored[0]) if text else None
        return None

    async def touched(
        self, novel_id: UUID, chapter: int | None, ids: Sequence[str]
    ) -> list[Finding]:
        wanted = set(ids)
        return [
            dict(f)
            for f in self._row(novel_id)["findings"].values()
            if f["id"] in wanted
            or (
                f["status"] == OPEN
                and chapter is not None
                and (
                    f["chapter"] == chapter
                    or f["kind"] == THREAD_OVERDUE
                    or any(e["chapter"] == chapter for e in f["evidence"])
                )
            )
        ]

    def all_findings(self, novel_id: UUID) -> list[Finding]:
        return [dict(f) for f in self._row(novel_id)["findings"].values()]

    async def finding(self, novel_id: UUID, finding_id: UUID) -> Finding | None:
        found = self._row(novel_id)["findings"].get(str(finding_id))
        if found is None:
            return None
        waived = any(
            e.event_type == FINDING_WAIVED
            and e.aggregate_id == str(novel_id)
            and e.payload.get("finding_id") == str(finding_id)
            for e in self.tables.events
        )  # as the novel's own events say, as on PostgreSQL
        return dict(found) | ({"status": WAIVED} if waived else {})


class MemoryBibles:
    """The novels' bibles (`NovelRepository.bible`, all the continuity check reads of them)."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    async def codex(self, novel_id: UUID) -> Mapping[str, Any]:
        for row in self.tables.sessions.values():
            if row["state"].novel_id == novel_id:
                return dict(row["state"].codex)
        return {}

    async def bible(self, novel_id: UUID) -> NovelBible | None:
        row = self.tables.novels.get(novel_id)
        return None if row is None or "bible" not in row else row["bible"]
