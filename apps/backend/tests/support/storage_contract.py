"""The storage ports' contract, written once (as eventsourcing's `tests/persistence.py`) and run
on both adapters: memory (tests/support/memory/adapters.py) by unit/test_storage_contract_memory.py
at unit speed, PostgreSQL by integration/test_storage_contract.py. A test module runs it by
importing these tests beside a `storage` fixture of its adapter.

Every refusal of a write (version conflict, duplicate command, key in use, stored event, repeated
ledger row, trashed session), that a refused write leaves nothing behind, and which refusal is
reported when a write meets two at once (the first of `PART_ORDER`, whatever the database runs
first)."""

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import pytest

from infinite_scribe.application.command_service import CommandService
from infinite_scribe.application.context import RequestContext
from infinite_scribe.application.ports.genesis import KeyLookup
from infinite_scribe.application.ports.storage import InboxConflict
from infinite_scribe.application.ports.writes import (
    AlreadyProcessed,
    EventAlreadyStored,
    InboxEntry,
    LedgerRow,
    NewSession,
    SnapshotSave,
    TrashMove,
    Write,
)
from infinite_scribe.domain.errors import (
    ConcurrencyConflict,
    DuplicateCommand,
    EventIdConflict,
    SessionTrashed,
)
from infinite_scribe.domain.genesis import GenesisState
from shared_types import EventEnvelope, EventMetadata


@dataclass
class Storage:
    """One adapter's unit of work and queries, as the application sees them."""

    uow: Any
    queries: Any

    async def write(self, write: Write) -> None:
        await self.uow.writes.write(write)


async def _session(storage: Storage) -> GenesisState:
    state = GenesisState(session_id=uuid.uuid4(), user_id=uuid.uuid4(), version=1)
    await storage.write(Write(session=NewSession(state.session_id, state.user_id, 1)))
    return state


def _event(state: GenesisState, version: int, event_id: uuid.UUID | None = None) -> EventEnvelope:
    return EventEnvelope(
        event_id=event_id or uuid.uuid4(),
        event_type="Genesis.Session.FeedbackSubmitted",
        aggregate_type="GENESIS_SESSION",
        aggregate_id=str(state.session_id),
        aggregate_version=version,
        correlation_id=uuid.uuid4(),
        payload={"n": version},
        metadata=EventMetadata(user_id=str(state.user_id), source_service="test"),
    )


def _entry(state: GenesisState, key: str | None = None, status: str = "RECEIVED") -> InboxEntry:
    command_id = uuid.uuid4()
    return InboxEntry(
        command_id, state.session_id, state.user_id, "RequestConceptGeneration",
        key or f"key-{command_id}", {}, status,
    )  # fmt: skip


def _moved(state: GenesisState, old_version: int) -> SnapshotSave:
    """The move of `state` from `old_version` (stale when the snapshot is elsewhere)."""
    return SnapshotSave(old_version, replace(state, version=old_version + 1))


async def _events(storage: Storage, state: GenesisState) -> int:
    return len(await storage.queries.session_events(state.session_id, 0, 100))


async def _version(storage: Storage, state: GenesisState) -> int:
    snapshot = await storage.queries.snapshot(state.session_id, state.user_id)
    return int(snapshot.state.version)


async def test_a_stale_snapshot_is_a_version_conflict_and_writes_nothing(storage: Storage) -> None:
    state = await _session(storage)
    stale = Write(inbox=_entry(state), events=[_event(state, 8)], snapshot=_moved(state, 7))
    with pytest.raises(ConcurrencyConflict):
        await storage.write(stale)
    assert await _events(storage, state) == 0 and await _version(storage, state) == 1
    assert (
        await storage.queries.existing(
            state.session_id, state.user_id, stale.inbox.idempotency_key, "x"
        )
        is None
    )  # type: ignore[union-attr]
    await storage.write(Write(events=[_event(state, 2)], snapshot=_moved(state, 1)))
    assert await _version(storage, state) == 2


async def test_a_taken_event_version_is_a_version_conflict(storage: Storage) -> None:
    state = await _session(storage)
    await storage.write(Write(events=[_event(state, 2)]))
    with pytest.raises(ConcurrencyConflict):
        await storage.write(Write(events=[_event(state, 3), _event(state, 2)]))
    assert await _events(storage, state) == 1


async def test_a_pending_twin_and_a_repeated_key_are_refused_by_the_inbox(storage: Storage) -> None:
    state = await _session(storage)
    first = _entry(state, "k1")
    await storage.write(Write(inbox=first))
    with pytest.raises(InboxConflict):  # the same type pending
        await storage.write(Write(inbox=_entry(state)))
    with pytest.raises(InboxConflict):  # the same key, even when no longer pending
        await storage.write(Write(inbox=replace(_entry(state, "k1"), status="COMPLETED")))
    found = await storage.queries.existing(
        state.session_id, state.user_id, "k1", "RequestConceptGeneration"
    )
    assert found is not None and found.command_id == first.command_id and found.same_key


async def test_a_duplicate_command_is_refused_through_the_service(storage: Storage) -> None:
    state = await _session(storage)
    service = CommandService(storage.uow, storage.queries)
    context = RequestContext(user_id=state.user_id)
    first = await service.execute(context, state.session_id, "RequestConceptGeneration", {})
    with pytest.raises(DuplicateCommand) as refused:
        await service.execute(context, state.session_id, "RequestConceptGeneration", {})
    assert refused.value.details["duplicate_command_id"] == str(first.command_id)
    assert await _events(storage, state) == 1


