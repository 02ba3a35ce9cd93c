"""Stream grants: signed, bound to one session, expiring, never past the token that opened the
stream, and never accepted when altered."""

import time
from uuid import uuid4

import pytest
from starlette.responses import Response

from infinite_scribe.api.stream_grant import STREAM_PATH, StreamGrants
from infinite_scribe.application.ports.stream import Follower

GRANTS = StreamGrants("a-secret-long-enough-for-the-test-0123456789", ttl_seconds=60)
USER, SESSION = uuid4(), uuid4()
NOW = 1_800_000_000.0
#: A follower whose token outlives every grant of the test.
FOLLOWER = Follower(USER, NOW + 86_400)


def cookies(value: str, session: object = SESSION) -> dict[str, str]:
    return {StreamGrants.cookie_name(session): value}  # type: ignore[arg-type]


def test_a_grant_names_its_follower_for_its_session_until_it_expires() -> None:
    value = GRANTS.sign(FOLLOWER, SESSION, now=NOW)
    assert GRANTS.follower_of(cookies(value), SESSION, now=NOW + 59) == Follower(
        USER, float(int(FOLLOWER.until))
    )
    assert GRANTS.follower_of(cookies(value), SESSION, now=NOW + 60) is None
    other = uuid4()
    assert GRANTS.follower_of(cookies(value, other), other, now=NOW) is None  # another session
    assert GRANTS.follower_of({}, SESSION, now=NOW) is None


def test_a_grant_ends_with_the_token_that_opened_the_stream() -> None:
    short = Follower(USER, NOW + 10)
    value = GRANTS.sign(short, SESSION, now=NOW)
    assert GRANTS.follower_of(cookies(value), SESSION, now=NOW + 9) is not None
    assert GRANTS.follower_of(cookies(value), SESSION, now=NOW + 10) is None
    # Renewed on a reconnect, it keeps the token's bound instead of another 60 s.
    renewed = GRANTS.sign(
        GRANTS.follower_of(cookies(value), SESSION, now=NOW + 9), SESSION, NOW + 9
    )  # type: ignore[arg-type]
    assert GRANTS.follower_of(cookies(renewed), SESSION, now=NOW + 10) is None


@pytest.mark.parametrize(
    "tamper",
    [
        lambda v: v[:-2] + ("AA" if not v.endswith("AA") else "BB"),  # the MAC
        lambda v: v.replace(USER.hex, uuid4().hex),  # the user
        lambda v: v.replace(f".{int(NOW + 86_400)}.", f".{int(NOW + 10**6)}."),  # the bound
        lambda v: v.replace(".", "..", 1),
        lambda v: "x" * 300,
        lambda v: "",
        lambda v: "2.a.b.c.d.e",
        lambda v: "1." + v[2:],  # an older version
    ],
)
def test_an_altered_grant_is_refused(tamper: object) -> None:
    value = GRANTS.sign(FOLLOWER, SESSION, now=NOW)
    assert GRANTS.follower_of(cookies(tamper(value)), SESSION, now=NOW) is None  # type: ignore[operator]


def test_another_secret_does_not_verify() -> None:
    value = StreamGrants("another-secret-0123456789-0123456789").sign(FOLLOWER, SESSION, now=NOW)
    assert GRANTS.follower_of(cookies(value), SESSION, now=NOW) is None


def test_the_cookie_is_http_only_strict_and_scoped_to_the_stream() -> None:
    response = Response()
    GRANTS.attach(response, Follower(USER, time.time() + 86_400), SESSION, secure=True)
    header = response.headers["set-cookie"]
    assert header.startswith(f"scribe_stream_{SESSION.hex}=")
    for part in (f"Path={STREAM_PATH}", "HttpOnly", "SameSite=strict", "Secure", "Max-Age=60"):
        assert part in header, header


def test_the_cookie_lives_no_longer_than_the_token() -> None:
    response = Response()
    GRANTS.attach(response, Follower(USER, time.time() + 20.5), SESSION, secure=False)
    max_age = int(response.headers["set-cookie"].split("Max-Age=")[1].split(";")[0])
    assert 18 <= max_age <= 20
