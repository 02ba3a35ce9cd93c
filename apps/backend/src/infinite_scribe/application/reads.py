"""Listing a user's sessions with an opaque cursor, and reading a novel (owner only)."""

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import orjson

from infinite_scribe.application.ports.reads import (
    NovelView,
    ReadQueries,
    SessionPosition,
    SessionSummary,
)
from infinite_scribe.domain.errors import InvalidPayload, NotFound
from shared_types.enums import GenesisStatus

MAX_PAGE_SIZE = 100
_CURSOR_VERSION = 1


class InvalidCursor(InvalidPayload):
    error_code = "INVALID_CURSOR"


@dataclass(frozen=True)
class SessionPage:
    sessions: list[SessionSummary]
    #: Pass back as `cursor` for the next page; None when this page is the last.
    next_cursor: str | None


def encode_cursor(position: SessionPosition) -> str:
    """Opaque to clients (they must not build one); versioned so the format may change."""
    raw = orjson.dumps([_CURSOR_VERSION, position.created_at.isoformat(), str(position.session_id)])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> SessionPosition:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        version, created_at, session_id = orjson.loads(raw)
        if version != _CURSOR_VERSION:
            raise ValueError("unknown cursor version")
        moment = datetime.fromisoformat(created_at)
        if moment.tzinfo is None:
            raise ValueError("cursor time without a zone")
        # In UTC, as handed out; a forged zone can push year 1 or 9999 out of range here
        # (OverflowError) instead of in the database driver.
        return SessionPosition(moment.astimezone(UTC), UUID(session_id))
    except (binascii.Error, ValueError, TypeError, AttributeError, OverflowError) as error:
        raise InvalidCursor("The cursor is not one this API handed out") from error


class Reads:
    """The read use cases behind GET /genesis/sessions and GET /novels/{id}."""

    def __init__(self, queries: ReadQueries) -> None:
        self.queries = queries

    async def sessions(
        self, user_id: UUID, status: GenesisStatus | None, cursor: str | None, limit: int
    ) -> SessionPage:
        after = decode_cursor(cursor) if cursor else None
        # One extra row tells whether another page exists without a count query.
        rows = await self.queries.sessions_page(user_id, status, after, limit + 1)
        page, more = rows[:limit], len(rows) > limit
        next_cursor = None
        if more and page:
            last = page[-1]
            next_cursor = encode_cursor(SessionPosition(last.created_at, last.session_id))
        return SessionPage(page, next_cursor)

    async def novel(self, novel_id: UUID, user_id: UUID) -> NovelView:
        novel = await self.queries.novel(novel_id, user_id)
        if novel is None:  # someone else's novel is as absent as a missing one
            raise NotFound("No such novel")
        return novel
