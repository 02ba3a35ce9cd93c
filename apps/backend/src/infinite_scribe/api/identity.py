"""The headers the security model reads once (who is acting, which idempotency key), read in
one place: a request that repeats one of them is refused (400), never resolved by whichever copy
a layer happens to pick (the first for the route, the last for the idempotency middleware).
"""

from collections.abc import Iterable

from infinite_scribe.domain.errors import ScribeError

AUTHORIZATION = b"authorization"
IDEMPOTENCY_KEY_HEADERS = (b"idempotency-key", b"x-idempotency-key")
#: Every header the security model reads once; a second copy of any of them is a 400.
SINGLE_HEADERS = frozenset({AUTHORIZATION, *IDEMPOTENCY_KEY_HEADERS})


class RepeatedHeader(ScribeError):
    """A header that must appear at most once appeared more often (mapped to 400)."""

    error_code = "REPEATED_HEADER"

    def __init__(self, name: str) -> None:
        super().__init__(f"The {name} header must appear at most once", header=name)


def single_headers(headers: Iterable[tuple[bytes, bytes]]) -> dict[bytes, bytes]:
    """The once-only headers of a request (ASGI raw headers, lower-case names), by name.

    Raises RepeatedHeader when one appears twice. `Idempotency-Key` and `X-Idempotency-Key`
    count as one header: both at once name two keys.
    """
    found: dict[bytes, bytes] = {}
    key_seen: bytes | None = None
    for name, value in headers:
        if name not in SINGLE_HEADERS:
            continue
        if name in found:
            raise RepeatedHeader(name.decode("latin-1"))
        if name in IDEMPOTENCY_KEY_HEADERS:
            if key_seen is not None:
                raise RepeatedHeader(key_seen.decode("latin-1"))
            key_seen = name
        found[name] = value
    return found


def authorization_and_key(headers: Iterable[tuple[bytes, bytes]]) -> tuple[str | None, str | None]:
    """The one `Authorization` value and the one idempotency key (either header name)."""
    found = single_headers(headers)
    authorization = found.get(AUTHORIZATION)
    key = found.get(IDEMPOTENCY_KEY_HEADERS[0], found.get(IDEMPOTENCY_KEY_HEADERS[1]))
    return (
        None if authorization is None else authorization.decode("latin-1"),
        None if key is None else key.decode("latin-1"),
    )
