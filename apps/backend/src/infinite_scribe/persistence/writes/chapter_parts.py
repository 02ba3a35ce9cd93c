"""The SQL of the novel's part of a `Write`: the chapters projection's version-checked move
(a `StatementPart`, persistence/writes/statement.py): the `novels` row and the rows of the
chapters the change touched (decision 5401), nothing else of the book."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from infinite_scribe.application.ports.writes import ChaptersSave
from infinite_scribe.domain.chapters import CONFIRMED_STATUS
from infinite_scribe.persistence.writes.parts import missing
from infinite_scribe.persistence.writes.statement import Placeholder, PlainPart, Refusal, count_of

#: What a novel whose stream moved meanwhile reports (with SQLSTATE 40001: retried).
CHAPTERS_VERSION_CHECK = "novels_stream_version"


@dataclass(frozen=True)
class ChaptersPart(PlainPart):
    save: ChaptersSave
    part = "chapters"

    def ctes(self, p: Placeholder) -> Sequence[tuple[str, str]]:
        # Version-checked as a session's snapshot (genesis_parts.SnapshotPart): a writer that
        # moved the stream since our read makes this update nothing and the write is refused
        # (the whole statement, the chapters' rows with it); so does an archived novel (its
        # writer brings it back first, decision 5101). The count of confirmed chapters
        # moves by the touched rows: their count before this statement (every part of one
        # statement reads the same snapshot) out, the new rows' in.
        novel, touched = p("id"), p("touched")
        return [
            (
                "chapters",
                f"UPDATE novels SET pending_chapter = {p('pending')}::jsonb, "
                f"completed_chapters = completed_chapters + {p('confirmed')}::int - ("
                f"SELECT count(*) FROM novel_chapters WHERE novel_id = {novel}::uuid "
                f"AND number = ANY({touched}::int[]) AND status = 'CONFIRMED')::int, "
                f"stream_version = {p('version')}::int, updated_at = now()\n"
                f"WHERE id = {novel}::uuid AND stream_version = {p('old_version')}::int "
                "AND archived_at IS NULL RETURNING 1",
            ),
            (
                "chapter_rows",
                "INSERT INTO novel_chapters AS c "
                "(novel_id, number, status, text, beats, notes, findings)\n"
                f"SELECT {novel}::uuid, r.n, r.s, r.t, r.b::jsonb, r.o::jsonb, r.f::jsonb\n"
                f"FROM unnest({p('numbers')}::int[], {p('statuses')}::text[], "
                f"{p('texts')}::text[], {p('beats')}::text[], {p('notes')}::text[], "
                f"{p('findings')}::text[]) AS r(n, s, t, b, o, f)\n"
                "ON CONFLICT (novel_id, number) DO UPDATE SET status = EXCLUDED.status, "
                "text = EXCLUDED.text, beats = EXCLUDED.beats, notes = EXCLUDED.notes, "
                "findings = EXCLUDED.findings RETURNING 1",
            ),
            (
                "gone_rows",
                f"DELETE FROM novel_chapters WHERE novel_id = {novel}::uuid "
                f"AND number = ANY({p('removed')}::int[]) RETURNING 1",
            ),
        ]

    def reads(self) -> Sequence[str]:
        return [count_of("chapters")]

    def refusals(self, p: Placeholder) -> Sequence[Refusal]:
        return [Refusal(missing("chapters"), "40001", CHAPTERS_VERSION_CHECK)]

    def values(self) -> Mapping[str, Any]:
        state, changed = self.save.state, self.save.changed
        numbers = [int(number) for number in changed]
        return {
            "id": state.novel_id,
            "old_version": self.save.old_version,
            "pending": None if state.pending is None else dict(state.pending),
            "confirmed": sum(1 for c in changed.values() if c.get("status") == CONFIRMED_STATUS),
            "touched": numbers + list(self.save.removed),
            "numbers": numbers,
            "statuses": [str(c.get("status")) for c in changed.values()],
            "texts": [c.get("text") for c in changed.values()],
            # As JSON text: a list of lists would be sent as a two-dimensional jsonb[] (one
            # element per beat), and unnest would flatten it.
            "beats": _json_texts(changed.values(), "beats"),
            "notes": _json_texts(changed.values(), "notes"),
            "findings": _json_texts(changed.values(), "findings"),
            "removed": list(self.save.removed),
            "version": state.version,
        }


def _json_texts(chapters: Iterable[Mapping[str, Any]], key: str) -> list[str]:
    """Each chapter's list at `key` as JSON text (cast to jsonb in the statement)."""
    return [orjson.dumps(list(c.get(key) or [])).decode() for c in chapters]
