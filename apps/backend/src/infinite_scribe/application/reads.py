"""Listing a user's sessions and novels with an opaque cursor, and reading a novel or an async
task (owner only: anybody else gets a 404, no existence leak).

Every list of the API pages the same way: newest first, `limit` rows, and `next_cursor` to pass
back as `cursor` (null on the last page). A cursor is a keyset position (a time and an id), so
pages never shift when rows are added meanwhile.
"""

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar
from uuid import UUID

import orjson

from infinite_scribe.application.ports.reads import (
    ChapterWindow,
    NovelPosition,
    NovelSource,
    NovelSummary,
    NovelView,
    ReadQueries,
    SessionPosition,
    SessionSummary,
)
from infinite_scribe.application.ports.tasks import TaskQueries, TaskView
from infinite_scribe.domain.errors import InvalidPayload, NotFound
from shared_types.enums import GenesisStatus

MAX_PAGE_SIZE = 100
_CURSOR_VERSION = 1
T = TypeVar("T")


class InvalidCursor(InvalidPayload):
    error_code = "INVALID_CURSOR"


@dataclass(frozen=True)
class SessionPage:
    sessions: list[SessionSummary]
    #: Pass back as `cursor` for the next page; None when this page is the last.
    next_cursor: str | None


@dataclass(frozen=True)
class NovelPage:
    novels: list[NovelSummary]
    #: Pass back as `cursor` for the next page; None when this page is the last.
    next_cursor: str | None


def encode_position(moment: datetime, row_id: UUID) -> str:
    """Opaque to clients (they must not build one); versioned so the format may change."""
    raw = orjson.dumps([_CURSOR_VERSION, moment.isoformat(), str(row_id)])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_position(cursor: str) -> tuple[datetime, UUID]:
    """The (time, id) a cursor holds; InvalidCursor (422) for anything this API did not make."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        version, moment_text, row_id = orjson.loads(raw)
        if version != _CURSOR_VERSION:
            raise ValueError("unknown cursor version")
        moment = datetime.fromisoformat(moment_text)
        if moment.tzinfo is None:
            raise ValueError("cursor time without a zone")
        # In UTC, as handed out; a forged zone can push year 1 or 9999 out of range here
        # (OverflowError) instead of in the database driver.
        return moment.astimezone(UTC), UUID(row_id)
    except (binascii.Error, ValueError, TypeError, AttributeError, OverflowError) as error:
        raise InvalidCursor("The cursor is not one this API handed out") from error


def encode_sequence(number: int) -> str:
    """A cursor for lists ordered by a number (event pages: a global id or a version)."""
    raw = orjson.dumps([_CURSOR_VERSION, number])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_sequence(cursor: str, maximum: int = 2**63 - 1) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        version, number = orjson.loads(raw)
        if version != _CURSOR_VERSION or type(number) is not int or not 0 <= number <= maximum:
            raise ValueError("not a sequence cursor")
        return number
    except (binascii.Error, ValueError, TypeError) as error:
        raise InvalidCursor("The cursor is not one this API handed out") from error


def page_of(
    rows: Sequence[T], limit: int, position: Callable[[T], tuple[datetime, UUID]]
) -> tuple[list[T], str | None]:
    """Split `limit + 1` fetched rows into the page and the cursor of the next one (the extra
    row tells whether another page exists without a count query)."""
    page = list(rows[:limit])
    if len(rows) > limit and page:
        return page, encode_position(*position(page[-1]))
    return page, None


class Reads:
    """The read use cases behind GET /genesis/sessions, GET /novels and GET /novels/{id}."""

    def __init__(self, queries: ReadQueries) -> None:
        self.queries = queries

    async def sessions(
        self, user_id: UUID, status: GenesisStatus | None, cursor: str | None, limit: int
    ) -> SessionPage:
        after = SessionPosition(*decode_position(cursor)) if cursor else None
        rows = await self.queries.sessions_page(user_id, status, after, limit + 1)
        page, next_cursor = page_of(rows, limit, lambda row: (row.created_at, row.session_id))
        return SessionPage(page, next_cursor)

    async def branches(self, session_id: UUID, user_id: UUID) -> list[SessionSummary]:
        """The first 50 branches of a session (the console links a session to them)."""
        return await self.queries.branches_of(session_id, user_id, 50)

    async def novels(self, user_id: UUID, cursor: str | None, limit: int) -> NovelPage:
        after = NovelPosition(*decode_position(cursor)) if cursor else None
        rows = await self.queries.novels_page(user_id, after, limit + 1)
        page, next_cursor = page_of(rows, limit, lambda row: (row.created_at, row.novel_id))
        return NovelPage(page, next_cursor)

    async def novel(
        self, novel_id: UUID, user_id: UUID, window: ChapterWindow | None = None
    ) -> NovelView:
        """The novel with the chapters of `window` (None: every chapter, for a synchronous
        export: the whole book's read is the export job's, application/exports.py)."""
        novel = await self.queries.novel(novel_id, user_id, window)
        if novel is None:  # someone else's novel is as absent as a missing one
            raise NotFound("No such novel")
        return novel

    async def novel_source(self, novel_id: UUID, user_id: UUID) -> NovelSource:
        """The novel with its chapters undecoded (`parsed()` off the loop); 404 as `novel`."""
        source = await self.queries.novel_source(novel_id, user_id)
        if source is None:
            raise NotFound("No such novel")
        return source


async def read_task(queries: TaskQueries, task_id: UUID, user_id: UUID) -> TaskView:
    task = await queries.task(task_id, user_id)
    if task is None:
        raise NotFound("Task not found")
    return task
