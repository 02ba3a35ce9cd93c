"""The one write statement (issue 20): a change's declared parts are written together in
autocommit or not at all, refused parts undo the whole statement, and parameters bind by name
however the parts change."""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from infinite_scribe.application.ports.storage import InboxConflict
from infinite_scribe.application.ports.writes import (
    InboxEntry,
    LedgerRow,
    NewSession,
    NewTask,
    SnapshotSave,
    TrashMove,
    Write,
)
from infinite_scribe.domain.errors import ConcurrencyConflict
from infinite_scribe.domain.genesis import GenesisState
from infinite_scribe.persistence.errors import (
    IDEMPOTENCY_KEY_INDEX,
    LEDGER_KEY,
    PENDING_COMMAND_INDEX,
)
from infinite_scribe.persistence.repositories import unit_of_work
from infinite_scribe.persistence.writes import (
    composer as composer_module,
    statement as write_statement,
)
from infinite_scribe.persistence.writes.composer import WriteComposer
from infinite_scribe.persistence.writes.parts import InboxPart
from infinite_scribe.persistence.writes.statement import Placeholder
from shared_types import EventEnvelope, EventMetadata
from tests.conftest import TEST_TOPIC


def _event(aggregate: str, version: int) -> EventEnvelope:
    return EventEnvelope(
        event_type="Genesis.Session.FeedbackSubmitted",
        aggregate_type="GENESIS_SESSION",
        aggregate_id=aggregate,
        aggregate_version=version,
        correlation_id=uuid.uuid4(),
        payload={"n": version},
        metadata=EventMetadata(user_id="u1", source_service="test", request_id="r1"),
    )


def _entry(state: GenesisState, status: str = "RECEIVED") -> InboxEntry:
    command_id = uuid.uuid4()
    return InboxEntry(
        command_id=command_id,
        aggregate_id=state.session_id,
        user_id=state.user_id,
        command_type="SubmitFeedback",
        idempotency_key=f"key-{command_id}",
        payload={"feedback": "more"},
        status=status,
    )


async def _session(pool: asyncpg.Pool) -> GenesisState:
    state = GenesisState(session_id=uuid.uuid4(), user_id=uuid.uuid4(), version=1)
    uow = unit_of_work(pool, WriteComposer(TEST_TOPIC))
    await uow.writes.write(Write(session=NewSession(state.session_id, state.user_id, 1)))
    return state


async def _counts(pool: asyncpg.Pool, state: GenesisState) -> tuple[int, int, int, int]:
    aggregate = str(state.session_id)
    row = await pool.fetchrow(
        "SELECT (SELECT count(*) FROM domain_events WHERE aggregate_id = $1) AS events, "
        "(SELECT count(*) FROM event_outbox WHERE key = $1) AS outbox, "
        "(SELECT count(*) FROM command_inbox WHERE session_id = $2) AS inbox, "
        "(SELECT version FROM genesis_sessions WHERE id = $2) AS version",
        aggregate,
        state.session_id,
    )
    assert row is not None
    return row["events"], row["outbox"], row["inbox"], row["version"]


async def test_every_part_is_written_in_one_autocommit_statement(pool: asyncpg.Pool) -> None:
    state = await _session(pool)
    uow = unit_of_work(pool, WriteComposer(TEST_TOPIC))
    entry = _entry(state)
    event = _event(str(state.session_id), 2)
    after = replace(state, version=2, pending_command_type="SubmitFeedback")
    task = NewTask(
        uuid.uuid4(), "SubmitFeedback", entry.command_id, state.user_id, state.session_id,
        entry.command_id, event.event_id, {"feedback": "more"},
    )  # fmt: skip
    seen: list[str] = []
    async with pool.acquire() as connection:
        connection.add_query_logger(lambda record: seen.append(record.query))
        ids = await uow.composer.write(
            connection,
            Write(inbox=entry, events=[event], snapshot=SnapshotSave(1, after), task=task),
        )
    # One statement of ours and no BEGIN/COMMIT (the rest is asyncpg's first-use type lookup).
    assert len([q for q in seen if "new_events AS" in q]) == 1 and len(ids) == 1
    assert not [q for q in seen if q.split()[0].upper() in ("BEGIN", "COMMIT")]
    assert await _counts(pool, state) == (1, 1, 1, 2)
    stored = await pool.fetchrow(
        "SELECT pending_command_type FROM genesis_sessions WHERE id = $1", state.session_id
    )
    assert stored is not None and stored["pending_command_type"] == "SubmitFeedback"
    assert (
        await pool.fetchval("SELECT request_event_id FROM async_tasks WHERE id = $1", task.task_id)
        == event.event_id
    )
    await uow.close()


