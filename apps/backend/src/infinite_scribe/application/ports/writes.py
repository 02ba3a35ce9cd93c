"""The write port: one aggregate change, declared as typed parts, written as one statement.

A use case never writes rows one by one: it declares what its change consists of (the events
with their outbox rows, the snapshot's version-checked move, and whatever else belongs to the
same change: the inbox row (a keyed command's key record), a task, a flow handle, a ledger
row) and an `AggregateWrites` adapter writes all of it at once. The same parts are written inside a
transaction (`Transaction.write`) or, when nothing else needs one, in autocommit
(`UnitOfWork.writes`): one round trip either way (docs/architecture.md, "The write path").
"""

from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from infinite_scribe.application.ports.story_move import MemoryMove
from infinite_scribe.domain.event_names import validate_event_name
from infinite_scribe.domain.novel import NovelBible
from shared_types import EventEnvelope


@dataclass
class Attempt:
    """One attempt of a unit of work that may lose an optimistic race (application/retries)."""

    #: It runs again after a loss: its autocommit write leaves at once, alone, instead of
    #: queueing for a batch, where the losers of one race would leave in lockstep (7201).
    retrying: bool = False
    #: Its write waited for a batch (the adapter says so): a loss then is the batch's doing.
    queued: bool = False


#: The attempt the current task runs (None outside `with_retries`).
ATTEMPT: ContextVar[Attempt | None] = ContextVar("attempt", default=None)


class EventAlreadyStored(Exception):
    """An event id the write appends is in the log already (a repeated answer)."""


class AlreadyProcessed(Exception):
    """The write's ledger row is there already: the consumer handled this message before."""


class TaskNotRunning(Exception):
    """The write's task finish found its task no longer PENDING/RUNNING (cancelled or finished
    meanwhile): nothing is written."""


class FlowAlreadyWaiting(Exception):
    """The write's PAUSED handle met the flow's waiting one (its partial unique index): nothing
    is written (the handle's FlowPaused event must not go without it)."""


@dataclass(frozen=True)
class SnapshotSave:
    """Move an aggregate's snapshot from `old_version` to `state` (its `version` is the new
    one); refused as a whole (ConcurrencyConflict) when somebody moved it meanwhile."""

    old_version: int
    state: Any
    #: Trash moves also set `trashed_at` (None: restored); False leaves it as it is.
    trash: "TrashMove | None" = None


@dataclass(frozen=True)
class TrashMove:
    trashed_at: datetime | None


@dataclass(frozen=True)
class NewSession:
    """A new aggregate's snapshot row (session creation)."""

    session_id: UUID
    user_id: UUID
    version: int
    #: The whole first state when it is more than a blank session (a branch starts from
    #: another session's version); None: the columns' defaults.
    state: Any = None


@dataclass(frozen=True)
class InboxEntry:
    """The `command_inbox` row a command writes (its unique indexes decide duplicates)."""

    command_id: UUID
    aggregate_id: UUID
    user_id: UUID
    command_type: str
    idempotency_key: str
    payload: dict[str, Any]
    status: str
    #: The request's fingerprint when the client sent the key: the row is the key's record
    #: (decision 7204); None for a key the command drew itself.
    request_fingerprint: str | None = None


@dataclass(frozen=True)
class NewTask:
    """The `async_tasks` row an async command writes with it."""

    task_id: UUID
    task_type: str
    command_id: UUID
    user_id: UUID
    session_id: UUID
    correlation_id: UUID
    request_event_id: UUID
    input_data: dict[str, Any]


@dataclass(frozen=True)
class TaskFinish:
    """An unfinished task -> COMPLETED | FAILED (its command follows)."""

    task_id: UUID
    status: str
    result: Mapping[str, Any] | None
    error: Mapping[str, Any] | None
    message: str


@dataclass(frozen=True)
class Supersede:
    """Close the session's pending async commands and cancel their tasks."""

    session_id: UUID
    by_command_type: str


@dataclass(frozen=True)
class NewNovel:
    """The novel a finished session makes, with every confirmed stage (its bible); a session
    that finishes again (after a rollback) updates its novel, whose `version` counts them."""

    novel_id: UUID
    user_id: UUID
    bible: NovelBible
    #: The finish's place in its session's log: its bible is kept there for the history.
    session_id: UUID
    seq: int


@dataclass(frozen=True)
class SessionRestore:
    """The state a rollback or a branch restored, beside its event (the event at `seq` of the
    session's log names the version; this holds what it brings back: decision 5403)."""

    session_id: UUID
    seq: int
    confirmed_data: Mapping[str, Any]
    last_result: Mapping[str, Any] | None


@dataclass(frozen=True)
class ProposalInput:
    """What a proposal (the event `event_id`) was generated from (issue 55): the generation
    request's fields as the provider got them, and the chat messages sent to a model (None:
    the offline generator sends none). The prompt view shows them; a replay with another model
    generates from the same request."""

    event_id: UUID
    session_id: UUID
    request: Mapping[str, Any]
    messages: Sequence[Mapping[str, str]] | None


