"""The story memory's ports in memory (issue 48): `StoryRepository` on the in-memory tables, as
the SQL adapter (persistence/story/memory.py) behaves, for unit tests and the continuity bench;
and the novel's bible, the one read of the novel the continuity check makes."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from infinite_scribe.application.ports.story import MemoryMove, StoredMemory
from infinite_scribe.domain.continuity import OPEN, RESOLVED, THREAD_OVERDUE, WAIVED, Finding
from infinite_scribe.domain.errors import ConcurrencyConflict
from infinite_scribe.domain.novel import NovelBible
from infinite_scribe.persistence.memory.tables import Tables


class MemoryStory:
    """`StoryRepository` on `tables.story` (novel id -> its projection)."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    def _row(self, novel_id: UUID) -> dict[str, Any]:
        return self.tables.story.setdefault(
            novel_id, {"version": 0, "memory": None, "findings": {}, "chapters": {}}
        )

    async def stored(self, novel_id: UUID) -> StoredMemory:
        row = self._row(novel_id)
        return StoredMemory(novel_id, row["version"], row["memory"])

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

    async def open_findings(self, novel_id: UUID, chapter: int) -> list[Finding]:
        return [
            dict(f)
            for f in self._row(novel_id)["findings"].values()
            if f["status"] == OPEN
            and (
                f["chapter"] == chapter
                or f["kind"] == THREAD_OVERDUE
                or any(e["chapter"] == chapter for e in f["evidence"])
            )
        ]

    def all_findings(self, novel_id: UUID) -> list[Finding]:
        return [dict(f) for f in self._row(novel_id)["findings"].values()]

    async def finding(self, novel_id: UUID, finding_id: UUID) -> Finding | None:
        found = self._row(novel_id)["findings"].get(str(finding_id))
        return None if found is None else dict(found)

    async def move(self, move: MemoryMove) -> None:
        row = self._row(move.novel_id)
        if row["version"] != move.old_version:
            raise ConcurrencyConflict("The story memory was moved concurrently")
        row["version"], row["memory"] = move.version, move.memory
        for chapter in move.chapters:
            row["chapters"].pop(chapter.chapter, None)
            if chapter.event_id is not None:
                row["chapters"][chapter.chapter] = (chapter.event_id, list(chapter.marks))
        findings = row["findings"]
        for finding in move.findings:
            known = findings.get(finding["id"])
            if known is None or known["status"] == RESOLVED:
                findings[finding["id"]] = dict(finding) | {"status": OPEN, "reason": None}
        for finding_id in move.resolved:
            if findings.get(finding_id, {}).get("status", WAIVED) != WAIVED:
                findings[finding_id]["status"] = RESOLVED
        for finding_id, reason in move.waived.items():
            if finding_id in findings:
                findings[finding_id] |= {"status": WAIVED, "reason": reason}


class MemoryBibles:
    """The novels' bibles (`NovelRepository.bible`, all the continuity check reads of them)."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    async def bible(self, novel_id: UUID) -> NovelBible | None:
        row = self.tables.novels.get(novel_id)
        return None if row is None or "bible" not in row else row["bible"]
