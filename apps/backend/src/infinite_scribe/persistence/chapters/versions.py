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
from infinite_scribe.persistence.genesis.version_page import keyset_page

_COLUMNS = "event_id, event_type, payload, created_at, aggregate_id, aggregate_version"
_VERSIONS = """aggregate_type = 'NOVEL' AND event_type IN (
    'Novel.Chapter.DraftProposed', 'Novel.Chapter.Confirmed', 'Novel.Chapters.RolledBack')"""
_TARGET = f"""SELECT {_COLUMNS} FROM domain_events
WHERE event_id = $1 AND aggregate_id = $2 AND {_VERSIONS}"""
# Chapter $3's versions and the novel's rollbacks (any may touch it) up to version $2 and
# older than $4, newest first.
_WINDOW = f"""
SELECT {_COLUMNS} FROM domain_events
WHERE aggregate_id = $1 AND aggregate_version <= $2 AND aggregate_version < $4
  AND (({_VERSIONS} AND (payload ->> 'chapter') = $3::text)
       OR (aggregate_type = 'NOVEL' AND event_type = 'Novel.Chapters.RolledBack'))
ORDER BY aggregate_version DESC LIMIT $5
"""
_WINDOW_ROWS = 32
_PAGE = keyset_page(
    _VERSIONS,
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
    row = await connection.fetchrow(_TARGET, event_id, str(novel_id))
    number = None if row is None else row["payload"].get("chapter")
    if row is None or not isinstance(number, int):
        return None
    seq, before, since = row["aggregate_version"], 2**31 - 1, []
    while True:
        rows = await connection.fetch(
            _WINDOW, str(novel_id), seq, str(number), before, _WINDOW_ROWS
        )
        events = [_logged(r) for r in rows]
        start = next((i for i, e in enumerate(events) if sets_chapter(e, number)), None)
        since += events if start is None else events[: start + 1]  # newest first
        if start is not None or len(rows) < _WINDOW_ROWS:
            break
        before = rows[-1]["aggregate_version"]
    chapter = chapter_after(novel_id, user_id, number, reversed(since))
    chapters = {} if chapter is None else {str(number): chapter}
    return ChaptersVersion(row["event_id"], number, chapters)


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
        event, restored = _logged(row), None
        if event.event_type == ROLLED_BACK:
            found = await chapter_version(connection, novel_id, user_id, event.event_id)
            restored = None if found is None else found.chapters.get(str(found.chapter))
        entries.append((event, row["feedback"], restored))
    last = rows[len(entries) - 1]["aggregate_version"] if more and entries else None
    return ChapterPage(entries, last)


def _logged(row: asyncpg.Record) -> LoggedEvent:
    return LoggedEvent(
        row["event_id"],
        UUID(row["aggregate_id"]),
        row["event_type"],
        row["payload"],
        row["created_at"],
    )
