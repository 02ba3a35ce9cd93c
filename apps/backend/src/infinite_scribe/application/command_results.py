"""What a command answers: its result, or for a keyed command its key's first answer given
again (`Receipt`: the key and the request's fingerprint, kept in the command's own inbox row,
decision 7204) and the two refusals of a key (reused for another request, held by a running
one)."""

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from infinite_scribe.application.ports.genesis import ExistingCommand, KeyLookup, KeyRecord
from infinite_scribe.application.ports.idempotency import StoredResponse


class KeyRefused(Exception):
    """A keyed command that must not run; the API answers as its idempotency middleware does."""

    error_code = "IDEMPOTENCY_KEY_REFUSED"


class KeyReused(KeyRefused):
    """The idempotency key answered a different request (422 IDEMPOTENCY_KEY_REUSED)."""

    error_code = "IDEMPOTENCY_KEY_REUSED"


class KeyInUse(KeyRefused):
    """The idempotency key is held by a request still running (409 IDEMPOTENCY_KEY_IN_USE)."""

    error_code = "IDEMPOTENCY_KEY_IN_USE"

    def __init__(self, retry_after: float) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


@dataclass(frozen=True)
class CommandResult:
    command_id: UUID
    status: str
    correlation_id: UUID
    is_async: bool
    replayed: bool = False
    #: The async task an async command created (None for sync commands).
    task_id: UUID | None = None
    #: A stored answer of the key (a record of another route's), replayed as it was (the
    #: command did not run; the ids above are then not this command's).
    stored: StoredResponse | None = None
    #: The key's command answered again as it first answered (ids, status and message of its
    #: first answer): sent with Idempotent-Replayed, the same bytes as the first time.
    first_answer: bool = False

    @classmethod
    def of_stored(cls, response: StoredResponse) -> "CommandResult":
        unknown = UUID(int=0)
        return cls(unknown, "", unknown, False, replayed=True, stored=response)

    @classmethod
    def of_first(cls, command: ExistingCommand, is_async: bool) -> "CommandResult":
        """`command`'s first answer: its status then was RECEIVED (async) or COMPLETED."""
        status = "RECEIVED" if is_async else "COMPLETED"
        return cls(
            command.command_id,
            status,
            command.correlation_id,
            is_async,
            replayed=True,
            task_id=command.task_id,
            first_answer=True,
        )

    @property
    def message(self) -> str:
        if self.replayed and not self.first_answer:
            return "Command already received (idempotent replay)"
        return "Command accepted" if self.is_async else "Command completed"


@dataclass(frozen=True)
class Receipt:
    """A keyed command's key, kept in its inbox row with the request's fingerprint (no claim,
    no completion, no record of its own: Stripe's atomic phases at the cost of one row)."""

    scope: str
    key: str
    fingerprint: str

    @property
    def lookup(self) -> KeyLookup:
        return KeyLookup(self.scope, self.key)

    def answer(self, record: KeyRecord, is_async: Callable[[str], bool]) -> CommandResult:
        """The key's answer: another route's stored one, or its command's first (`is_async`
        of its command type); KeyReused for another request's key, KeyInUse while another
        route's request holds it."""
        if record.fingerprint != self.fingerprint:
            raise KeyReused(self.key)
        if record.response is not None:
            return CommandResult.of_stored(record.response)
        if record.command is None:
            raise KeyInUse(record.retry_after or 1.0)
        return CommandResult.of_first(record.command, is_async(record.command.command_type))
