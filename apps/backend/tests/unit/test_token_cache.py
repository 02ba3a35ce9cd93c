"""The verified-token cache never outlives a token's expiry and never caches a bad token."""

from uuid import uuid4

import pytest
import time_machine

from infinite_scribe.api.auth import create_access_token
from infinite_scribe.api.token_cache import VerifiedTokens
from infinite_scribe.domain.errors import AuthenticationError
from infinite_scribe.settings.settings import Settings

SECRET = "unit-test-secret-that-is-long-enough-0123456789"


def test_cached_token_still_expires(time_machine: time_machine.TimeMachineFixture) -> None:
    time_machine.move_to(1_800_000_000, tick=False)  # the wall clock as the test sets it
    settings = Settings(jwt_secret_key=SECRET)  # type: ignore[arg-type]
    tokens = VerifiedTokens(settings)
    user = uuid4()
    token = create_access_token(settings, user, ttl_seconds=1)
    assert tokens.user_id(token) == user
    assert tokens.user_id(token) == user  # from the cache
    time_machine.shift(2.1)  # past the token's expiry, for PyJWT too
    with pytest.raises(AuthenticationError) as caught:
        tokens.user_id(token)
    assert caught.value.error_code == "TOKEN_EXPIRED"


def test_bad_tokens_are_not_cached_and_the_cache_is_bounded() -> None:
    settings = Settings(jwt_secret_key=SECRET)  # type: ignore[arg-type]
    tokens = VerifiedTokens(settings, max_entries=2)
    for _ in range(2):
        with pytest.raises(AuthenticationError):
            tokens.user_id("not-a-token")
    for _ in range(5):
        tokens.user_id(create_access_token(settings, uuid4()))
    assert len(tokens._verified) <= 2
