"""Command handling: registry lookup -> payload validation -> one unit of work that inserts the
inbox row, decides, appends events + outbox + NOTIFY and moves the snapshot (docs/command-api.md).

Two statements per command: inbox insert + snapshot read, then events + outbox + the
version-checked snapshot update (the events are appended deferred and written with the save);
the relay is woken after the commit (docs/decisions/1000, 1001).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID, uuid4

from pydantic import ValidationError

from infinite_scribe.application.aggregates import AggregateHandler, envelopes
from infinite_scribe.application.context import RequestContext
from infinite_scribe.application.genesis_commands import GenesisCommands
from infinite_scribe.application.ports.storage import (
    CommandInbox,
    InboxConflict,
    InboxEntry,
    Transaction,
    UnitOfWork,
)
from infinite_scribe.application.ports.tasks import ASYNC_TASKS, NewTask
from infinite_scribe.application.retries import with_retries
from infinite_scribe.domain.commands import CommandPayload
from infinite_scribe.domain.errors import (
    ConcurrencyConflict,
    DuplicateCommand,
    InvalidPayload,
    UnknownCommand,
)
from shared_types import EventEnvelope
from shared_types.enums import CommandStatus


@dataclass(frozen=True)
class CommandSpec:
    """One registry row: the command type, its payload model and the aggregate's handler."""

    command_type: str
    payload_model: type[CommandPayload]
    handler: AggregateHandler[Any]

    @property
    def is_async(self) -> bool:
        return self.payload_model.is_async

    def parse(self, payload: Any) -> CommandPayload:
        try:
            return self.payload_model.model_validate(payload if payload is not None else {})
        except ValidationError as error:
            details = [
                {"loc": ["body", "payload", *item["loc"]], "msg": item["msg"], "type": item["type"]}
                for item in error.errors(include_url=False, include_context=False)
            ]
            raise InvalidPayload(
                f"Invalid payload for {self.command_type}", errors=details
            ) from error


class CommandRegistry:
    """Every command type of every aggregate handler."""

    def __init__(self, handlers: Iterable[AggregateHandler[Any]]) -> None:
        self.specs: dict[str, CommandSpec] = {}
        for handler in handlers:
            for name, model in handler.commands.items():
                if name in self.specs:
                    raise ValueError(f"command type {name!r} has two handlers")
                self.specs[name] = CommandSpec(name, model, handler)

    def spec_for(self, command_type: str) -> CommandSpec:
        spec = self.specs.get(command_type)
        if spec is None:
            raise UnknownCommand(
                f"Unknown command_type {command_type!r}; expected one of: {', '.join(self.specs)}"
            )
        return spec


#: The application's commands (genesis sessions today).
REGISTRY = CommandRegistry([GenesisCommands()])


def spec_for(command_type: str) -> CommandSpec:
    return REGISTRY.spec_for(command_type)


class CommandReaction(Protocol):
    """Runs in a command's transaction after its events (e.g. a reply resumes a paused flow,
    application/flow_replies.py); raising rolls the command back. `before` is the aggregate's
    state the command was decided on."""

    async def __call__(
        self,
        tx: Transaction,
        context: RequestContext,
        entry: InboxEntry,
        before: Any,
        events: Sequence[EventEnvelope],
    ) -> None: ...


@dataclass(frozen=True)
class CommandResult:
    command_id: UUID
    status: str
    correlation_id: UUID
    is_async: bool
    replayed: bool = False
    #: The async task an async command created (None for sync commands).
    task_id: UUID | None = None

    @property
    def message(self) -> str:
        if self.replayed:
            return "Command already received (idempotent replay)"
        return "Command accepted" if self.is_async else "Command completed"


class CommandService:
    """Executes commands: any aggregate, one unit of work per attempt."""

    def __init__(
        self,
        uow: UnitOfWork,
        inbox: CommandInbox,
        registry: CommandRegistry = REGISTRY,
        reactions: Sequence[CommandReaction] = (),
    ) -> None:
        self.uow = uow
        self.inbox = inbox
        self.registry = registry
        self.reactions = tuple(reactions)

    async def execute(
        self,
        context: RequestContext,
        aggregate_id: UUID,
        command_type: str,
        payload: Mapping[str, Any] | None,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        spec = self.registry.spec_for(command_type)
        command = spec.parse(payload)
        command_id = uuid4()
        status = CommandStatus.RECEIVED if spec.is_async else CommandStatus.COMPLETED
        entry = InboxEntry(
            command_id=command_id,
            aggregate_id=aggregate_id,
            user_id=context.user_id,
            command_type=command_type,
            idempotency_key=idempotency_key or f"command:{command_id}",
            payload=command.model_dump(mode="json"),
            status=status.value,
        )

        task_id = uuid4() if spec.is_async else None

        async def attempt(number: int) -> CommandResult:
            try:
                await self._run(context, spec, command, entry, task_id)
            except InboxConflict:
                return await self._collided(spec, entry)
            return CommandResult(
                command_id, status.value, command_id, spec.is_async, False, task_id
            )

        return await with_retries(attempt)

    async def _run(
        self,
        context: RequestContext,
        spec: CommandSpec,
        command: CommandPayload,
        entry: InboxEntry,
        task_id: UUID | None,
    ) -> None:
        handler = spec.handler
        async with self.uow.transaction() as tx:
            state = await handler.load(tx, entry)
            decided = handler.decide(state, command, entry.command_id)
            events = envelopes(
                handler.aggregate_type,
                handler.aggregate_id(state),
                handler.version(state),
                decided,
                entry.command_id,
                context.metadata(),
            )
            after = handler.evolve(state, decided)
            await tx.append(events, defer=True)
            await handler.save(tx, state, after, decided, spec.command_type, spec.is_async)
            if task_id is not None and events:
                await tx.repository(ASYNC_TASKS).create(_task_of(entry, task_id, events[0]))
            for reaction in self.reactions:
                await reaction(tx, context, entry, state, events)

    async def _collided(self, spec: CommandSpec, entry: InboxEntry) -> CommandResult:
        """A unique index refused the inbox row: replay the same-key command, or 409."""
        row = await self.inbox.existing(
            entry.aggregate_id, entry.idempotency_key, spec.command_type
        )
        if row is None:
            # The pending command finished between our insert and this read: try again.
            raise ConcurrencyConflict("The pending command changed concurrently")
        if row.same_key:
            original = self.registry.specs.get(row.command_type, spec)
            return CommandResult(
                row.command_id,
                row.status,
                row.correlation_id,
                original.is_async,
                replayed=True,
                task_id=row.task_id,
            )
        raise DuplicateCommand(str(row.command_id))


def _task_of(entry: InboxEntry, task_id: UUID, request: EventEnvelope) -> NewTask:
    """An async command's task: the agents answer its first event (the request)."""
    return NewTask(
        task_id=task_id,
        task_type=entry.command_type,
        command_id=entry.command_id,
        user_id=entry.user_id,
        session_id=entry.aggregate_id,
        correlation_id=entry.command_id,
        request_event_id=request.event_id,
        input_data=entry.payload,
    )
