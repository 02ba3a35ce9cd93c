"""Command handling: registry lookup -> payload validation -> one read -> decide -> one write
(docs/command-api.md, docs/architecture.md "The write path").

A command costs two round trips: the session read in autocommit, then one statement in
autocommit (batched by the group commit, decision 5001) that writes the inbox row (a keyed
command's key record too, decision 7204), the events, their outbox rows, the version-checked
snapshot and an async command's task. A lost race (the snapshot moved, the version was taken)
fails that statement as a whole and the command runs again; the inbox's unique indexes decide
duplicates (409) and repeats. Only a command whose reaction needs locks (a reply that resumes
a paused flow) opens a transaction, around its write and the reaction.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar
from uuid import UUID, uuid4

from pydantic import ValidationError

from infinite_scribe.application.aggregates import (
    AggregateHandler,
    AggregateWriter,
    Change,
    Origin,
)
from infinite_scribe.application.archive import ArchiveService
from infinite_scribe.application.chapter_commands import NovelCommands
from infinite_scribe.application.command_results import (
    CommandResult as CommandResult,
    KeyInUse as KeyInUse,
    KeyRefused as KeyRefused,
    KeyReused as KeyReused,
    Receipt as Receipt,
)
from infinite_scribe.application.context import RequestContext
from infinite_scribe.application.genesis_commands import GenesisCommands
from infinite_scribe.application.ports.genesis import CommandQueries, ExistingCommand
from infinite_scribe.application.ports.storage import (
    InboxConflict,
    InboxEntry,
    RepositoryKey,
    Transaction,
    UnitOfWork,
)
from infinite_scribe.application.ports.writes import NewTask, Write
from infinite_scribe.application.retries import with_retries
from infinite_scribe.domain.commands import CommandPayload
from infinite_scribe.domain.errors import (
    ConcurrencyConflict,
    DuplicateCommand,
    InvalidPayload,
    InvalidState,
    NotFound,
    ScribeError,
    UnknownCommand,
)
from shared_types import EventEnvelope
from shared_types.enums import CommandStatus

S = TypeVar("S")


class CommandHandler(AggregateHandler[S], Protocol[S]):
    """An aggregate handler commands are sent to: where its command read is (`repository_key`,
    a repository with `command_target`), and which of the states it reads may be commanded
    (`visible`: 404 when there is none, 409 when it is in the trash...)."""

    repository_key: RepositoryKey[Any]

    def visible(self, snapshot: Any) -> S: ...


@dataclass(frozen=True)
class CommandSpec:
    """One registry row: the command type, its payload model and the aggregate's handler."""

    command_type: str
    payload_model: type[CommandPayload]
    handler: CommandHandler[Any]

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

    def __init__(self, handlers: Iterable[CommandHandler[Any]]) -> None:
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


#: The commands of genesis sessions (`POST /genesis/sessions/{id}/commands`).
REGISTRY = CommandRegistry([GenesisCommands()])
#: The commands of novels (`POST /novels/{id}/commands`): a registry of its own, as the same
#: command type (RollbackToVersion) means another aggregate's rollback there.
NOVEL_REGISTRY = CommandRegistry([NovelCommands()])


class CommandReaction(Protocol):
    """Runs in a command's transaction after its write (e.g. a reply resumes a paused flow,
    application/flow_replies.py); raising rolls the command back. `before` is the aggregate's
    state the command was decided on. `wants` says, before any transaction is opened, whether
    it has anything to do: a command no reaction wants is written in autocommit."""

    def wants(self, context: RequestContext, entry: InboxEntry, before: Any) -> bool: ...

    async def __call__(
        self,
        tx: Transaction,
        context: RequestContext,
        entry: InboxEntry,
        before: Any,
        events: Sequence[EventEnvelope],
    ) -> None: ...


@dataclass(frozen=True)
class _Archived:
    """The command's session or novel is in the archive: it comes back before the command runs."""

    aggregate_type: str


@dataclass(frozen=True)
class _Refused:
    """The state refused the command; the inbox may still know it as a repeat or a twin."""

    refusal: ScribeError


