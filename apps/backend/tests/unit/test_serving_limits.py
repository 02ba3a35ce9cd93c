"""The admission settings of issue 21 (settings/limits.py) load and refuse like every other."""

import pytest

from infinite_scribe.settings.settings import ConfigurationError, load_settings


def test_defaults_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAM_MAX_PER_USER", "3")
    monkeypatch.setenv("API_METRICS_PORT", "0")
    settings = load_settings()
    assert settings.stream_max_per_user == 3 and settings.api_metrics_port == 0
    assert settings.http_body_budget_bytes == 64 * 1024 * 1024
    assert settings.api_request_timeout_seconds == 15


def test_a_budget_smaller_than_one_body_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="HTTP_BODY_BUDGET_BYTES"):
        load_settings(http_body_budget_bytes=512 * 1024)
    with pytest.raises(ConfigurationError, match="STREAM_MAX_PER_USER"):
        load_settings(stream_max_per_user=0)
