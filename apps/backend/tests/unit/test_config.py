"""Settings: environment variables, derived URLs, and errors that name the variable."""

import pytest

from infinite_scribe.settings.settings import (
    DEV_JWT_SECRET,
    ConfigurationError,
    ServiceType,
    Settings,
    load_settings,
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "DATABASE_URL",
        "POSTGRES_HOST",
        "POSTGRES_PASSWORD",
        "KAFKA_BOOTSTRAP_SERVERS",
        "KAFKA_HOST",
        "KAFKA_PORT",
        "JWT_SECRET_KEY",
        "RELAY_BATCH_SIZE",
        "RELAY_POLL_INTERVAL",
        "SERVICE_TYPE",
        "SCRIBE_DATA_DIR",
        "KAFKA_TOPIC",
    ):
        monkeypatch.delenv(name, raising=False)


def test_defaults_are_embedded() -> None:
    settings = load_settings()
    assert settings.embedded_database and settings.embedded_kafka
    assert settings.kafka_topic == "domain-events"
    assert settings.relay_poll_interval == 5 and settings.relay_batch_size == 500
    assert settings.service_type is ServiceType.API
    assert str(settings.scribe_data_dir) == ".data"
    assert settings.resolved_database_url() is None
    assert settings.resolved_kafka_servers() is None


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@127.0.0.1:5432/db")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9093")
    monkeypatch.setenv("RELAY_BATCH_SIZE", "250")
    monkeypatch.setenv("SERVICE_TYPE", "message-relay")
    settings = load_settings()
    assert settings.resolved_database_url() == "postgresql://u:p@127.0.0.1:5432/db"
    assert settings.resolved_kafka_servers() == "127.0.0.1:9093"
    assert settings.relay_batch_size == 250
    assert settings.service_type is ServiceType.MESSAGE_RELAY
    assert not settings.embedded_database and not settings.embedded_kafka


def test_postgres_and_kafka_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTGRES_HOST", "127.0.0.1")
    monkeypatch.setenv("POSTGRES_PASSWORD", "p@ss/word")
    monkeypatch.setenv("KAFKA_HOST", "localhost")
    monkeypatch.setenv("KAFKA_PORT", "19092")
    settings = load_settings()
    assert settings.resolved_database_url() == (
        "postgresql://postgres:p%40ss%2Fword@127.0.0.1:5432/infinite_scribe"
    )
    assert settings.resolved_kafka_servers() == "localhost:19092"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("RELAY_BATCH_SIZE", "0"),
        ("RELAY_BATCH_SIZE", "lots"),
        ("RELAY_POLL_INTERVAL", "-1"),
        ("SERVICE_TYPE", "dishwasher"),
        ("KAFKA_PORT", "70000"),
        ("DATABASE_URL", "mysql://127.0.0.1/db"),
        ("KAFKA_TOPIC", "bad topic!"),
    ],
)
def test_invalid_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError, match=variable):
        load_settings()


def test_default_secret_refused_outside_embedded_mode() -> None:
    settings = Settings(database_url="postgresql://127.0.0.1/db")
    assert settings.jwt_secret_key.get_secret_value() == DEV_JWT_SECRET
    with pytest.raises(ConfigurationError, match="JWT_SECRET_KEY"):
        settings.check_serving_secret()
    short = Settings(database_url="postgresql://127.0.0.1/db", jwt_secret_key="short")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="JWT_SECRET_KEY"):
        short.check_serving_secret()
    strong = Settings(database_url="postgresql://127.0.0.1/db", jwt_secret_key="x" * 40)  # type: ignore[arg-type]
    strong.check_serving_secret()
    Settings().check_serving_secret()  # embedded: the development secret is fine
