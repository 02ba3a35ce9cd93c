"""The header block read once (api/request_head.py) says what each layer read for itself
before: the once-only headers and which came twice, the first Host, Content-Type and
Content-Length."""

import itertools

import pytest

from infinite_scribe.api.request_head import (
    IDEMPOTENCY_KEY_HEADERS,
    SINGLE_HEADERS,
    RepeatedHeader,
    head_of,
)

HEADERS = [
    (b"authorization", b"Bearer a"),
    (b"authorization", b"Bearer b"),
    (b"idempotency-key", b"k1"),
    (b"x-idempotency-key", b"k2"),
    (b"content-type", b"application/json"),
    (b"host", b"example"),
]


def authorization_and_key(
    headers: tuple[tuple[bytes, bytes], ...],
) -> tuple[str | None, str | None]:
    """The rule, said plainly: each once-only header at most once, the two idempotency key
    names counting as one; the one Authorization and the one key."""
    found: dict[bytes, str] = {}
    for name, value in headers:
        if name not in SINGLE_HEADERS:
            continue
        keys = [seen for seen in found if seen in IDEMPOTENCY_KEY_HEADERS]
        if name in found or (name in IDEMPOTENCY_KEY_HEADERS and keys):
            raise RepeatedHeader((name if name in found else keys[0]).decode("latin-1"))
        found[name] = value.decode("latin-1")
    key = found.get(b"idempotency-key", found.get(b"x-idempotency-key"))
    return found.get(b"authorization"), key


@pytest.mark.parametrize("count", [0, 1, 2, 3])
def test_the_once_only_headers_as_identity_reads_them(count: int) -> None:
    for headers in itertools.permutations(HEADERS, count):
        head = head_of({"headers": list(headers)})
        try:
            expected = authorization_and_key(headers)
        except RepeatedHeader as error:
            assert head.repeated is not None and head.repeated.message == error.message
            continue
        assert head.repeated is None
        assert (head.authorization, head.key) == expected


def test_the_first_of_the_others_and_a_plain_length() -> None:
    headers = [
        (b"content-type", b"text/plain"),
        (b"content-type", b"application/json"),
        (b"content-length", b"12"),
        (b"content-length", b"13"),
        (b"host", b"a"),
        (b"host", b"b"),
    ]
    head = head_of({"headers": headers})
    assert (head.content_type, head.declared_length, head.host) == (b"text/plain", 12, b"a")
    assert head_of({"headers": [(b"content-length", b"-1")]}).declared_length is None


def test_it_is_read_once_per_request() -> None:
    scope = {"headers": [(b"authorization", b"Bearer a"), (b"authorization", b"Bearer b")]}
    head = head_of(scope)
    assert head.repeated_authorization
    scope["headers"] = []
    assert head_of(scope) is head