async def test_a_moved_snapshot_refuses_the_whole_write(pool: asyncpg.Pool) -> None:
    state = await _session(pool)
    uow = unit_of_work(pool, WriteComposer(TEST_TOPIC))
    stale = Write(
        inbox=_entry(state),
        events=[_event(str(state.session_id), 8)],  # version 8 is free: only the check refuses
        snapshot=SnapshotSave(7, replace(state, version=8)),
    )
    with pytest.raises(ConcurrencyConflict):
        await uow.writes.write(stale)
    assert await _counts(pool, state) == (0, 0, 0, 1)
    await uow.close()


async def test_a_keyed_commands_inbox_row_holds_the_users_key_on_every_session(
    pool: asyncpg.Pool,
) -> None:
    """The key's record is the inbox row (decision 7204): the fingerprint is stored with it, the
    user's other session cannot take the key, another user can."""
    state, other = await _session(pool), await _session(pool)
    uow = unit_of_work(pool, WriteComposer(TEST_TOPIC))
    keyed = replace(_entry(state, "COMPLETED"), request_fingerprint="fp-1")
    await uow.writes.write(Write(inbox=keyed))
    stored = await pool.fetchval(
        "SELECT request_fingerprint FROM command_inbox WHERE id = $1", keyed.command_id
    )
    assert stored == "fp-1"
    second_session = await _session(pool)
    theirs = replace(
        _entry(second_session), user_id=state.user_id, idempotency_key=keyed.idempotency_key
    )
    with pytest.raises(InboxConflict) as refused:
        await uow.writes.write(Write(inbox=theirs))
    assert refused.value.constraint == IDEMPOTENCY_KEY_INDEX
    stranger = replace(_entry(other), idempotency_key=keyed.idempotency_key)
    await uow.writes.write(Write(inbox=stranger))  # another user's key of the same name
    assert (await _counts(pool, second_session))[2] == 0
    await uow.close()


@dataclass(frozen=True)
class NotedInbox(InboxPart):
    """The inbox part after a column-like change: one more column (`error_message`), its
    parameter asked for in the middle of the others, its value listed first."""

    note: str = ""
    shape = "noted_inbox"

    def ctes(self, p: Placeholder) -> Sequence[tuple[str, str]]:
        return [
            super().ctes(p)[0],  # the key's claim (issue 79 Q3), as it is
            (
                "inbox",
                "INSERT INTO command_inbox (id, session_id, error_message, user_id, command_type, "
                "idempotency_key, correlation_id, payload, status, request_fingerprint)\n"
                f"VALUES ({p('id')}::uuid, {p('session_id')}::uuid, {p('note')}::text, "
                f"{p('user_id')}::uuid, {p('command_type')}::text, {p('idempotency_key')}::text, "
                f"{p('id')}::uuid, {p('payload')}::jsonb, {p('status')}::command_status, "
                f"{p('request_fingerprint')}::text) RETURNING 1",
            ),
        ]

    def values(self) -> Mapping[str, Any]:
        return {"note": self.note, **super().values()}


async def test_parameters_bind_by_name_when_a_part_gains_a_column(pool: asyncpg.Pool) -> None:
    state = await _session(pool)
    composer = WriteComposer(TEST_TOPIC)
    entry = _entry(state)
    event = _event(str(state.session_id), 2)
    trashed_at = datetime(2030, 1, 2, tzinfo=UTC)
    after = replace(state, version=2, pending_command_type="SubmitFeedback")
    write = Write(events=[event], snapshot=SnapshotSave(1, after, trash=TrashMove(trashed_at)))
    # The changed part goes first, so every parameter of the parts after it moves.
    parts = [NotedInbox(entry, note="a note"), *composer.parts(write)]
    plain = write_statement.compile_parts([InboxPart(entry), *composer.parts(write)])
    noted = write_statement.compile_parts(parts)
    assert len(noted.parameters) == len(plain.parameters) + 1
    await write_statement.run(pool, parts)
    inbox = await pool.fetchrow(
        "SELECT session_id, user_id, command_type, idempotency_key, correlation_id, payload, "
        "status::text AS status, error_message FROM command_inbox WHERE id = $1",
        entry.command_id,
    )
    assert inbox is not None
    assert dict(inbox) == {
        "session_id": state.session_id,
        "user_id": state.user_id,
        "command_type": "SubmitFeedback",
        "idempotency_key": entry.idempotency_key,
        "correlation_id": entry.command_id,
        "payload": {"feedback": "more"},
        "status": "RECEIVED",
        "error_message": "a note",
    }
    stored = await pool.fetchrow(
        "SELECT event_id, aggregate_version, payload, metadata->>'request_id' AS request_id "
        "FROM domain_events WHERE aggregate_id = $1",
        str(state.session_id),
    )
    assert stored is not None
    assert (stored["event_id"], stored["aggregate_version"]) == (event.event_id, 2)
    assert (stored["payload"], stored["request_id"]) == ({"n": 2}, "r1")
    session = await pool.fetchrow(
        "SELECT version, pending_command_type, trashed_at FROM genesis_sessions WHERE id = $1",
        state.session_id,
    )
    assert session is not None
    assert dict(session) == {
        "version": 2,
        "pending_command_type": "SubmitFeedback",
        "trashed_at": trashed_at,
    }


