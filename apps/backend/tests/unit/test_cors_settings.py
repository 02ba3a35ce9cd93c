"""CORS settings: CORS_ORIGINS as a comma list or JSON, refused when not an origin; localhost
allowed only when asked or with the embedded database; no middleware when nothing is allowed."""

import pytest

from infinite_scribe.api.middleware.cors import LOCALHOST_ORIGINS, cors_middleware
from infinite_scribe.settings.settings import ConfigurationError, Settings, load_settings

EXTERNAL = {"database_url": "postgresql://u@db.example/x"}


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CORS_ORIGINS", "CORS_ALLOW_LOCALHOST", "DATABASE_URL", "POSTGRES_HOST"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://app.example.com", ["https://app.example.com"]),
        (
            "https://a.example, http://b.example:8080/",
            ["https://a.example", "http://b.example:8080"],
        ),
        ('["https://a.example", "*"]', ["https://a.example", "*"]),
        ("", []),
    ],
)
def test_origins_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: list[str]
) -> None:
    monkeypatch.setenv("CORS_ORIGINS", value)
    assert load_settings(**EXTERNAL).cors_origins == expected


@pytest.mark.parametrize(
    "value",
    [
        "app.example.com",
        "https://app.example.com/path",
        "ftp://x.example",
        '["https://a',
        "https://a b",
    ],
)
def test_what_is_not_an_origin_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("CORS_ORIGINS", value)
    with pytest.raises(ConfigurationError, match="CORS_ORIGINS"):
        load_settings(**EXTERNAL)


def test_nothing_is_allowed_by_default_outside_embedded_mode() -> None:
    settings = Settings(**EXTERNAL)  # type: ignore[arg-type]
    assert not settings.allows_localhost_origins()
    assert cors_middleware(settings) is None


def test_embedded_database_allows_localhost_unless_turned_off() -> None:
    assert Settings().allows_localhost_origins()
    assert not Settings(cors_allow_localhost=False).allows_localhost_origins()
    assert Settings(cors_allow_localhost=True, **EXTERNAL).allows_localhost_origins()  # type: ignore[arg-type]


def test_middleware_options() -> None:
    settings = Settings(cors_origins=["https://app.example.com"], **EXTERNAL)  # type: ignore[arg-type]
    found = cors_middleware(settings)
    assert found is not None
    _, options = found
    assert options["allow_origins"] == ["https://app.example.com"]
    assert options["allow_origin_regex"] is None and options["allow_credentials"] is False
    local = cors_middleware(Settings(cors_allow_localhost=True, **EXTERNAL))  # type: ignore[arg-type]
    assert local is not None and local[1]["allow_origin_regex"] == LOCALHOST_ORIGINS
