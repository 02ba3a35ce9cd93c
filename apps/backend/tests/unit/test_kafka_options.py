"""librdkafka options from KAFKA_* variables, KAFKA_CONFIG_FILE and .env: the built config."""

import ctypes
import glob
import os
import tempfile
from pathlib import Path

import confluent_kafka
import pytest

from infinite_scribe.settings.kafka import (
    KAFKA_LOGGER,
    LIBRDKAFKA_PROPERTIES,
    KafkaConnection,
    client_config,
)
from infinite_scribe.settings.settings import ConfigurationError, load_settings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No KAFKA_* variable and no .env of the developer leaks into these tests."""
    for name in list(os.environ):
        if name.upper().startswith(("KAFKA_", "SCRIBE_ENV_FILE")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_kafka_variables_become_librdkafka_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "scribe")
    monkeypatch.setenv("kafka_ssl_ca_location", "/etc/ssl/ca.pem")
    # The project's own settings are not options.
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "b1:9093,b2:9093")
    monkeypatch.setenv("KAFKA_TOPIC", "novel-events")
    monkeypatch.setenv("KAFKA_TOPIC_PARTITIONS", "12")
    monkeypatch.setenv("KAFKA_TOPIC_REPLICATION_FACTOR", "3")
    settings = load_settings()
    assert settings.kafka_client_options == {
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "scribe",
        "ssl.ca.location": "/etc/ssl/ca.pem",
    }
    assert (settings.kafka_topic, settings.kafka_topic_partitions) == ("novel-events", 12)
    assert settings.kafka_topic_replication_factor == 3
    assert settings.kafka_connection() == KafkaConnection(
        "b1:9093,b2:9093", settings.kafka_client_options
    )


@pytest.mark.parametrize(
    ("variable", "needle"),
    [
        ("KAFKA_SECURITY_PROTCOL", "KAFKA_SECURITY_PROTCOL: 'security.protcol' is not"),
        ("KAFKA_GROUP_ID", "use WORKER_CONSUMER_GROUP"),
        ("KAFKA_ACKS", "acks=all"),
        ("KAFKA_MESSAGE_TIMEOUT_MS", "use RELAY_MESSAGE_TIMEOUT_MS"),
        ("KAFKA_ENABLE_AUTO_COMMIT", "stored after the handler's commit"),
    ],
)
def test_unknown_or_owned_options_are_refused_at_start(
    monkeypatch: pytest.MonkeyPatch, variable: str, needle: str
) -> None:
    monkeypatch.setenv(variable, "1")
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    assert needle in str(caught.value)


def test_options_given_whole_are_checked_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_CLIENT_OPTIONS", '{"group.id": "sneaky"}')
    with pytest.raises(ConfigurationError, match="use WORKER_CONSUMER_GROUP"):
        load_settings()
    monkeypatch.setenv("KAFKA_CLIENT_OPTIONS", '{"client.id": "ok"}')
    assert load_settings().kafka_client_options == {"client.id": "ok"}


def test_replication_factor_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_TOPIC_REPLICATION_FACTOR", "0")
    with pytest.raises(ConfigurationError, match="KAFKA_TOPIC_REPLICATION_FACTOR"):
        load_settings()
    monkeypatch.setenv("KAFKA_TOPIC_REPLICATION_FACTOR", "-1")  # the broker's default
    assert load_settings().kafka_topic_replication_factor == -1


def _properties(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "client.properties"
    path.write_text(text)
    return path


def test_config_file_gives_options_and_servers_variables_win(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = _properties(
        tmp_path,
        "# Confluent Cloud style\n"
        "bootstrap.servers=pkc-1.example:9092\n"
        "security.protocol=SASL_SSL\n"
        "sasl.mechanisms : PLAIN\n"
        "! another comment\n\n"
        "sasl.username=KEY\n"
        "sasl.password=se=cret:1\n",
    )
    monkeypatch.setenv("KAFKA_CONFIG_FILE", str(path))
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "from-env")
    settings = load_settings()
    assert settings.resolved_kafka_servers() == "pkc-1.example:9092"
    assert not settings.embedded_kafka
    assert settings.kafka_client_options == {
        "security.protocol": "SASL_SSL",
        "sasl.mechanisms": "PLAIN",
        "sasl.username": "from-env",
        "sasl.password": "se=cret:1",
    }
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "explicit:9092")
    assert load_settings().resolved_kafka_servers() == "explicit:9092"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("securityprotocol SSL\n", ":1: expected name=value"),
        ("linger.ms=5\nsasl.jaas.config=x\n", ":2: 'sasl.jaas.config' is not a librdkafka"),
        ("group.id=mine\n", "use WORKER_CONSUMER_GROUP"),
    ],
)
def test_bad_config_file_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str, needle: str
) -> None:
    monkeypatch.setenv("KAFKA_CONFIG_FILE", str(_properties(tmp_path, text)))
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    assert "KAFKA_CONFIG_FILE" in str(caught.value) and needle in str(caught.value)


def test_missing_config_file_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KAFKA_CONFIG_FILE", str(tmp_path / "absent.properties"))
    with pytest.raises(ConfigurationError, match="KAFKA_CONFIG_FILE: cannot read"):
        load_settings()


def test_dot_env_fills_what_the_environment_does_not_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text(
        "RELAY_BATCH_SIZE=7\nWORKER_MAX_IN_FLIGHT=9\nKAFKA_CLIENT_ID=from-dotenv\nKAFKA_LINGER_MS=5\n"
    )
    monkeypatch.setenv("WORKER_MAX_IN_FLIGHT", "11")
    monkeypatch.setenv("KAFKA_LINGER_MS", "20")
    settings = load_settings()
    assert (settings.relay_batch_size, settings.worker_max_in_flight) == (7, 11)
    assert settings.kafka_client_options == {"client.id": "from-dotenv", "linger.ms": "20"}


def test_scribe_env_file_names_another_file_or_none(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("RELAY_BATCH_SIZE=7\n")
    other = tmp_path / "prod.env"
    other.write_text("RELAY_BATCH_SIZE=8\nKAFKA_BOGUS_THING=1\n")
    monkeypatch.setenv("SCRIBE_ENV_FILE", str(other))
    with pytest.raises(ConfigurationError, match="KAFKA_BOGUS_THING"):
        load_settings()  # options in a .env file are checked like variables
    other.write_text("RELAY_BATCH_SIZE=8\n")
    assert load_settings().relay_batch_size == 8
    monkeypatch.setenv("SCRIBE_ENV_FILE", "")
    assert load_settings().relay_batch_size == 500


def test_client_config_layers_defaults_options_and_owned() -> None:
    connection = KafkaConnection("b:9092", {"linger.ms": "50", "client.id": "scribe"})
    config = client_config(
        connection, defaults={"linger.ms": 2, "socket.timeout.ms": 2000}, owned={"acks": "all"}
    )
    assert config == {
        "bootstrap.servers": "b:9092",
        "linger.ms": "50",
        "socket.timeout.ms": 2000,
        "client.id": "scribe",
        "acks": "all",
        "logger": KAFKA_LOGGER,  # librdkafka's lines join the process's one log format
    }
    assert client_config("plain:9092") == {
        "bootstrap.servers": "plain:9092",
        "logger": KAFKA_LOGGER,
    }


def _installed_librdkafka_properties() -> set[str]:
    """The properties the bundled librdkafka prints (rd_kafka_conf_properties_show)."""
    libs = Path(confluent_kafka.__file__).parent.parent / "confluent_kafka.libs"
    found = glob.glob(str(libs / "librdkafka*.so*"))
    if not found:
        pytest.skip("no bundled librdkafka to compare with")
    library, libc = ctypes.CDLL(found[0]), ctypes.CDLL("libc.so.6")
    libc.fopen.restype = ctypes.c_void_p
    libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    libc.fclose.argtypes = [ctypes.c_void_p]
    library.rd_kafka_conf_properties_show.argtypes = [ctypes.c_void_p]
    with tempfile.NamedTemporaryFile("r") as out:
        stream = libc.fopen(out.name.encode(), b"w")
        library.rd_kafka_conf_properties_show(stream)
        libc.fclose(stream)
        lines = out.read().splitlines()
    names = set()
    for line in lines:
        name = line.split("|")[0].strip()
        if "|" in line and "." in name and "_" not in name and "dedicated API" not in line:
            names.add(name)
    return names


def test_allow_list_matches_the_librdkafka_in_use() -> None:
    installed = _installed_librdkafka_properties()
    dotted = {name for name in LIBRDKAFKA_PROPERTIES if "." in name}
    assert dotted == installed
