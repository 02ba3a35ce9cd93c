"""Ports of the genesis session aggregate: its snapshot, the reads a command needs, and the
command inbox (the generic storage ports are in storage.py, the write in writes.py)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from infinite_scribe.application.ports.idempotency import StoredResponse
from infinite_scribe.application.ports.storage import RepositoryKey
from infinite_scribe.application.ports.writes import ProposalInput
from infinite_scribe.domain.genesis import GenesisState, VersionTarget
from infinite_scribe.domain.version_page import PageCursor, VersionPage


@dataclass(frozen=True)
class SessionSnapshot:
    """A genesis session's snapshot row; `trashed` says it sits in the trash."""

    state: GenesisState
    trashed: bool
    #: Since when it sits in the trash (None: not trashed).
    trashed_at: datetime | None = None
    #: Its events are in the archive (a writer brings it back first: application/archive.py).
    archived: bool = False


@dataclass(frozen=True)
class KeyLookup:
    """The idempotency record a keyed command looks for with its session (same read)."""

    scope: str
    key: str


@dataclass(frozen=True)
class KeyRecord:
    """A live idempotency record: an answer (`response`), or a claim still running."""

    fingerprint: str
    response: StoredResponse | None
    #: Seconds until a running claim's lease ends (None for an answer).
    retry_after: float | None = None
    #: The keyed command whose inbox row is the record (decision 7204): its first answer is
    #: given again, rendered as it was.
    command: "ExistingCommand | None" = None


@dataclass(frozen=True)
class CommandTarget:
    """What a command reads before it decides: the session (None: not the user's) and, for a
    keyed command, the record of its key."""

    snapshot: SessionSnapshot | None
    record: KeyRecord | None = None

    @property
    def archived(self) -> bool:
        return self.snapshot is not None and self.snapshot.archived


@dataclass(frozen=True)
class ExistingCommand:
    """The inbox row a new command collided with."""

    command_id: UUID
    command_type: str
    status: str
    correlation_id: UUID
    same_key: bool
    #: Its async task (None for a sync command).
    task_id: UUID | None = None
    #: The session or novel it was sent to (a key is the user's: another aggregate's command
    #: may hold it).
    aggregate_id: UUID | None = None


class CommandInbox(Protocol):
    """Reads of the command inbox outside any transaction."""

    async def existing(
        self, aggregate_id: UUID, user_id: UUID, idempotency_key: str, command_type: str
    ) -> ExistingCommand | None:
        """The command a new one collided with: the user's command with the same key first,
        else the aggregate's pending command of the same type."""
        ...


class CommandReads(Protocol):
    """The one read of a command (outside a transaction, or inside one)."""

    async def command_target(
        self, session_id: UUID, user_id: UUID, lookup: KeyLookup | None
    ) -> CommandTarget: ...

    async def version_target(
        self, session_id: UUID, event_id: UUID, user_id: UUID
    ) -> VersionTarget | None:
        """The version `event_id` of the session's lineage and the state right after it (a
        rollback's or branch's read, bounded); None: not one of its versions."""
        ...

    async def session_input(self, session_id: UUID) -> dict[str, Any]:
        """What the writer gave when the lineage began (a branch carries it on)."""
        ...

    async def proposal_input(self, session_id: UUID, event_id: UUID) -> ProposalInput | None:
        """What the proposal `event_id` of this session was generated from (issue 55); None:
        no such proposal, or one written before its inputs were kept."""
        ...


class CommandQueries(CommandReads, CommandInbox, Protocol):
    """Everything a command reads outside a transaction."""


class GenesisRepository(CommandReads, Protocol):
    """The genesis session aggregate inside a transaction (its writes are `Write` parts)."""

    async def load(self, session_id: UUID) -> SessionSnapshot | None: ...


@dataclass(frozen=True)
class EventLines:
    """A page of events as the JSON texts of `EventOut` objects, made by the store (the
    payloads are never decoded into Python objects: issue 49), cut at a byte bound."""

    lines: list[str]
    #: Where to continue (aggregate version or global id); None: this is the last page.
    next_after: int | None


class GenesisQueries(CommandReads, Protocol):
    """Reads for genesis sessions and their events (no transaction; errors translated)."""

    async def latest_proposal_input(self, session_id: UUID) -> ProposalInput | None:
        """What the session's newest proposal was generated from (None: none recorded)."""
        ...

    async def snapshot(self, session_id: UUID, user_id: UUID) -> SessionSnapshot | None: ...

    async def version_page(
        self, session_id: UUID, cursor: PageCursor, limit: int, max_bytes: int
    ) -> VersionPage:
        """One page of the lineage's versions older than `cursor`, newest first."""
        ...

    async def session_events(self, session_id: UUID, after: int, limit: int) -> list[Any]:
        """Rows with the columns of `EventOut`, in aggregate-version order."""
        ...

    async def session_event_lines(
        self, session_id: UUID, after: int, limit: int, max_bytes: int
    ) -> EventLines:
        """At most `limit` events after version `after`, and none past the one that
        reaches `max_bytes` of JSON (always one, if there is one)."""
        ...

    async def correlated_event_lines(
        self, correlation_id: UUID, user_id: UUID, after: int, limit: int, max_bytes: int
    ) -> EventLines:
        """The flow's events the user caused after global id `after`, bounded likewise."""
        ...


#: The genesis session aggregate's repository.
GENESIS_SESSIONS: RepositoryKey[GenesisRepository] = RepositoryKey("genesis_sessions")
