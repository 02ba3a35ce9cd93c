"""Every chapter of a novel right after one of its versions, for a novel-wide rollback (issue
54, decision 5405): each chapter's newest versions up to it (one query over the chapter index,
a few rows per chapter) and the novel's rollbacks, merged per chapter back to the event that set
it whole; a chapter the windows do not reach back far enough for is read on its own
(`versions.back_to_whole`). Bounded by the book's chapters, not by its stream's length."""

from uuid import UUID

import asyncpg

from infinite_scribe.domain.chapter_history import chapter_after
from infinite_scribe.domain.chapters import ChaptersVersion
from infinite_scribe.domain.history import LoggedEvent
from infinite_scribe.persistence.chapters.versions import (
    COLUMNS,
    ROLLBACK_WINDOW,
    TARGET,
    VERSIONS,
    back_to_whole,
    merged_back,
)
from infinite_scribe.persistence.genesis.restores import Reader

#: A chapter's newest versions read at once (a draft, a revision, its confirmation, ...).
_OWN = 4
#: The novel's newest rollbacks read at once.
_ROLLBACKS = 64

# The chapters that may have had text right after version $2: those the novel has now, and
# those a later rollback took away (a chapter gains text only by a draft, which stays).
_NUMBERS = """
SELECT number FROM novel_chapters WHERE novel_id = $1::uuid
UNION
SELECT (jsonb_array_elements_text(payload -> 'removed'))::int FROM domain_events
WHERE aggregate_id = $1::text AND aggregate_type = 'NOVEL'
  AND event_type = 'Novel.Chapters.RolledBack' AND aggregate_version > $2
"""
# Each chapter's newest versions up to version $2, without their payloads: whether each set the
# chapter whole (a draft of it, or a rollback that put it back or took it away), so only the
# payloads from the newest down to that one are read (a book's texts, not four of each).
_OWN_WINDOWS = f"""
SELECT n.number, e.event_id, e.aggregate_version, e.whole FROM unnest($3::int[]) AS n (number)
CROSS JOIN LATERAL (
    SELECT event_id, aggregate_version,
           event_type = 'Novel.Chapter.DraftProposed'
           OR (payload -> 'chapters') ? n.number::text
           OR (payload -> 'removed') @> to_jsonb(n.number::text)
           OR (payload -> 'removed') @> to_jsonb(n.number) AS whole
    FROM domain_events
    WHERE aggregate_id = $1 AND {VERSIONS} AND (payload ->> 'chapter') = n.number::text
      AND aggregate_version <= $2
    ORDER BY aggregate_version DESC LIMIT {_OWN}
) AS e
"""
_PAYLOADS = f"SELECT {COLUMNS} FROM domain_events WHERE event_id = ANY($1::uuid[])"


async def novel_version(
    reader: Reader, novel_id: UUID, user_id: UUID, event_id: UUID
) -> ChaptersVersion | None:
    """The version `event_id` of the novel and every chapter right after it; None: not one
    of its versions."""
    novel = str(novel_id)
    row = await reader.fetchrow(TARGET, event_id, novel)
    if row is None:
        return None
    seq = row["aggregate_version"]
    numbers = sorted({r["number"] for r in await reader.fetch(_NUMBERS, novel, seq)})
    own, floors = await _own_versions(reader, novel, seq, numbers)
    rollbacks = await reader.fetch(ROLLBACK_WINDOW, novel, seq, 2**31 - 1, _ROLLBACKS)
    chapters = {}
    for number in numbers:
        since = _since(number, own[number], floors[number], rollbacks)
        if since is None:  # the windows end before the event that set it whole
            since = await back_to_whole(reader, novel, seq, number)
        chapter = chapter_after(novel_id, user_id, number, reversed(since))
        if chapter is not None:
            chapters[str(number)] = chapter
    chapter_number = row["payload"].get("chapter")
    number = chapter_number if isinstance(chapter_number, int) else None
    return ChaptersVersion(row["event_id"], number, chapters)


async def _own_versions(
    reader: Reader, novel: str, seq: int, numbers: list[int]
) -> tuple[dict[int, list[asyncpg.Record]], dict[int, int]]:
    """Each chapter's versions from its newest down to the one that set it whole (with their
    payloads), and how far down its window is to be trusted (0: to the stream's start, or it
    holds that event)."""
    rows: dict[int, list[asyncpg.Record]] = {n: [] for n in numbers}
    for row in await reader.fetch(_OWN_WINDOWS, novel, seq, numbers):
        rows[row["number"]].append(row)
    wanted, floors = [], {}
    for number, window in rows.items():
        window.sort(key=lambda r: int(r["aggregate_version"]), reverse=True)  # newest first
        start = next((i for i, r in enumerate(window) if r["whole"]), None)
        kept = window if start is None else window[: start + 1]
        wanted += [r["event_id"] for r in kept]
        full = start is None and len(window) == _OWN
        floors[number] = window[-1]["aggregate_version"] if full else 0
    found = {r["event_id"]: r for r in await reader.fetch(_PAYLOADS, wanted)}
    own = {n: [found[r["event_id"]] for r in window if r["event_id"] in found]
           for n, window in rows.items()}  # fmt: skip
    return own, floors


def _since(
    number: int, own: list[asyncpg.Record], own_floor: int, rollbacks: list[asyncpg.Record]
) -> list[LoggedEvent] | None:
    """The chapter's events newest first back to the one that set it whole (all of them when
    both windows hold everything there is); None: a full window ends before that event."""
    rollback_floor = rollbacks[-1]["aggregate_version"] if len(rollbacks) == _ROLLBACKS else 0
    floor = max(own_floor, rollback_floor)
    events, whole = merged_back(number, [*own, *rollbacks], floor)
    return events if whole or floor == 0 else None
