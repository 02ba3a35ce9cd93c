"""Token issue and verification (no HTTP): the claims, expiry and refused algorithms."""

import time
from uuid import uuid4

import jwt
import pytest

from infinite_scribe.api.auth import bearer_token, create_access_token, decode_access_token
from infinite_scribe.domain.errors import AuthenticationError
from infinite_scribe.settings.settings import Settings

SECRET = "unit-test-secret-" + "0123456789" * 6


@pytest.fixture
def settings() -> Settings:
    return Settings(jwt_secret_key=SECRET)  # type: ignore[arg-type]


def test_round_trip(settings: Settings) -> None:
    user = uuid4()
    token = create_access_token(settings, user, ttl_seconds=60)
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert claims["sub"] == str(user) and claims["exp"] - time.time() <= 60
    assert decode_access_token(settings, token) == user


@pytest.mark.parametrize(
    ("token_factory", "code"),
    [
        (lambda: jwt.encode({"sub": str(uuid4()), "exp": 1}, SECRET, "HS256"), "TOKEN_EXPIRED"),
        (
            lambda: jwt.encode(
                {"sub": str(uuid4()), "exp": 2**40}, "other-secret-key-0123456789-xyz!", "HS256"
            ),
            "INVALID_TOKEN",
        ),
        (lambda: jwt.encode({"exp": 2**40}, SECRET, "HS256"), "INVALID_TOKEN"),
        (lambda: jwt.encode({"sub": str(uuid4())}, SECRET, "HS256"), "INVALID_TOKEN"),
        (lambda: jwt.encode({"sub": "not-a-uuid", "exp": 2**40}, SECRET, "HS256"), "INVALID_TOKEN"),
        (lambda: jwt.encode({"sub": str(uuid4()), "exp": 2**40}, None, "none"), "INVALID_TOKEN"),
        (lambda: jwt.encode({"sub": str(uuid4()), "exp": 2**40}, SECRET, "HS512"), "INVALID_TOKEN"),
        (lambda: "garbage.token.here", "INVALID_TOKEN"),
    ],
)
def test_refused_tokens(settings: Settings, token_factory: object, code: str) -> None:
    with pytest.raises(AuthenticationError) as raised:
        decode_access_token(settings, token_factory())  # type: ignore[operator]
    assert raised.value.error_code == code


@pytest.mark.parametrize("header", [None, "", "Basic abc", "Bearer", "Bearer   "])
def test_bearer_header_must_be_well_formed(header: str | None) -> None:
    with pytest.raises(AuthenticationError):
        bearer_token(header)


def test_bearer_header_extracts_the_token() -> None:
    assert bearer_token("Bearer abc.def") == "abc.def"
    assert bearer_token("bearer abc") == "abc"
