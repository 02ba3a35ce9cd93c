"""A chapter's version, read by index (issue 54, decision 5402): the chapter right after one of
its versions, for a rollback of that chapter. The chapter's own versions and the novel's
rollbacks (migration 0026's partial indexes) are read newest first back to the event that set
the chapter whole, a window at a time: a few rows whatever the novel's length."""

from collections.abc import Mapping
from typing import Any
from uuid import UUID

import asyncpg

from infinite_scribe.domain.chapter_history import ChapterPage, chapter_after, sets_chapter
from infinite_scribe.domain.chapters import ROLLED_BACK, ChaptersVersion
from infinite_scribe.domain.history import LoggedEvent
from infinite_scribe.persistence.genesis.version_page import keyset_page, logged_event

COLUMNS = "event_id, event_type, payload, created_at, aggregate_id, aggregate_version"
VERSIONS = """aggregate_type = 'NOVEL' AND event_type IN (
    'Novel.Chapter.DraftProposed', 'Novel.Chapter.Confirmed', 'Novel.Chapters.RolledBack')"""
TARGET = f"""SELECT {COLUMNS} FROM domain_events
WHERE event_id = $1 AND aggregate_id = $2 AND {VERSIONS}"""
# Chapter $3's versions up to version $2 and older than $4, newest first (by its index).
_CHAPTER_WINDOW = f"""
SELECT {COLUMNS} FROM domain_events
WHERE aggregate_id = $1 AND {VERSIONS} AND (payload ->> 'chapter') = $3::text
  AND aggregate_version <= $2 AND aggregate_version < $4
ORDER BY aggregate_version DESC LIMIT $5
"""
# The novel's rollbacks that may touch any chapter (written before decision 5405 made a
# novel-wide one an event per chapter: migration 0029's index), the same way.
ROLLBACK_WINDOW = f"""
SELECT {COLUMNS} FROM domain_events
WHERE aggregate_id = $1 AND aggregate_type = 'NOVEL' AND event_type = 'Novel.Chapters.RolledBack'
  AND NOT (payload ? 'per_chapter') AND (payload ->> 'scope') IS DISTINCT FROM 'chapter'
  AND aggregate_version <= $2 AND aggregate_version < $3
ORDER BY aggregate_version DESC LIMIT $4
"""
_ROWS = 32
_PAGE = keyset_page(
    VERSIONS,
    "e.event_id, e.event_type, e.payload, e.created_at, e.aggregate_id, e.aggregate_version, "
    "f.payload ->> 'feedback' AS feedback",
    "LEFT JOIN domain_events f ON f.event_id = e.causation_id "
    "AND f.event_type = 'Novel.Chapter.FeedbackSubmitted'",
)


async def chapter_version(
    connection: asyncpg.Connection | asyncpg.Pool, novel_id: UUID, user_id: UUID, event_id: UUID
) -> ChaptersVersion | None:
    """The version `event_id` of a chapter of the novel, with that chapter as it was right
    after it; None: not a version of this novel, or one that names no chapter."""
    row = await connection.fetchrow(TARGET, event_id, str(novel_id))
    number = None if row is None else row["payload"].get("chapter")
    if row is None or not isinstance(number, int):
        return None
    since = await back_to_whole(connection, str(novel_id), row["aggregate_version"], number)
    chapter = chapter_after(novel_id, user_id, number, reversed(since))
    chapters = {} if chapter is None else {str(number): chapter}
    return ChaptersVersion(row["event_id"], number, chapters)


async def back_to_whole(
    connection: asyncpg.Connection | asyncpg.Pool, novel: str, seq: int, number: int
) -> list[LoggedEvent]:
    """Chapter `number`'s events up to `seq`, newest first, back to the one that set it whole
    (or to the stream's start): two index-ordered windows at a time, merged, trusted down to
    the higher of their last rows when either was full."""
    before, since = 2**31 - 1, []
    while True:
        own = await connection.fetch(_CHAPTER_WINDOW, novel, seq, str(number), before, _ROWS)
        rollbacks = await connection.fetch(ROLLBACK_WINDOW, novel, seq, before, _ROWS)
        floor = max(
            (rows[-1]["aggregate_version"] for rows in (own, rollbacks) if len(rows) == _ROWS),
            default=0,
        )
        events, whole = merged_back(number, [*own, *rollbacks], floor)
        since += events
        if whole or floor == 0:
            return since
        before = floor


def merged_back(
    number: int, rows: list[asyncpg.Record], floor: int
) -> tuple[list[LoggedEvent], bool]:
    """Chapter `number`'s events among `rows` (windows that may overlap) from `floor` up,
    newest first, down to the one that set it whole; and whether one did."""
    merged = {r["event_id"]: r for r in rows if r["aggregate_version"] >= floor}
    ordered = sorted(merged.values(), key=lambda r: int(r["aggregate_version"]), reverse=True)
    events = [logged_event(r) for r in ordered]
    start = next((i for i, e in enumerate(events) if sets_chapter(e, number)), None)
    return (events, False) if start is None else (events[: start + 1], True)


async def history_page(
    connection: asyncpg.Connection | asyncpg.Pool,
    novel_id: UUID,
    user_id: UUID,
    before: int,
    limit: int,
    max_bytes: int,
) -> ChapterPage:
    """Up to `limit` chapter versions older than `before`, newest first, each with what its
    view needs besides its payload (a revision's feedback, a rollback's chapter after it)."""
    rows = await connection.fetch(_PAGE, str(novel_id), before, limit + 1, max_bytes)
    more = len(rows) > limit or (bool(rows) and len(rows) < rows[0]["fetched"])
    entries: list[tuple[LoggedEvent, str | None, Mapping[str, Any] | None]] = []
    for row in rows[:limit]:
        event, restored = logged_event(row), None
        number = event.payload.get("chapter")
        if event.event_type == ROLLED_BACK and isinstance(number, int):
            if sets_chapter(event, number):  # it carries its chapter (or took it away)
                restored = chapter_after(novel_id, user_id, number, [event])
            else:
                found = await chapter_version(connection, novel_id, user_id, event.event_id)
                restored = None if found is None else found.chapters.get(str(found.chapter))
        entries.append((event, row["feedback"], restored))
    last = rows[len(entries) - 1]["aggregate_version"] if more and entries else None
    return ChapterPage(entries, last)
