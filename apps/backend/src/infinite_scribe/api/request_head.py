"""A request's header block read once (issue 40): every layer asks `head_of(scope)` for the
headers it needs (the Host, the media type, the declared length, the once-only headers, the
request id and traceparent) instead of scanning the block itself.

The headers the security model reads (who is acting, which idempotency key) are once-only: a
request that repeats one of them is refused (400), never resolved by whichever copy a layer
happens to pick (the first for the route, the last for the idempotency middleware)."""

from dataclasses import dataclass, field
from uuid import UUID

from starlette.types import Scope

from infinite_scribe.domain.errors import ScribeError

AUTHORIZATION = b"authorization"
IDEMPOTENCY_KEY_HEADERS = (b"idempotency-key", b"x-idempotency-key")
#: Every header the security model reads once; a second copy of any of them is a 400.
SINGLE_HEADERS = frozenset({AUTHORIZATION, *IDEMPOTENCY_KEY_HEADERS})

HEAD_KEY = "scribe.head"
#: The user the operation gate verified the bearer token of (the token is checked once).
USER_KEY = "scribe.user"


class RepeatedHeader(ScribeError):
    """A header that must appear at most once appeared more often (mapped to 400)."""

    error_code = "REPEATED_HEADER"

    def __init__(self, name: str) -> None:
        super().__init__(f"The {name} header must appear at most once", header=name)


@dataclass(slots=True)
class RequestHead:
    #: The first Host header, None when absent.
    host: bytes | None = None
    #: The first Content-Type (the one FastAPI reads), None when absent.
    content_type: bytes | None = None
    #: The first Content-Length as sent, None when absent.
    content_length: bytes | None = None
    authorization: str | None = None
    key: str | None = None
    #: The first once-only header that came twice (a 400), else None.
    repeated: RepeatedHeader | None = None
    #: Whether Authorization itself came twice (the operation gate's own 400).
    repeated_authorization: bool = False
    #: Every X-Request-ID and traceparent sent (the last valid one is used).
    request_ids: list[bytes] = field(default_factory=list)
    traceparents: list[bytes] = field(default_factory=list)

    @property
    def declared_length(self) -> int | None:
        """The declared body size, or None when absent or not a plain number."""
        value = self.content_length
        return int(value) if value is not None and value.isdigit() else None


def head_of(scope: Scope) -> RequestHead:
    """The request's head, read on the first call and kept in the scope."""
    head: RequestHead | None = scope.get(HEAD_KEY)
    if head is None:
        head = scope[HEAD_KEY] = _read(scope["headers"])
    return head


def verified_user(scope: Scope) -> UUID | None:
    """The user whose token the operation gate verified for this request, if it did."""
    user: UUID | None = scope.get(USER_KEY)
    return user


def _read(headers: list[tuple[bytes, bytes]]) -> RequestHead:
    head = RequestHead()
    seen: set[bytes] = set()
    key_seen: bytes | None = None
    for name, value in headers:
        if name in SINGLE_HEADERS:
            if name in seen or (name in IDEMPOTENCY_KEY_HEADERS and key_seen is not None):
                if head.repeated is None:
                    head.repeated = RepeatedHeader(
                        (name if name in seen else key_seen or name).decode("latin-1")
                    )
                head.repeated_authorization |= name == AUTHORIZATION
                continue
            seen.add(name)
            if name == AUTHORIZATION:
                head.authorization = value.decode("latin-1")
            else:
                key_seen = name
                head.key = value.decode("latin-1")
        elif name == b"host":
            if head.host is None:
                head.host = value
        elif name == b"content-type":
            if head.content_type is None:
                head.content_type = value
        elif name == b"content-length":
            if head.content_length is None:
                head.content_length = value
        elif name == b"x-request-id":
            head.request_ids.append(value)
        elif name == b"traceparent":
            head.traceparents.append(value)
    return head
