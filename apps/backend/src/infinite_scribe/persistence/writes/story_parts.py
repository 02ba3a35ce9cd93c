"""The story memory's part of a `Write` (issue 70): the projection's move, written in the same
statement as the check's ledger row and its `ChapterChecked` event (a `StatementPart`,
persistence/writes/statement.py): the memory row's version-checked move, the checked chapters
(the event each one's text is in) and their passage fingerprints, and the findings the story's
`evolve` changed, stored as it computed them."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from infinite_scribe.application.ports.story import MemoryMove
from infinite_scribe.domain.continuity import rank
from infinite_scribe.persistence.writes.parts import missing
from infinite_scribe.persistence.writes.statement import Placeholder, PlainPart, Refusal, count_of

#: What a memory moved meanwhile reports (with SQLSTATE 40001: the check runs again).
STORY_VERSION_CHECK = "story_memory_version"


@dataclass(frozen=True)
class StoryPart(PlainPart):
    move: MemoryMove
    part = "story"

    def ctes(self, p: Placeholder) -> Sequence[tuple[str, str]]:
        novel = p("novel_id")
        # Version-checked like a snapshot: another check of the novel that wrote since our read
        # makes this move nothing, and the whole statement is refused (its event too).
        memory = (
            "INSERT INTO story_memory AS m (novel_id, user_id, version, memory)\n"
            f"VALUES ({novel}::uuid, {p('user_id')}::uuid, {p('version')}::int, "
            f"{p('memory')}::jsonb)\n"
            "ON CONFLICT (novel_id) DO UPDATE SET version = EXCLUDED.version, "
            "memory = EXCLUDED.memory, updated_at = now()\n"
            f"WHERE m.version = {p('old_version')}::int RETURNING 1"
        )
        # A chapter no longer confirmed goes (its fingerprints with it, by the foreign key);
        # a checked one is upserted, never deleted and inserted again: one statement may not
        # move a row twice. Its old fingerprints that its new text lacks go, the new ones come.
        gone = (
            f"DELETE FROM story_chapters WHERE novel_id = {novel}::uuid "
            f"AND chapter = ANY({p('gone')}::int[]) RETURNING 1"
        )
        chapters = (
            "INSERT INTO story_chapters AS c (novel_id, chapter, event_id)\n"
            f"SELECT {novel}::uuid, r.c, r.e "
            f"FROM unnest({p('chapters')}::int[], {p('event_ids')}::uuid[]) AS r(c, e)\n"
            "ON CONFLICT (novel_id, chapter) DO UPDATE SET event_id = EXCLUDED.event_id "
            "RETURNING 1"
        )
        stale, marks = _marks(p, novel)
        findings = _findings(p, novel)
        return [
            ("story", memory),
            ("story_gone", gone),
            ("story_chapters", chapters),
            ("story_stale_marks", stale),
            ("story_marks", marks),
            ("story_findings", findings),
        ]

    def reads(self) -> Sequence[str]:
        return [count_of("story")]

    def refusals(self, p: Placeholder) -> Sequence[Refusal]:
        return [Refusal(missing("story"), "40001", STORY_VERSION_CHECK)]

    def values(self) -> Mapping[str, Any]:
        move = self.move
        checked = [c for c in move.chapters if c.event_id is not None]
        return {
            "novel_id": move.novel_id,
            "user_id": move.user_id,
            "version": move.version,
            "old_version": move.old_version,
            "memory": dict(move.memory),
            "gone": [c.chapter for c in move.chapters if c.event_id is None],
            "chapters": [c.chapter for c in checked],
            "event_ids": [c.event_id for c in checked],
            "mark_chapters": [c.chapter for c in checked for _ in c.marks],
            "marks": [mark for c in checked for mark in c.marks],
            "findings": [dict(f) | {"rank": rank(f)} for f in move.findings],
        }


def _marks(p: Placeholder, novel: str) -> tuple[str, str]:
    """A chapter's old fingerprints its new text lacks, deleted; its new ones, inserted."""
    new_marks = f"unnest({p('mark_chapters')}::int[], {p('marks')}::bigint[]) AS n(c, m)"
    stale = (
        f"DELETE FROM story_marks s WHERE s.novel_id = {novel}::uuid "
        f"AND s.chapter = ANY({p('chapters')}::int[]) AND NOT EXISTS "
        f"(SELECT 1 FROM {new_marks} WHERE n.c = s.chapter AND n.m = s.mark) RETURNING 1"
    )
    marks = (
        f"INSERT INTO story_marks (novel_id, mark, chapter) SELECT {novel}::uuid, n.m, n.c "
        f"FROM {new_marks} ON CONFLICT DO NOTHING RETURNING 1"
    )
    return stale, marks


def _findings(p: Placeholder, novel: str) -> str:
    """The findings `evolve` changed, stored as given (status and reason included)."""
    findings = (
        "INSERT INTO story_findings AS f\n"
        "    (id, novel_id, kind, chapter, status, reason, rank, finding, evidence_chapters)\n"
        f"SELECT (x->>'id')::uuid, {novel}::uuid, x->>'kind', (x->>'chapter')::int, "
        "x->>'status', x->>'reason', (x->>'rank')::smallint, x - 'status' - 'reason' - 'rank',"
        "\n       ARRAY(SELECT (e->>'chapter')::int "
        "FROM jsonb_array_elements(x->'evidence') AS e)\n"
        f"FROM jsonb_array_elements({p('findings')}::jsonb) AS x\n"
        "ON CONFLICT (id) DO UPDATE SET status = excluded.status, reason = excluded.reason, "
        "finding = excluded.finding, evidence_chapters = excluded.evidence_chapters, "
        "updated_at = now() RETURNING 1"
    )
    return findings