async def test_the_first_refusal_by_rank_wins_whatever_the_order_in_the_text(
    pool: asyncpg.Pool,
) -> None:
    """A repeated ledger row, a pending twin and a moved snapshot at once: the ledger is
    reported (its rank is first) with the parts in rank order and with their text reversed."""
    state = await _session(pool)
    composer = WriteComposer(TEST_TOPIC)
    ledger = LedgerRow(f"consumer-{uuid.uuid4()}", uuid.uuid4())
    await composer.write(pool, Write(ledger=ledger, inbox=_entry(state)))
    twin = replace(_entry(state), command_type="SubmitFeedback")
    refused = Write(ledger=ledger, inbox=twin, snapshot=SnapshotSave(7, state))
    for parts in (composer.parts(refused), composer.parts(refused)[::-1]):
        with pytest.raises(asyncpg.UniqueViolationError) as raised:
            await write_statement.run(pool, parts)
        assert raised.value.constraint_name == LEDGER_KEY
    without_ledger = [part for part in composer.parts(refused) if part.part != "ledger"]
    with pytest.raises(asyncpg.UniqueViolationError) as raised:
        await write_statement.run(pool, without_ledger[::-1])
    assert raised.value.constraint_name == PENDING_COMMAND_INDEX
    assert (await _counts(pool, state))[2] == 1


def test_a_statement_carries_one_outbox_mode() -> None:
    """Decision 4001: rows or messages, not both behind a per-statement test of the mode."""
    composer = WriteComposer(TEST_TOPIC)
    write = Write(events=[_event("one-mode", 1)])
    composer.outbox_mode = "table"
    table = write_statement.compile_parts(composer.parts(write)).sql
    composer.outbox_mode = "logical"
    logical = write_statement.compile_parts(composer.parts(write)).sql
    assert "INSERT INTO event_outbox" in table and "pg_logical_emit_message" not in table
    assert "pg_logical_emit_message" in logical and "INSERT INTO event_outbox" not in logical
    assert table.count("scribe_outbox_mode()") == logical.count("scribe_outbox_mode()") == 1


@pytest.fixture
async def switched(pool: asyncpg.Pool) -> AsyncIterator[Callable[[str], Awaitable[None]]]:
    """Sets the outbox mode row as a switch would (no slot: the messages go nowhere), and puts
    `table` back."""

    async def to(mode: str) -> None:
        await pool.execute("UPDATE outbox_mode SET mode = $1", mode)

    yield to
    await to("table")


async def _outbox_rows(pool: asyncpg.Pool, key: str) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM event_outbox WHERE key = $1", key))


async def test_a_write_after_a_switch_is_refused_in_its_mode_and_run_in_the_other(
    pool: asyncpg.Pool,
    switched: Callable[[str], Awaitable[None]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = f"switched-{uuid.uuid4()}"
    composer = WriteComposer(TEST_TOPIC)
    await composer.write(pool, Write(events=[_event(key, 1)]))
    assert composer.outbox_mode == "table" and await _outbox_rows(pool, key) == 1
    await switched("logical")
    statements: list[str] = []

    async def counted(executor: Any, parts: Sequence[Any], group: Any = None) -> Any:
        statements.append(write_statement.compile_parts(parts).sql)
        return await write_statement.run(executor, parts, group)

    monkeypatch.setattr(composer_module, "run", counted)
    await composer.write(pool, Write(events=[_event(key, 2)]))
    # The table statement was refused (nothing written), the logical one ran.
    assert ["INSERT INTO event_outbox" in sql for sql in statements] == [True, False]
    assert composer.outbox_mode == "logical" and await _outbox_rows(pool, key) == 1
    await composer.write(pool, Write(events=[_event(key, 3)]))
    assert len(statements) == 3
    versions = await pool.fetch(
        "SELECT aggregate_version FROM domain_events WHERE aggregate_id = $1", key
    )
    assert sorted(r[0] for r in versions) == [1, 2, 3]


async def test_in_a_transaction_a_missed_switch_is_a_conflict_and_the_next_write_sees_it(
    pool: asyncpg.Pool, switched: Callable[[str], Awaitable[None]]
) -> None:
    key = f"switched-tx-{uuid.uuid4()}"
    composer = WriteComposer(TEST_TOPIC)
    await composer.write(pool, Write(events=[_event(key, 1)]))
    await switched("logical")
    async with pool.acquire() as connection:
        with pytest.raises(ConcurrencyConflict):
            async with connection.transaction():
                await composer.write(connection, Write(events=[_event(key, 2)]))
        async with connection.transaction():
            await composer.write(connection, Write(events=[_event(key, 2)]))
    assert composer.outbox_mode == "logical" and await _outbox_rows(pool, key) == 1
    assert (
        await pool.fetchval(
            "SELECT max(aggregate_version) FROM domain_events WHERE aggregate_id = $1", key
        )
        == 2
    )
