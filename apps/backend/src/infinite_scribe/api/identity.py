"""The headers the security model reads once (who is acting, which idempotency key), read in
one place: a request that repeats one of them is refused (400), never resolved by whichever copy
a layer happens to pick (the first for the route, the last for the idempotency middleware).
"""

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
