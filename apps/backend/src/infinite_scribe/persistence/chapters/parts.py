"""The SQL of the novel's part of a `Write`: the chapters projection's version-checked move
(a `StatementPart`, persistence/writes/statement.py)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from infinite_scribe.application.ports.writes import ChaptersSave
from infinite_scribe.persistence.writes.parts import missing
from infinite_scribe.persistence.writes.statement import Placeholder, Refusal, count_of

#: What a novel whose stream moved meanwhile reports (with SQLSTATE 40001: retried).
CHAPTERS_VERSION_CHECK = "novels_stream_version"


@dataclass(frozen=True)
class ChaptersPart:
    save: ChaptersSave
    shape = "chapters"
    part = "chapters"

    def ctes(self, p: Placeholder) -> Sequence[tuple[str, str]]:
        # Version-checked as a session's snapshot (genesis_parts.SnapshotPart): a writer that
        # moved the stream since our read makes this update nothing and the write is refused.
        return [
            (
                "chapters",
                f"UPDATE novels SET chapters = {p('chapters')}::jsonb, "
                f"pending_chapter = {p('pending')}::jsonb, "
                f"completed_chapters = {p('completed')}::int, "
                f"stream_version = {p('version')}::int, updated_at = now()\n"
                f"WHERE id = {p('id')}::uuid AND stream_version = {p('old_version')}::int "
                "RETURNING 1",
            )
        ]

    def reads(self) -> Sequence[str]:
        return [count_of("chapters")]

    def refusals(self, p: Placeholder) -> Sequence[Refusal]:
        return [Refusal(missing("chapters"), "40001", CHAPTERS_VERSION_CHECK)]

    def values(self) -> Mapping[str, Any]:
        state = self.save.state
        return {
            "id": state.novel_id,
            "old_version": self.save.old_version,
            "chapters": {k: dict(v) for k, v in state.chapters.items()},
            "pending": None if state.pending is None else dict(state.pending),
            "completed": state.confirmed_count(),
            "version": state.version,
        }
