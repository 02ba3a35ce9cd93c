"""The project's own exceptions. Drivers' errors are translated into these in one place
(persistence), and these are mapped to HTTP in one place (api/errors.py)."""


class ScribeError(Exception):
    """Base: a stable machine-readable `error_code` plus a human message."""

    error_code = "ERROR"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(ScribeError):
    error_code = "NOT_FOUND"


class InvalidState(ScribeError):
    error_code = "INVALID_STATE"


class InvalidVersion(ScribeError):
    """A rollback or branch names an event that is not a version of the session (422)."""

    error_code = "INVALID_VERSION"


class VersionConflict(InvalidState):
    """The command's `expected_version` is not the session's: it changed meanwhile (409)."""

    error_code = "VERSION_CONFLICT"


class GenerationPending(InvalidState):
    """A rollback while the agents are still writing a proposal (409)."""

    error_code = "GENERATION_PENDING"


class NothingToCancel(InvalidState):
    """CancelGeneration while no generation is running (409)."""

    error_code = "NO_GENERATION_RUNNING"


class UnknownCommand(ScribeError):
    error_code = "UNKNOWN_COMMAND"


class InvalidPayload(ScribeError):
    error_code = "VALIDATION_ERROR"


class UnknownModel(InvalidPayload):
    """A regeneration names a model this service does not have (422, issue 55)."""

    error_code = "UNKNOWN_MODEL"


class InvalidEdit(InvalidPayload):
    """A codex edit that names no entry of the codex, or would make two of one name (422)."""

    error_code = "INVALID_EDIT"


class DuplicateCommand(ScribeError):
    """A command of the same type is already RECEIVED/PROCESSING for the session."""

    error_code = "DUPLICATE_COMMAND"

    def __init__(self, duplicate_command_id: str) -> None:
        super().__init__("Command already processing", duplicate_command_id=duplicate_command_id)
        self.duplicate_command_id = duplicate_command_id


class ConcurrencyConflict(ScribeError):
    """Optimistic concurrency lost after the bounded retries (someone else changed it first)."""

    error_code = "CONCURRENCY_CONFLICT"


class StorageUnavailable(ScribeError):
    """The database failed in a way a retry may fix (connection lost, unexpected error)."""

    error_code = "STORAGE_UNAVAILABLE"


class InvalidEventName(ScribeError):
    error_code = "INVALID_EVENT_NAME"


class AuthenticationError(ScribeError):
    error_code = "UNAUTHORIZED"

    def __init__(self, message: str, error_code: str = "UNAUTHORIZED") -> None:
        super().__init__(message)
        self.error_code = error_code


class EventIdConflict(ScribeError):
    """An event id was published again with different content."""

    error_code = "EVENT_ID_CONFLICT"


class FlowHandleConflict(ScribeError):
    """A resume that cannot happen: no waiting handle for the flow (docs/flows.md)."""

    error_code = "FLOW_HANDLE_CONFLICT"


class FlowHandleNotFound(NotFound):
    """No handle for this flow among the user's (unknown and foreign look the same): a 404
    `NOT_FOUND`, exactly like reading it (issue 21; it was a 409 `FLOW_HANDLE_NOT_FOUND`)."""


class FlowHandleExpired(FlowHandleConflict):
    error_code = "FLOW_HANDLE_EXPIRED"


class FlowAlreadyResumed(FlowHandleConflict):
    error_code = "FLOW_ALREADY_RESUMED"


class EventTooLarge(ScribeError):
    """An event would exceed EVENT_MAX_BYTES as produced: it could never be published."""

    error_code = "EVENT_TOO_LARGE"

    def __init__(self, event_type: str, size: int, limit: int) -> None:
        super().__init__(
            f"The {event_type} event would be {size} bytes as published; the limit is {limit}",
            event_type=event_type,
            size=size,
            limit=limit,
        )


class SessionTrashed(InvalidState):
    """The session is in the trash: it takes no command until restored (409)."""

    error_code = "SESSION_TRASHED"


class SessionNotTrashed(InvalidState):
    """Purge asked for a session that is not in the trash (409)."""

    error_code = "SESSION_NOT_TRASHED"


class TooManyRenders(ScribeError):
    """The writer already has as many exports, bible pages or histories computing as they may
    (429)."""

    error_code = "TOO_MANY_RENDERS"

    def __init__(self, limit: int, retry_after: int) -> None:
        super().__init__(
            f"At most {limit} export(s) or history request(s) per writer at a time; "
            f"retry in {retry_after} s",
            retry_after=retry_after,
        )


class RendersBusy(ScribeError):
    """The process computes as many exports and histories as it may (503)."""

    error_code = "SERVER_BUSY"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"The server is rendering as many exports as it may; retry in {retry_after} s",
            retry_after=retry_after,
        )


class StageTooLarge(ScribeError):
    """A stage's confirmed data is over STAGE_MAX_BYTES (413): the bible, its exports and its
    history are rendered from it, so its size bounds their cost."""

    error_code = "STAGE_TOO_LARGE"

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            f"The stage's data is {size} bytes as stored; the limit is {limit}",
            size=size,
            limit=limit,
        )


class InvalidChapter(ScribeError):
    """A chapter number outside the novel's confirmed outline (422)."""

    error_code = "INVALID_CHAPTER"


class NoDraft(InvalidChapter):
    """Feedback on, or confirmation of, a chapter that has no draft yet (422)."""

    error_code = "NO_DRAFT"


class ExportNotReady(NotFound):
    """No file of the novel as it is now in that format: build one first (404)."""

    error_code = "EXPORT_NOT_READY"


class SessionBusy(InvalidState):
    """The archive was asked for a session with a command or a chapter in flight (409)."""

    error_code = "SESSION_BUSY"
