"""Every chapter of a novel right after one of its versions, for a novel-wide rollback (issue
54, decision 5405): each chapter's newest versions up to it (one query over the chapter index,
a few rows per chapter) and the novel's rollbacks, merged per chapter back to the event that set
it whole; a chapter the windows do not reach back far enough for is read on its own
(`versions.back_to_whole`). Bounded by the book's chapters, not by its stream's length."""

from uuid import UUID

import asyncpg

from infinite_scribe.domain.chapter_history import chapter_after, sets_chapter
from infinite_scribe.domain.chapters import ChaptersVersion
from infinite_scribe.domain.history import LoggedEvent
from infinite_scribe.persistence.chapters.versions import (
    _COLUMNS,
    _ROLLBACK_WINDOW,
    _TARGET,
    _VERSIONS,
    back_to_whole,
)
from infinite_scribe.persistence.genesis.restores import Reader
from infinite_scribe.persistence.genesis.version_page import logged_event

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
_OWN_WINDOWS = f"""
SELECT e.* FROM unnest($3::int[]) AS n (number)
CROSS JOIN LATERAL (
    SELECT {_COLUMNS} FROM domain_events
    WHERE aggregate_id = $1 AND {_VERSIONS} AND (payload ->> 'chapter') = n.number::text
      AND aggregate_version <= $2
    ORDER BY aggregate_version DESC LIMIT {_OWN}
) AS e
"""


async def novel_version(
    reader: Reader, novel_id: UUID, user_id: UUID, event_id: UUID
) -> ChaptersVersion | None:
    """The version `event_id` of the novel and every chapter right after it; None: not one
    of its versions."""
    novel = str(novel_id)
    row = await reader.fetchrow(_TARGET, event_id, novel)
    if row is None:
        return None
    seq = row["aggregate_version"]
    numbers = sorted({r["number"] for r in await reader.fetch(_NUMBERS, novel, seq)})
    own: dict[int, list[asyncpg.Record]] = {n: [] for n in numbers}
    for found in await reader.fetch(_OWN_WINDOWS, novel, seq, numbers):
        own[found["payload"]["chapter"]].append(found)
    rollbacks = await reader.fetch(_ROLLBACK_WINDOW, novel, seq, 2**31 - 1, _ROLLBACKS)
    chapters = {}
    for number in numbers:
        since = _since(number, own[number], rollbacks)
        if since is None:  # the windows end before the event that set it whole
            since = await back_to_whole(reader, novel, seq, number)
        chapter = chapter_after(novel_id, user_id, number, reversed(since))
        if chapter is not None:
            chapters[str(number)] = chapter
    chapter_number = row["payload"].get("chapter")
    number = chapter_number if isinstance(chapter_number, int) else None
    return ChaptersVersion(row["event_id"], number, chapters)


def _since(
    number: int, own: list[asyncpg.Record], rollbacks: list[asyncpg.Record]
) -> list[LoggedEvent] | None:
    """The chapter's events newest first back to the one that set it whole (all of them when
    both windows hold everything there is); None: a full window ends before that event."""
    full = [rows[-1]["aggregate_version"] for rows, size in ((own, _OWN), (rollbacks, _ROLLBACKS))
            if len(rows) == size]  # fmt: skip
    floor = max(full, default=0)
    merged = {r["event_id"]: r for r in [*own, *rollbacks] if r["aggregate_version"] >= floor}
    ordered = sorted(merged.values(), key=lambda r: int(r["aggregate_version"]), reverse=True)
    events = [logged_event(r) for r in ordered]
    start = next((i for i, e in enumerate(events) if sets_chapter(e, number)), None)
    if start is not None:
        return events[: start + 1]
    return events if floor == 0 else None
