"""The one place where asyncpg errors become the project's exceptions.

Everything that talks to PostgreSQL either runs inside `translated()` (the unit of work, the
query adapters) or, for long-running workers that retry on their own (the relay, its LISTEN
loop), catches `DATABASE_ERRORS` defined here.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg

from infinite_scribe.application.ports.storage import InboxConflict
from infinite_scribe.application.ports.writes import (
    AlreadyProcessed,
    EventAlreadyStored,
    FlowAlreadyWaiting,
    TaskNotRunning,
)
from infinite_scribe.domain.errors import ConcurrencyConflict, EventIdConflict, StorageUnavailable

logger = logging.getLogger(__name__)

#: Failures of the database or of the way to it: retry later, or report "unavailable".
DATABASE_ERRORS: tuple[type[Exception], ...] = (
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    TimeoutError,
)
#: What `translated()` turns into the project's exceptions.
_DRIVER_ERRORS = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    OSError,
)

#: Errors that mean "somebody else won this race; run the whole transaction again".
_RETRYABLE = (asyncpg.SerializationError, asyncpg.DeadlockDetectedError)

#: The command inbox's unique indexes: same idempotency key, or one pending command per type.
PENDING_COMMAND_INDEX = "idx_command_inbox_unique_pending_command"
IDEMPOTENCY_KEY_INDEX = "uq_command_inbox_user_idempotency_key"
_INBOX_INDEXES = frozenset({PENDING_COMMAND_INDEX, IDEMPOTENCY_KEY_INDEX})
#: A keyed command's key was claimed by another route meanwhile (issue 79 Q3, migration 0038):
#: run the command again, whose read then finds that route's record (409 or 422).
KEY_CLAIMED = "scribe_key_held"
#: Two writers appended the same (aggregate_type, aggregate_id, aggregate_version).
AGGREGATE_VERSION_INDEX = "uq_domain_events_aggregate_version"
#: The same event id was appended twice.
EVENT_ID_INDEX = "domain_events_event_id_key"
#: ... and with other content than the stored event's (reported by the write's guard).
EVENT_ID_CONTENT = "domain_events_event_id_content"
#: A consumer's ledger row is there already.
LEDGER_KEY = "processed_messages_pkey"
#: A task finish met a task no longer PENDING/RUNNING (reported by the write's guard).
TASK_NOT_RUNNING = "async_tasks_not_running"
#: A PAUSED flow handle met the flow's waiting one (the partial unique index).
FLOW_WAITING_INDEX = "idx_flow_resume_handles_unique_correlation"


def translate(error: BaseException) -> BaseException:
    """The project's exception for a driver error (the error itself when it is ours already)."""
    if isinstance(error, asyncpg.UniqueViolationError):
        constraint = error.constraint_name
        if constraint in _INBOX_INDEXES:
            return InboxConflict(constraint)
        if constraint == EVENT_ID_INDEX:
            return EventAlreadyStored(constraint)
        if constraint == EVENT_ID_CONTENT:
            return EventIdConflict("An event id was written again with different content")
        if constraint == LEDGER_KEY:
            return AlreadyProcessed(constraint)
        if constraint == FLOW_WAITING_INDEX:
            return FlowAlreadyWaiting(constraint)
        if constraint == KEY_CLAIMED:
            return ConcurrencyConflict("The idempotency key was claimed by another request")
        if constraint == AGGREGATE_VERSION_INDEX:
            return ConcurrencyConflict("The aggregate was changed concurrently; retry the command")
    if isinstance(error, asyncpg.CheckViolationError) and error.constraint_name == TASK_NOT_RUNNING:
        return TaskNotRunning(TASK_NOT_RUNNING)
    if isinstance(error, _RETRYABLE):
        return ConcurrencyConflict("The session was changed concurrently")
    if isinstance(error, _DRIVER_ERRORS):
        logger.error("database failure: %s", error, exc_info=error)
        return StorageUnavailable("The database failed; retry the request")
    return error


@contextmanager
def translated() -> Iterator[None]:
    """Run a block with driver errors turned into the project's exceptions."""
    try:
        yield
    except _DRIVER_ERRORS as error:
        raise translate(error) from error
