"""Key validation, the request fingerprint, the `auto:` key and route patterns: pure functions."""

import pytest

from infinite_scribe.api.middleware.idempotency import _route_pattern
from infinite_scribe.application.idempotency import auto_key, fingerprint, user_scope, valid_key
from infinite_scribe.persistence.idempotency.stores import check_idempotency_settings
from infinite_scribe.settings.settings import ConfigurationError, Settings, load_settings


@pytest.mark.parametrize(
    "key", ["a", "x" * 255, "order 42/ä".encode().decode("ascii", "replace")[:9]]
)
def test_printable_ascii_keys_of_1_to_255_chars_are_valid(key: str) -> None:
    assert valid_key(key) == all(" " <= char <= "~" for char in key)


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9", "tab\t", "\x00", "del\x7f"])
def test_other_keys_are_invalid(key: str) -> None:
    assert not valid_key(key)


def test_fingerprint_sorts_the_query_and_binds_method_path_and_body() -> None:
    base = fingerprint("POST", "/a", b"x=1&y=2", b"{}")
    assert fingerprint("post", "/a", b"y=2&x=1", b"{}") == base
    assert fingerprint("PUT", "/a", b"x=1&y=2", b"{}") != base
    assert fingerprint("POST", "/b", b"x=1&y=2", b"{}") != base
    assert fingerprint("POST", "/a", b"x=1&y=3", b"{}") != base
    assert fingerprint("POST", "/a", b"x=1&y=2", b"{ }") != base
    assert len(base) == 64


def test_auto_key_is_a_prefix_of_the_fingerprints_hash() -> None:
    key = auto_key(fingerprint("POST", "/a", b"", b"{}"))
    assert key.startswith("auto:") and len(key) == 37
    assert int(key[5:], 16) >= 0
    assert key == auto_key(fingerprint("POST", "/a", b"", b"{}"))


def test_scopes_name_the_user() -> None:
    assert user_scope("u1") != user_scope("u2")


def test_route_patterns_match_one_segment_per_parameter() -> None:
    pattern = _route_pattern("POST /api/v1/genesis/sessions/{session_id}/commands")
    assert pattern.fullmatch("POST /api/v1/genesis/sessions/abc/commands")
    assert not pattern.fullmatch("POST /api/v1/genesis/sessions/a/b/commands")
    assert not pattern.fullmatch("PUT /api/v1/genesis/sessions/abc/commands")


def test_settings_refuse_bad_idempotency_values() -> None:
    with pytest.raises(ConfigurationError, match="IDEMPOTENCY_BACKEND"):
        load_settings(idempotency_backend="memcached")
    with pytest.raises(ConfigurationError, match="REDIS_URL"):
        load_settings(redis_url="http://127.0.0.1:6379")
    with pytest.raises(ConfigurationError, match="IDEMPOTENCY_AUTO_KEY_ROUTES"):
        load_settings(idempotency_auto_key_routes=["GET /x"])


def test_the_redis_backend_needs_a_url() -> None:
    with pytest.raises(ConfigurationError, match="REDIS_URL"):
        check_idempotency_settings(Settings(idempotency_backend="redis"))
