"""The archive of a session (issue 51, decision 5101), pure: which event streams a session's
archive moves, and the events that record each move.

A session is archived as one unit: its own stream and, once it has made a novel, the novel's
streams (chapters and story memory). Each move is recorded in the session's archive stream
(aggregate ARCHIVE, id = the session), which itself stays hot: it is small, and it is where an
operator reads when and why a book went to the archive and came back.
"""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from infinite_scribe.domain.chapters import AGGREGATE_TYPE as NOVEL
from infinite_scribe.domain.genesis_events import AGGREGATE_TYPE as SESSION
from infinite_scribe.domain.story_memory import AGGREGATE_TYPE as STORY_MEMORY

AGGREGATE_TYPE = "ARCHIVE"
ARCHIVED = "Archive.Session.Archived"
UNARCHIVED = "Archive.Session.Unarchived"

#: Why a session was archived.
ON_REQUEST = "request"
FINISHED_AND_IDLE = "finished"
TRASHED_AND_IDLE = "trashed"
#: Why it came back: a writer wrote to it.
ON_WRITE = "write"


@dataclass(frozen=True)
class ArchiveUnit:
    """A session and its novel (None before Genesis made one)."""

    session_id: UUID
    novel_id: UUID | None

    def streams(self) -> list[tuple[str, str]]:
        """(aggregate_type, aggregate_id) of every stream the unit's archive moves."""
        streams = [(SESSION, str(self.session_id))]
        if self.novel_id is not None:
            streams += [(NOVEL, str(self.novel_id)), (STORY_MEMORY, str(self.novel_id))]
        return streams

    def payload(self, reason: str, events_moved: int) -> dict[str, Any]:
        return {
            "session_id": str(self.session_id),
            "novel_id": None if self.novel_id is None else str(self.novel_id),
            "reason": reason,
            "events_moved": events_moved,
        }