@dataclass(frozen=True)
class ChaptersSave:
    """Move a novel's chapters projection (`state`: a domain.chapters.NovelState) from stream
    version `old_version` to `state.version`, writing the chapters `changed` (str(number) ->
    {"status", "text", "beats"}, whole) and deleting those `removed`; refused as a whole
    (ConcurrencyConflict) when somebody moved it meanwhile."""

    old_version: int
    state: Any
    changed: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    removed: tuple[int, ...] = ()


@dataclass(frozen=True)
class FlowHandleRow:
    """A PENDING_PAUSE resume handle (a no-op when the flow has a waiting one already), or,
    with `handle_id` and `expires_at`, a PAUSED one whose FlowPaused event is in the same
    write: refused as a whole (FlowAlreadyWaiting) when the flow has a waiting one already."""

    correlation_id: str
    handle: Mapping[str, Any]
    ttl_seconds: float
    handle_id: UUID | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True)
class LedgerRow:
    """The consumer's dedupe: refused as a whole (AlreadyProcessed) when it is there."""

    consumer: str
    event_id: UUID


@dataclass(frozen=True)
class Write:
    """Everything one aggregate change writes; each part is optional, the events carry their
    outbox rows. The order of these fields is the order of the parts (`PART_ORDER`)."""

    ledger: LedgerRow | None = None
    session: NewSession | None = None
    inbox: InboxEntry | None = None
    #: Kept as a tuple (no events: `()`, which `declared` leaves out).
    events: Sequence[EventEnvelope] = ()
    snapshot: SnapshotSave | None = None
    supersede: Supersede | None = None
    novel: NewNovel | None = None
    restore: SessionRestore | None = None
    proposal_input: ProposalInput | None = None
    chapters: ChaptersSave | None = None
    #: The story memory's projection, moved with the check's event (issue 70).
    story: MemoryMove | None = None
    task: NewTask | None = None
    task_finish: TaskFinish | None = None
    flow_handle: FlowHandleRow | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "events", tuple(self.events))
        # Two parts that change the same rows would race inside one statement (PostgreSQL
        # applies one of two updates of a row in data-modifying CTEs, unpredictably).
        if self.session is not None and self.snapshot is not None:
            raise ValueError("a write creates a session or moves its snapshot, not both")
        if self.supersede is not None and self.task_finish is not None:
            raise ValueError("supersede and task_finish move the same tasks and commands")

    def declared(self) -> list[tuple[str, Any]]:
        """(part name, value) of every part this write declares, in `PART_ORDER`."""
        # Read from the instance's dict, events by their truth: `value != ()` ran a part's
        # dataclass `__eq__` for every part of every write (issue 40, the command path).
        parts = self.__dict__
        return [
            (name, parts[name])
            for name in PART_ORDER
            if parts[name] is not None and (name != "events" or parts[name])
        ]

    def merged(self, other: "Write") -> "Write":
        """This write with every part `other` declares (other's win; events add up)."""
        # The fields by the instances' dicts, not `fields()` and `replace()`: a command merges
        # four writes (issue 40).
        parts = dict(self.__dict__)
        for name, value in other.__dict__.items():
            if value is not None and name != "events":
                parts[name] = value
        if other.events:
            parts["events"] = (*self.events, *other.events)
        return Write(**parts)


#: The parts of a write, declared once: every adapter writes them in this order, and when
#: several parts of one write are refused, the first refused part of this order is the one
#: reported (a repeated message before a repeated or pending command before a taken version),
#: whatever order the database happens to run them in. Refusals by part: ledger
#: (AlreadyProcessed), inbox (InboxConflict), events (a stored event id: EventIdConflict with
#: other content, else EventAlreadyStored; a taken version: ConcurrencyConflict), snapshot,
#: chapters and story (ConcurrencyConflict), task_finish (TaskNotRunning), a PAUSED flow_handle
#: (FlowAlreadyWaiting).
PART_ORDER: tuple[str, ...] = tuple(f.name for f in fields(Write))


def check_events(events: Sequence[EventEnvelope]) -> None:
    """What every adapter refuses before it writes anything: bad names, missing versions."""
    for event in events:
        validate_event_name(event.event_type)
        if event.aggregate_version is None:
            raise ValueError(f"{event.event_type}: aggregate_version is required to append")


class AggregateWrites(Protocol):
    """Writes one `Write` in one round trip; returns the events' global ids.

    Raises ConcurrencyConflict (a version was taken or the snapshot moved), InboxConflict,
    AlreadyProcessed, EventAlreadyStored, EventIdConflict (the first in
    `PART_ORDER` when several parts refuse); the write is then entirely undone."""

    async def write(self, write: Write) -> list[int]: ...