async def test_a_keyed_commands_inbox_row_is_its_keys_record(storage: Storage) -> None:
    """The key is the user's (decision 7204): the command's row is found from any of the
    user's sessions with its fingerprint and first answer's ids; another user's is not."""
    state, stranger = await _session(storage), await _session(storage)
    mine_too = replace(state, session_id=uuid.uuid4())
    await storage.write(Write(session=NewSession(mine_too.session_id, state.user_id, 1)))
    key = f"k-{uuid.uuid4()}"
    keyed = replace(_entry(state, key, "COMPLETED"), request_fingerprint="fp")
    await storage.write(Write(inbox=keyed))
    lookup = KeyLookup(f"user:{state.user_id}", key)
    for session in (state.session_id, mine_too.session_id):
        target = await storage.queries.command_target(session, state.user_id, lookup)
        record = target.record
        assert record is not None and record.fingerprint == "fp" and record.response is None
        assert record.command is not None and record.command.command_id == keyed.command_id
        assert record.command.aggregate_id == state.session_id
    theirs = await storage.queries.command_target(
        stranger.session_id, stranger.user_id, KeyLookup(f"user:{stranger.user_id}", key)
    )
    assert theirs.record is None and theirs.snapshot is not None
    with pytest.raises(InboxConflict):
        await storage.write(Write(inbox=_entry(mine_too, key)))
    await storage.write(Write(inbox=_entry(stranger, key)))  # another user's key of that name
    unkeyed = await storage.queries.command_target(state.session_id, state.user_id, None)
    assert unkeyed.record is None and unkeyed.snapshot is not None


async def test_a_stored_event_and_a_repeated_ledger_row_are_refused(storage: Storage) -> None:
    """A repeated event id writes nothing: the same content is a repeat (EventAlreadyStored),
    other content a conflict (EventIdConflict); the ledger refuses a message handled before."""
    state = await _session(storage)
    event, message = _event(state, 2), uuid.uuid4()
    await storage.write(Write(ledger=LedgerRow("agents", message), events=[event]))
    with pytest.raises(EventAlreadyStored):  # the same event again, at the next version
        await storage.write(Write(events=[replace_version(event, 3)]))
    other = replace_version(event, 3).model_copy(update={"payload": {"n": "other"}})
    with pytest.raises(EventIdConflict):  # the same id with other content
        await storage.write(Write(events=[other]))
    with pytest.raises(AlreadyProcessed):
        await storage.write(Write(ledger=LedgerRow("agents", message), events=[_event(state, 3)]))
    await storage.write(Write(ledger=LedgerRow("other", message), events=[_event(state, 3)]))
    assert await _events(storage, state) == 2


async def test_a_trashed_session_refuses_commands(storage: Storage) -> None:
    state = await _session(storage)
    trashed = SnapshotSave(1, replace(state, version=2), trash=TrashMove(datetime.now(UTC)))
    await storage.write(Write(snapshot=trashed))
    target = await storage.queries.command_target(state.session_id, state.user_id, None)
    assert target.snapshot is not None and target.snapshot.trashed
    service = CommandService(storage.uow, storage.queries)
    with pytest.raises(SessionTrashed):
        await service.execute(
            RequestContext(user_id=state.user_id), state.session_id, "RequestConceptGeneration", {}
        )
    assert await _events(storage, state) == 0


def replace_version(event: EventEnvelope, version: int) -> EventEnvelope:
    return event.model_copy(update={"aggregate_version": version})


async def _refusal(storage: Storage, write: Write) -> type[Exception]:
    try:
        await storage.write(write)
    except Exception as error:  # which refusal it was is what the test compares
        return type(error)
    raise AssertionError("the write was not refused")


async def test_two_refusals_at_once_report_the_first_part(storage: Storage) -> None:
    """Each pair below is refused by two parts; the one reported is the earlier of
    `PART_ORDER` (a reordering of the parts, or a planner's whim, fails this)."""
    state = await _session(storage)
    message, event = uuid.uuid4(), _event(state, 2)
    pending = _entry(state, "held")
    await storage.write(
        Write(
            ledger=LedgerRow("agents", message),
            inbox=pending,
            events=[event],
            snapshot=_moved(state, 1),
        )
    )
    stale = _moved(state, 1)  # the snapshot is at version 2 now
    twin = _entry(state)  # the same type as `pending`, which is still pending
    cases: list[tuple[Write, type[Exception]]] = [
        (Write(ledger=LedgerRow("agents", message), inbox=twin), AlreadyProcessed),
        (Write(ledger=LedgerRow("agents", message), events=[event]), AlreadyProcessed),
        (Write(inbox=twin, events=[_event(state, 2)]), InboxConflict),
        (Write(inbox=twin, snapshot=stale), InboxConflict),
        (Write(events=[replace_version(event, 3)], snapshot=stale), EventAlreadyStored),
        (Write(ledger=LedgerRow("agents", message), snapshot=stale), AlreadyProcessed),
    ]
    for write, expected in cases:
        assert await _refusal(storage, write) is expected, write
    assert await _events(storage, state) == 1 and await _version(storage, state) == 2
