"""The command service as the API runs it: each command counted by type and outcome, and
its session and correlation id bound to the request's log context."""

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from infinite_scribe.api.metrics import ApiMetrics
from infinite_scribe.application.command_service import (
    REGISTRY,
    CommandReaction,
    CommandRegistry,
    CommandResult,
    CommandService,
    KeyRefused,
    PreparedCommand,
    Receipt,
)
from infinite_scribe.application.context import RequestContext
from infinite_scribe.application.ports.genesis import CommandQueries
from infinite_scribe.application.ports.storage import UnitOfWork
from infinite_scribe.domain.errors import ScribeError
from infinite_scribe.observability.log_context import bind

UNKNOWN_COMMAND_TYPE = "unknown"


class MeteredCommandService(CommandService):
    def __init__(
        self,
        uow: UnitOfWork,
        queries: CommandQueries,
        metrics: ApiMetrics,
        registry: CommandRegistry = REGISTRY,
        reactions: Sequence[CommandReaction] = (),
    ) -> None:
        super().__init__(uow, queries, registry, reactions)
        self.metrics = metrics
        # prometheus_client's `labels()` takes a lock and builds the key on every call: each
        # (command type, outcome) child is looked up once. Both are bounded: known types (or
        # UNKNOWN_COMMAND_TYPE) and the project's error codes and statuses.
        self._children: dict[tuple[str, str], Any] = {}

    def _count(self, command_type: str, outcome: str) -> None:
        child = self._children.get((command_type, outcome))
        if child is None:
            child = self._children[(command_type, outcome)] = self.metrics.commands.labels(
                command_type, outcome
            )
        child.inc()

    def prepare(
        self,
        context: RequestContext,
        aggregate_id: UUID,
        command_type: str,
        payload: Mapping[str, Any] | None,
        idempotency_key: str | None = None,
        receipt: Receipt | None = None,
    ) -> PreparedCommand:
        bind(session_id=aggregate_id)
        try:
            return super().prepare(
                context, aggregate_id, command_type, payload, idempotency_key, receipt
            )
        except ScribeError as error:  # an unknown type, a payload its model refuses
            # A client-chosen string never becomes a label value: unknown types share one.
            known = command_type in self.registry.specs
            label = command_type if known else UNKNOWN_COMMAND_TYPE
            self._count(label, error.error_code)
            raise

    async def run(self, prepared: PreparedCommand) -> CommandResult:
        label = prepared.spec.command_type
        try:
            result = await super().run(prepared)
        except (ScribeError, KeyRefused) as error:
            self._count(label, error.error_code)
            raise
        except Exception:
            self._count(label, "ERROR")
            raise
        if result.stored is not None or result.first_answer:  # its idempotency key's answer
            self.metrics.idempotency_replays.inc()
            self._count(label, "replayed")
            return result
        bind(correlation_id=result.correlation_id)
        outcome = "replayed" if result.replayed else result.status.lower()
        self._count(label, outcome)
        return result
