"""Command handling: registry lookup -> payload validation -> one unit of work that inserts the
inbox row, decides, appends events + outbox + NOTIFY and moves the snapshot (DESIGN section 3)."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from pydantic import ValidationError

from infinite_scribe.application.context import RequestContext
from infinite_scribe.application.unit_of_work import (
    UniqueConflict,
    read,
    transaction,
    with_retries,
)
from infinite_scribe.domain.commands import PAYLOAD_MODELS, CommandIds, CommandPayload
from infinite_scribe.domain.errors import (
    ConcurrencyConflict,
    DuplicateCommand,
    InvalidPayload,
    NotFound,
    StorageUnavailable,
    UnknownCommand,
)
from infinite_scribe.domain.genesis import (
    AGGREGATE_TYPE,
    FINISHED,
    Decided,
    GenesisState,
    decide,
    evolve,
    novel_fields,
)
from infinite_scribe.persistence import genesis_sessions as sessions
from infinite_scribe.persistence.event_store import EventStore
from shared_types import EventEnvelope, EventMetadata
from shared_types.enums import CommandStatus


@dataclass(frozen=True)
class CommandHandler:
    """One registry entry: the command type and the Pydantic model of its payload."""

    command_type: str
    payload_model: type[CommandPayload]

    @property
    def is_async(self) -> bool:
        return self.payload_model.is_async

    def parse(self, payload: Any) -> CommandPayload:
        try:
            return self.payload_model.model_validate(payload if payload is not None else {})
        except ValidationError as error:
            details = [
                {"loc": list(item["loc"]), "msg": item["msg"], "type": item["type"]}
                for item in error.errors(include_url=False, include_context=False)
            ]
            raise InvalidPayload(
                f"Invalid payload for {self.command_type}", errors=details
            ) from error


REGISTRY: dict[str, CommandHandler] = {
    name: CommandHandler(name, model) for name, model in PAYLOAD_MODELS.items()
}


def handler_for(command_type: str) -> CommandHandler:
    handler = REGISTRY.get(command_type)
    if handler is None:
        raise UnknownCommand(
            f"Unknown command_type {command_type!r}; expected one of: {', '.join(REGISTRY)}"
        )
    return handler


@dataclass(frozen=True)
class CommandResult:
    command_id: UUID
    status: str
    correlation_id: UUID
    is_async: bool
    replayed: bool = False

    @property
    def message(self) -> str:
        if self.replayed:
            return "Command already received (idempotent replay)"
        return "Command accepted" if self.is_async else "Command completed"


def envelopes(
    state: GenesisState, decided: list[Decided], command_id: UUID, metadata: EventMetadata
) -> list[EventEnvelope]:
    """Wrap decided events: the command starts the flow; each later event is caused by the
    one before it (StageConfirmed -> Finished)."""
    result: list[EventEnvelope] = []
    cause = command_id
    for offset, event in enumerate(decided, start=1):
        envelope = EventEnvelope(
            event_type=event.event_type,
            aggregate_type=AGGREGATE_TYPE,
            aggregate_id=str(state.session_id),
            aggregate_version=state.version + offset,
            correlation_id=command_id,
            causation_id=cause,
            payload=event.payload,
            metadata=metadata,
        )
        result.append(envelope)
        cause = envelope.event_id
    return result


class CommandService:
    """Executes genesis commands against PostgreSQL."""

    def __init__(self, pool: asyncpg.Pool, store: EventStore) -> None:
        self.pool = pool
        self.store = store

    async def execute(
        self,
        context: RequestContext,
        session_id: UUID,
        command_type: str,
        payload: Mapping[str, Any] | None,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        handler = handler_for(command_type)
        command = handler.parse(payload)
        command_id = uuid4()
        key = idempotency_key or f"command:{command_id}"

        async def attempt(number: int) -> CommandResult:
            try:
                return await self._run(context, session_id, handler, command, command_id, key)
            except UniqueConflict as conflict:
                return await self._collided(session_id, handler, key, conflict)

        return await with_retries(attempt)

    async def _run(
        self,
        context: RequestContext,
        session_id: UUID,
        handler: CommandHandler,
        command: CommandPayload,
        command_id: UUID,
        key: str,
    ) -> CommandResult:
        status = CommandStatus.RECEIVED if handler.is_async else CommandStatus.COMPLETED
        async with transaction(self.pool) as connection:
            state = await sessions.insert_command_and_load(
                connection,
                session_id=session_id,
                user_id=context.user_id,
                command_id=command_id,
                command_type=handler.command_type,
                idempotency_key=key,
                payload=command.model_dump(mode="json"),
                status=status.value,
            )
            if state is None:
                raise NotFound("Genesis session not found")
            ids = CommandIds(command_id=command_id, novel_id=uuid4())
            decided = decide(state, command, ids)
            events = envelopes(state, decided, command_id, context.metadata())
            new_state = state
            for event in decided:
                new_state = evolve(new_state, event.event_type, event.payload)
            await self.store.append(connection, events)
            if state.is_pending and not handler.is_async:
                await sessions.supersede_pending(connection, session_id, handler.command_type)
            if any(event.event_type == FINISHED for event in decided):
                fields = novel_fields(new_state)
                await sessions.insert_novel(connection, ids.novel_id, context.user_id, fields)
            if not await sessions.update_snapshot(connection, state.version, new_state):
                raise ConcurrencyConflict("The session was changed concurrently")
        return CommandResult(command_id, status.value, command_id, handler.is_async)

    async def _collided(
        self, session_id: UUID, handler: CommandHandler, key: str, conflict: UniqueConflict
    ) -> CommandResult:
        """A unique index refused the inbox row: replay the same-key command, or 409."""
        if conflict.constraint not in (
            sessions.PENDING_COMMAND_INDEX,
            sessions.IDEMPOTENCY_KEY_INDEX,
        ):
            raise StorageUnavailable(f"Unexpected conflict on {conflict.constraint}")
        row = await read(
            self.pool,
            lambda pool: sessions.existing_command(pool, session_id, key, handler.command_type),
        )
        if row is None:
            # The pending command finished between our insert and this read: try again.
            raise ConcurrencyConflict("The pending command changed concurrently")
        if row["same_key"]:
            original = REGISTRY.get(row["command_type"], handler)
            return CommandResult(
                row["id"], row["status"], row["correlation_id"], original.is_async, replayed=True
            )
        raise DuplicateCommand(str(row["id"]))
