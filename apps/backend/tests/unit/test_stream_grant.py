"""Stream grants: signed, bound to one session, expiring, and never accepted when altered."""

from uuid import uuid4

import pytest
from starlette.responses import Response

from infinite_scribe.api.stream_grant import STREAM_PATH, StreamGrants

GRANTS = StreamGrants("a-secret-long-enough-for-the-test-0123456789", ttl_seconds=60)
USER, SESSION = uuid4(), uuid4()
NOW = 1_800_000_000.0


def cookies(value: str, session: object = SESSION) -> dict[str, str]:
    return {StreamGrants.cookie_name(session): value}  # type: ignore[arg-type]


def test_a_grant_names_its_user_for_its_session_until_it_expires() -> None:
    value = GRANTS.sign(USER, SESSION, now=NOW)
    assert GRANTS.user_of(cookies(value), SESSION, now=NOW + 59) == USER
    assert GRANTS.user_of(cookies(value), SESSION, now=NOW + 60) is None
    other = uuid4()
    assert GRANTS.user_of(cookies(value, other), other, now=NOW) is None  # another session
    assert GRANTS.user_of({}, SESSION, now=NOW) is None


@pytest.mark.parametrize(
    "tamper",
    [
        lambda v: v[:-2] + ("AA" if not v.endswith("AA") else "BB"),  # the MAC
        lambda v: v.replace(USER.hex, uuid4().hex),  # the user
        lambda v: v.replace(".", "..", 1),
        lambda v: "x" * 300,
        lambda v: "",
        lambda v: "1.a.b.c.d",
    ],
)
def test_an_altered_grant_is_refused(tamper: object) -> None:
    value = GRANTS.sign(USER, SESSION, now=NOW)
    assert GRANTS.user_of(cookies(tamper(value)), SESSION, now=NOW) is None  # type: ignore[operator]


def test_another_secret_does_not_verify() -> None:
    value = StreamGrants("another-secret-0123456789-0123456789").sign(USER, SESSION, now=NOW)
    assert GRANTS.user_of(cookies(value), SESSION, now=NOW) is None


def test_the_cookie_is_http_only_strict_and_scoped_to_the_stream() -> None:
    response = Response()
    GRANTS.attach(response, USER, SESSION, secure=True)
    header = response.headers["set-cookie"]
    assert header.startswith(f"scribe_stream_{SESSION.hex}=")
    for part in (f"Path={STREAM_PATH}", "HttpOnly", "SameSite=strict", "Secure", "Max-Age=60"):
        assert part in header, header