@dataclass(frozen=True)
class PreparedCommand:
    """One command parsed and given its ids, before it runs: `result` is what it answers when
    it runs."""

    context: RequestContext
    spec: CommandSpec
    command: CommandPayload
    entry: InboxEntry
    task_id: UUID | None
    receipt: Receipt | None = None

    @property
    def result(self) -> CommandResult:
        entry, is_async = self.entry, self.spec.is_async
        return CommandResult(
            entry.command_id, entry.status, entry.command_id, is_async, task_id=self.task_id
        )


class CommandService:
    """Executes commands: any aggregate, one read and one write per attempt."""

    def __init__(
        self,
        uow: UnitOfWork,
        queries: CommandQueries,
        registry: CommandRegistry = REGISTRY,
        reactions: Sequence[CommandReaction] = (),
    ) -> None:
        self.uow = uow
        self.inbox = queries
        self.registry = registry
        self.reactions = tuple(reactions)

    async def execute(
        self,
        context: RequestContext,
        aggregate_id: UUID,
        command_type: str,
        payload: Mapping[str, Any] | None,
        idempotency_key: str | None = None,
        receipt: Receipt | None = None,
    ) -> CommandResult:
        """Run the command (202/200 result), or replay it: by the inbox (same key on the same
        session) or by `receipt`'s stored answer (`result.stored`)."""
        prepared = self.prepare(
            context, aggregate_id, command_type, payload, idempotency_key, receipt
        )
        return await self.run(prepared)

    def prepare(
        self,
        context: RequestContext,
        aggregate_id: UUID,
        command_type: str,
        payload: Mapping[str, Any] | None,
        idempotency_key: str | None = None,
        receipt: Receipt | None = None,
    ) -> PreparedCommand:
        """The command parsed (UnknownCommand, InvalidPayload) and its ids drawn; nothing read.
        `receipt` is a keyed command's key: its inbox row is the key's record (decision 7204)."""
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
            request_fingerprint=None if receipt is None else receipt.fingerprint,
        )
        task_id = uuid4() if spec.is_async else None
        return PreparedCommand(context, spec, command, entry, task_id, receipt)

    async def run(self, prepared: PreparedCommand) -> CommandResult:
        async def attempt(number: int) -> CommandResult:
            try:
                return await self._run(prepared, look=number > 1)
            except InboxConflict:
                return await self._collided(prepared)

        return await with_retries(attempt)

    async def _run(self, run: PreparedCommand, look: bool = False) -> CommandResult:
        """One attempt. A keyed command's first reads as an unkeyed one (a fresh key has no
        record); its key's record is read (`look`) where one could answer: a retry (the write's
        index or claim refused the key) or a refusal by the state (decision 8004)."""
        entry = run.entry
        reactions: list[CommandReaction] = []
        async with self.uow.autocommit() as session:
            decision = await self._decide(session, run, look)
        if isinstance(decision, Change):
            reactions = [r for r in self.reactions if r.wants(run.context, entry, decision.before)]
            if not reactions:
                # Written once the read's connection is back in the pool: concurrent commands'
                # writes leave as one batch (group commit, decision 5001), and a command never
                # holds two connections while it waits for one.
                await self.uow.writes.write(decision.write)
                return run.result
        if isinstance(decision, CommandResult):
            return decision
        if isinstance(decision, _Archived):
            # A writer returns to an archived book: its events go back to the hot partition
            # (their own transaction), then the command reads and runs as on any hot session.
            back = await ArchiveService(self.uow).unarchive(
                decision.aggregate_type, str(entry.aggregate_id)
            )
            if back is None:  # flagged, yet no session holds it: nothing a retry would fix
                raise NotFound("The archived book has no session to bring back")
            return await self._run(run, look)
        if isinstance(decision, _Refused):
            if run.receipt is not None and not look:
                return await self._run(run, look=True)  # its key's answer comes first
            # The inbox check runs once the connection is back in the pool: no nested acquire.
            return await self._refused(run, decision.refusal)
        # A reply to a waiting flow: the write and the handle locks in one transaction.
        async with self.uow.transaction() as tx:
            await tx.write(decision.write)
            for reaction in reactions:
                await reaction(tx, run.context, entry, decision.before, decision.events)
        return run.result

    async def _decide(
        self, session: Transaction, run: PreparedCommand, look: bool
    ) -> "Change[Any] | CommandResult | _Refused | _Archived":
        """The one read, then the change to write; or the stored answer of its key; or the
        state's refusal, for the caller to check against the inbox (`_refused`)."""
        entry, receipt, handler = run.entry, run.receipt, run.spec.handler
        target = await session.repository(handler.repository_key).command_target(
            entry.aggregate_id, entry.user_id, receipt.lookup if receipt and look else None
        )
        if receipt is not None and target.record is not None:
            specs, spec = self.registry.specs, run.spec
            return receipt.answer(target.record, lambda kind: specs.get(kind, spec).is_async)
        if target.archived:
            return _Archived(handler.aggregate_type)
        try:
            state = handler.visible(target.snapshot)
            command = await _resolved(run.spec.handler, session, state, run.command)
            state = await _completed(run.spec.handler, session, state, command)
            decided = run.spec.handler.decide(state, command, entry.command_id)
        except ScribeError as refusal:
            # Refused by the state it read: a repeat of a command that ran (same key) or a twin
            # of a pending one answers as the inbox would have (replay, 409); a keyed one's
            # record answers first, whatever refused it (decision 8004).
            if isinstance(refusal, InvalidState) or (receipt is not None and not look):
                return _Refused(refusal)
            raise
        change = AggregateWriter(run.spec.handler).change(
            state,
            decided,
            Origin(entry.command_id, entry.command_id, run.context.metadata()),
            parts=Write(inbox=entry),
            supersede_by=None if run.spec.is_async else entry.command_type,
        )
        if run.task_id is not None and change.events:
            change = change.with_parts(Write(task=_task_of(entry, run.task_id, change.events[0])))
        return change

    async def _refused(self, run: PreparedCommand, refusal: ScribeError) -> CommandResult:
        """The state refused the command; the inbox may know it better: a command with the
        same key ran already (replay it) or one of the same type is pending (409). Only
        refusals pay this read."""
        row = await self._existing(run)
        if row is None:
            raise refusal
        return self._replay_or_duplicate(run, row)

    async def _collided(self, run: PreparedCommand) -> CommandResult:
        """A unique index refused the inbox row: replay the same-key command, or 409."""
        row = await self._existing(run)
        if row is None:
            # The pending command finished between our insert and this read: try again.
            raise ConcurrencyConflict("The pending command changed concurrently")
        return self._replay_or_duplicate(run, row)

    async def _existing(self, run: PreparedCommand) -> ExistingCommand | None:
        entry = run.entry
        return await self.inbox.existing(
            entry.aggregate_id, entry.user_id, entry.idempotency_key, run.spec.command_type
        )

    def _replay_or_duplicate(self, run: PreparedCommand, row: ExistingCommand) -> CommandResult:
        spec = run.spec
        if row.same_key and row.aggregate_id not in (None, run.entry.aggregate_id):
            raise KeyReused(run.entry.idempotency_key)  # the user's key, on another aggregate
        if row.same_key and run.receipt is not None:
            # A twin with the same key wrote first: the next attempt reads its answer (or 422).
            raise ConcurrencyConflict("The idempotency key was answered meanwhile")
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


async def _completed(
    handler: CommandHandler[Any], session: Transaction, state: Any, command: CommandPayload
) -> Any:
    """The state with what the command decides on that the one read left out (a novel's
    chapters, decision 5401); most handlers read everything at once (no `complete`)."""
    complete = getattr(handler, "complete", None)
    if complete is None:
        return state
    return await complete(session.repository(handler.repository_key), state, command)


async def _resolved(
    handler: CommandHandler[Any], session: Transaction, state: Any, command: CommandPayload
) -> CommandPayload:
    """The command with what it needs beyond the snapshot (a rollback's version), read on the
    command's connection; most commands need nothing (no `resolve`, or it returns them)."""
    resolve = getattr(handler, "resolve", None)
    if resolve is None:
        return command
    resolved: CommandPayload = await resolve(
        session.repository(handler.repository_key), state, command
    )
    return resolved
