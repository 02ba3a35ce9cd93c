"""What a command answers: its result, or for a keyed command the stored answer of its key
(`Receipt`: the idempotency record written with the command, Stripe's atomic phases) and the two
refusals of a key (reused for another request, held by a running one)."""

from dataclasses import dataclass
from uuid import UUID

from infinite_scribe.application.ports.genesis import KeyLookup, KeyRecord
from infinite_scribe.application.ports.idempotency import StoredResponse
from infinite_scribe.application.ports.writes import IdempotencyRecord


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
    #: A keyed command's stored answer, replayed as it was (the command did not run again; the
    #: ids above are then not this command's: the stored body carries the original ones).
    stored: StoredResponse | None = None

    @classmethod
    def of_stored(cls, response: StoredResponse) -> "CommandResult":
        unknown = UUID(int=0)
        return cls(unknown, "", unknown, False, replayed=True, stored=response)

    @property
    def message(self) -> str:
        if self.replayed:
            return "Command already received (idempotent replay)"
        return "Command accepted" if self.is_async else "Command completed"


@dataclass(frozen=True)
class Receipt:
    """A keyed command's idempotency record, stored with its write (no claim, no completion):
    `response` is what the API renders for the command's result (`PreparedCommand.result`,
    known before the write), stored byte for byte. The application never renders it."""

    scope: str
    key: str
    fingerprint: str
    ttl_seconds: float
    response: StoredResponse

    @property
    def lookup(self) -> KeyLookup:
        return KeyLookup(self.scope, self.key)

    @property
    def record(self) -> IdempotencyRecord:
        answer = self.response
        return IdempotencyRecord(
            self.scope,
            self.key,
            self.fingerprint,
            answer.status,
            answer.headers,
            answer.body,
            self.ttl_seconds,
        )

    def replay(self, record: KeyRecord) -> CommandResult:
        """The stored answer of this key (or why there is none to give)."""
        if record.fingerprint != self.fingerprint:
            raise KeyReused(self.key)
        if record.response is None:
            raise KeyInUse(record.retry_after or 1.0)
        return CommandResult.of_stored(record.response)
