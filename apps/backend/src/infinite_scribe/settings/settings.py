"""One Settings class read from the environment; built in entry points and passed down."""

import json
import os
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, Self
from urllib.parse import quote

from pydantic import (
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from infinite_scribe.settings.agents import AgentSettings
from infinite_scribe.settings.kafka import (
    KafkaConnection,
    KafkaOptionError,
    check_property,
    options_from_variables,
    read_properties_file,
)
from infinite_scribe.settings.limits import ServingLimits

#: The development secret: fine on a laptop with embedded services, refused anywhere else.
DEV_JWT_SECRET = "dev-insecure-jwt-secret-change-me"
MIN_PRODUCTION_SECRET_LENGTH = 32


class ServiceType(StrEnum):
    API = "api"
    MESSAGE_RELAY = "message-relay"
    AGENT_WORKER = "agent-worker"
    ALL = "all"


class ConfigurationError(RuntimeError):
    """Raised when the environment holds an invalid value; the message names the variable."""


class Settings(AgentSettings, ServingLimits, BaseSettings):
    # `.env` in the working directory (or SCRIBE_ENV_FILE, see load_settings) fills what the
    # environment does not set: explicit variables always win over the file.
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    database_url: str | None = None
    postgres_host: str | None = None
    postgres_port: Annotated[int, Field(ge=1, le=65535)] = 5432
    postgres_db: str = "infinite_scribe"
    postgres_user: str = "postgres"
    postgres_password: SecretStr = SecretStr("")

    kafka_bootstrap_servers: str | None = None
    kafka_host: str | None = None
    kafka_port: Annotated[int, Field(ge=1, le=65535)] = 9092
    kafka_topic: Annotated[
        str, Field(min_length=1, max_length=249, pattern=r"^[A-Za-z0-9._-]+$")
    ] = "domain-events"
    kafka_topic_partitions: Annotated[int, Field(ge=1, le=1024)] = 6

    jwt_secret_key: SecretStr = SecretStr(DEV_JWT_SECRET)
    jwt_algorithm: Annotated[str, Field(pattern=r"^(HS256|RS256)$")] = "HS256"
    jwt_public_key: str | None = None

    relay_poll_interval: Annotated[float, Field(gt=0, le=3600)] = 5.0
    relay_batch_size: Annotated[int, Field(ge=1, le=10_000)] = 500
    # Relay tuning (issue 4); see docs/relay.md.
    relay_lease_seconds: Annotated[float, Field(gt=0, le=3600)] = 30.0
    relay_retry_backoff: Annotated[str, Field(pattern=r"^\d+(\.\d+)?(,\d+(\.\d+)?)*$")] = "1,2,4"
    relay_max_in_flight_batches: Annotated[int, Field(ge=1, le=64)] = 4
    # Rows of one key in flight at once (issue 26): its partition keeps them in order.
    relay_max_per_key: Annotated[int, Field(ge=1, le=1000)] = 8
    # A relay silent for this long loses its share of the keys to the others (issue 26).
    relay_member_ttl_seconds: Annotated[float, Field(ge=1, le=3600)] = 10.0
    relay_message_timeout_ms: Annotated[int, Field(ge=1000, le=900_000)] = 10_000
    relay_max_message_bytes: Annotated[int, Field(ge=1000, le=100_000_000)] = 1_000_000
    relay_metrics_host: str = "127.0.0.1"
    relay_metrics_port: Annotated[int, Field(ge=0, le=65535)] = 9108
    relay_health_max_pending_age: Annotated[float, Field(gt=0)] = 60.0

    idempotency_backend: Literal["postgres", "redis"] = "postgres"
    redis_url: Annotated[str | None, Field(pattern=r"^(redis|rediss|unix)://")] = None
    idempotency_ttl_seconds: Annotated[int, Field(ge=1, le=30 * 86400)] = 86400
    idempotency_lease_seconds: Annotated[float, Field(gt=0, le=3600)] = 60.0
    idempotency_auto_ttl_seconds: Annotated[int, Field(ge=1, le=86400)] = 60
    idempotency_max_body_bytes: Annotated[int, Field(ge=1, le=64 * 1024 * 1024)] = 1024 * 1024
    #: Routes that get a server-side `auto:` key when the client sends none, as
    #: "METHOD /path/{param}" patterns (JSON list in the environment).
    idempotency_auto_key_routes: list[Annotated[str, Field(pattern=r"^(POST|PUT|PATCH) /\S*$")]] = (
        Field(default_factory=list)
    )

    service_type: ServiceType = ServiceType.API
    scribe_data_dir: Path = Path(".data")
    log_level: Annotated[str, Field(pattern=r"^(?i)(DEBUG|INFO|WARNING|ERROR|CRITICAL)$")] = "INFO"

    # Worker runtime (issue 8), shared by every long-running worker (runtime/worker.py).
    #: After SIGTERM/SIGINT, how long a worker may finish in-flight work before it is cut off.
    worker_shutdown_grace_seconds: Annotated[float, Field(ge=0, le=300)] = 5.0
    #: The agent worker's /health and /metrics (the relay keeps RELAY_METRICS_*); 0: any port.
    worker_metrics_host: str = "127.0.0.1"
    worker_metrics_port: Annotated[int, Field(ge=0, le=65535)] = 9109

    @field_validator("database_url")
    @classmethod
    def _postgres_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a postgresql:// URL")
        return value

    @property
    def embedded_database(self) -> bool:
        """True when no database is configured, so `scribe up` starts an embedded one."""
        return self.database_url is None and self.postgres_host is None

    @property
    def embedded_kafka(self) -> bool:
        return self.kafka_bootstrap_servers is None and self.kafka_host is None

    def resolved_database_url(self) -> str | None:
        """The configured database URL (DATABASE_URL wins over the POSTGRES_* set)."""
        if self.database_url:
            return self.database_url
        if self.postgres_host:
            password = quote(self.postgres_password.get_secret_value(), safe="")
            user = quote(self.postgres_user, safe="")
            return (
                f"postgresql://{user}:{password}@{self.postgres_host}:{self.postgres_port}"
                f"/{self.postgres_db}"
            )
        return None

    def resolved_kafka_servers(self) -> str | None:
        if self.kafka_bootstrap_servers:
            return self.kafka_bootstrap_servers
        if self.kafka_host:
            return f"{self.kafka_host}:{self.kafka_port}"
        return None

    def check_serving_secret(self) -> None:
        """Refuse to serve with the development JWT secret unless the database is the embedded
        one (the check looks at the database only: an external broker with an embedded
        database is still a laptop)."""
        secret = self.jwt_secret_key.get_secret_value()
        if self.embedded_database or self.uses_embedded_database_of_up:
            return
        if secret == DEV_JWT_SECRET or len(secret) < MIN_PRODUCTION_SECRET_LENGTH:
            raise ConfigurationError(
                "JWT_SECRET_KEY: set a secret of at least "
                f"{MIN_PRODUCTION_SECRET_LENGTH} characters when DATABASE_URL points at a "
                "real database (the development default is only for embedded runs)"
            )

    # Pause and resume of flows (issue 11; docs/flows.md). A paused flow waits this long for the
    # writer before the agent worker's sweeper expires its handle; the sweeper runs every
    # FLOW_SWEEP_INTERVAL_SECONDS and lands pauses left PENDING_PAUSE that long by a dead worker.
    flow_handle_ttl_seconds: Annotated[float, Field(gt=0, le=90 * 86400)] = 7 * 86400.0
    flow_sweep_interval_seconds: Annotated[float, Field(gt=0, le=3600)] = 30.0
    flow_settle_after_seconds: Annotated[float, Field(gt=0, le=86400)] = 60.0

    # Trash (issue 11; docs/trash.md): a session trashed longer than TRASH_RETENTION_DAYS is
    # purged by the sweeper (`scribe trash purge-expired`; every TRASH_SWEEP_INTERVAL seconds
    # inside `scribe up`).
    trash_retention_days: Annotated[float, Field(gt=0, le=36500)] = 30.0
    trash_sweep_interval: Annotated[float, Field(gt=0, le=7 * 86400)] = 3600.0
    # Browsers (issue 12, API surface): CORS for frontends on another origin; docs/command-api.md.
    #: Allowed origins ("https://app.example.com", or "*"), as a JSON list or comma-separated.
    #: Empty by default: no cross-origin access unless configured.
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    #: Also allow any http://localhost / 127.0.0.1 / [::1] origin on any port (a dev server).
    #: Unset: on for `scribe up` with the embedded database, off otherwise.
    cors_allow_localhost: bool | None = None
    #: The names the API answers to in the Host header (DNS rebinding, issue 28): "*", names,
    #: ".example.com" for a domain and its subdomains; JSON list or comma-separated. Unset:
    #: the loopback names (and API_HOST) on the embedded default, every name otherwise.
    api_allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # Observability (issue 12; docs/operations.md#monitoring). LOG_FORMAT: one JSON object per
    # line (default, for log shippers) or readable text. Tracing is off (no SDK installed)
    # unless OTEL_EXPORTER_OTLP_ENDPOINT is set; the exporter also reads the standard
    # OTEL_EXPORTER_OTLP_* variables (headers, timeout) itself.
    log_format: Literal["json", "text"] = "json"
    otel_exporter_otlp_endpoint: Annotated[str | None, Field(pattern=r"^https?://\S+$")] = None
    #: service.name of the spans (default: the process, e.g. infinite-scribe-api).
    otel_service_name: Annotated[str | None, Field(min_length=1, max_length=200)] = None
    #: Share of new traces recorded (a request's children follow their parent's decision).
    otel_traces_sample_ratio: Annotated[float, Field(ge=0, le=1)] = 1.0

    @field_validator("cors_origins", "api_allowed_hosts", mode="before")
    @classmethod
    def _origins_list(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [item.strip() for item in text.split(",") if item.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins_are_origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if origin != "*" and not re.fullmatch(r"https?://[^\s/?#]+/?", origin):
                raise ValueError(f"{origin!r} is not an origin (scheme://host[:port], no path)")
        return [origin.rstrip("/") for origin in value]

    def allowed_hosts(self) -> list[str]:
        """What TrustedHostMiddleware lets through (api/middleware/trusted_host.py)."""
        if self.api_allowed_hosts:
            return [host.lower() for host in self.api_allowed_hosts]
        if self.jwt_secret_key.get_secret_value() != DEV_JWT_SECRET:
            return ["*"]  # a deployment names its hosts; the default keeps existing ones working
        bound = [] if self.api_host in ("0.0.0.0", "::", "") else [self.api_host.strip("[]")]
        return ["localhost", "127.0.0.1", "::1", *bound]

    def allows_localhost_origins(self) -> bool:
        if self.cors_allow_localhost is not None:
            return self.cors_allow_localhost
        return self.embedded_database

    # Live event stream (issue 11 SSE; docs/streaming.md). Keep-alive comment interval, the
    # `retry:` hint, ticket lifetime, the fallback poll when no NOTIFY arrives, the bounded
    # per-client queue (overflow -> the client re-reads from the database), and how long an
    # id gap held by an unfinished transaction may stall the stream before it is skipped.
    stream_keepalive_seconds: Annotated[float, Field(gt=0, le=300)] = 15.0
    stream_retry_ms: Annotated[int, Field(ge=0, le=600_000)] = 3000
    stream_ticket_ttl_seconds: Annotated[int, Field(ge=1, le=3600)] = 60
    stream_poll_interval: Annotated[float, Field(gt=0, le=60)] = 1.0
    stream_queue_size: Annotated[int, Field(ge=1, le=100_000)] = 256
    stream_gap_timeout_seconds: Annotated[float, Field(gt=0, le=3600)] = 60.0
    # API server processes (issue 13, docs/decisions/1002-api-workers.md): `scribe api` runs this
    # many uvicorn worker processes on one port (1: a single process, no supervisor).
    api_workers: Annotated[int, Field(ge=1, le=64)] = 1

    @model_validator(mode="after")
    def _openai_needs_url_and_model(self) -> Self:
        if self.llm_provider == "openai" and (self.llm_base_url is None or not self.llm_model):
            raise ValueError("LLM_BASE_URL and LLM_MODEL are required when LLM_PROVIDER=openai")
        return self

    # Hostile input (issue 9): every request bounded before any work; see docs/hostile-input.md.
    #: Request bodies (chunked or not, keyed or not) are cut off with a 413 past this size.
    http_max_body_bytes: Annotated[int, Field(ge=1024, le=64 * 1024 * 1024)] = 1024 * 1024
    #: The request line plus all headers, in bytes (431 past it), and the number of headers.
    http_max_header_bytes: Annotated[int, Field(ge=1024, le=1024 * 1024)] = 32 * 1024
    http_max_headers: Annotated[int, Field(ge=8, le=1000)] = 100
    #: A request whose head or body stalls this long is answered 408 (slowloris).
    http_read_timeout_seconds: Annotated[float, Field(gt=0, le=3600)] = 30.0
    #: An event envelope (value + CloudEvents headers, as the relay produces it) must fit this.
    event_max_bytes: Annotated[int, Field(ge=1024, le=100_000_000)] = 900_000
    #: The broker's message.max.bytes (Kafka's default); the producer's limit must not exceed it.
    kafka_broker_max_message_bytes: Annotated[int, Field(ge=1024, le=100_000_000)] = 1_048_588
    #: The relay asks the broker for metadata this often, with this timeout, for its /health.
    relay_broker_probe_interval_seconds: Annotated[float, Field(gt=0, le=300)] = 1.0
    relay_broker_probe_timeout_seconds: Annotated[float, Field(gt=0, le=60)] = 1.5

    @model_validator(mode="after")
    def _message_limits_agree(self) -> Self:
        # An event accepted by the API must be publishable: EVENT_MAX_BYTES < the producer's
        # RELAY_MAX_MESSAGE_BYTES <= the broker's KAFKA_BROKER_MAX_MESSAGE_BYTES.
        if not self.event_max_bytes < self.relay_max_message_bytes:
            raise ValueError("EVENT_MAX_BYTES must be below RELAY_MAX_MESSAGE_BYTES")
        if self.relay_max_message_bytes > self.kafka_broker_max_message_bytes:
            raise ValueError(
                "RELAY_MAX_MESSAGE_BYTES must not exceed KAFKA_BROKER_MAX_MESSAGE_BYTES"
            )
        return self

    # CLI and real clusters (issue 12; docs/deploy.md, settings/kafka.py). Every KAFKA_<NAME>
    # variable that is not a field here is a librdkafka option (KAFKA_SECURITY_PROTOCOL ->
    # security.protocol), gathered into kafka_client_options; KAFKA_CONFIG_FILE adds more.
    kafka_config_file: Path | None = None
    #: Replicas of the topics the project creates (main topic, DLQ); -1: the broker's default.
    kafka_topic_replication_factor: Annotated[int, Field(ge=-1, le=32)] = 1
    kafka_client_options: dict[str, str] = Field(default_factory=dict)
    #: The database URL of the embedded PostgreSQL of a running `scribe up`, when these settings
    #: point at it (services_file.py); never read from the environment, so it cannot be forged.
    _embedded_database_url: str | None = PrivateAttr(default=None)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        kafka = _KafkaOptionsSource(settings_cls, env_settings, dotenv_settings)
        return init_settings, env_settings, dotenv_settings, file_secret_settings, kafka

    @field_validator("kafka_client_options")
    @classmethod
    def _known_options(cls, value: dict[str, str]) -> dict[str, str]:
        # Also when given whole (KAFKA_CLIENT_OPTIONS as JSON, or in code).
        for name in value:
            check_property(name, "KAFKA_CLIENT_OPTIONS")
        return value

    @field_validator("kafka_topic_replication_factor")
    @classmethod
    def _replicas(cls, value: int) -> int:
        if value == 0:
            raise ValueError("must be at least 1, or -1 for the broker's default")
        return value

    @model_validator(mode="after")
    def _kafka_config_file(self) -> Self:
        if self.kafka_config_file is None:
            return self
        from_file = read_properties_file(self.kafka_config_file)
        servers = from_file.pop("bootstrap.servers", None)
        if servers and self.kafka_bootstrap_servers is None and self.kafka_host is None:
            self.kafka_bootstrap_servers = servers
        self.kafka_client_options = from_file | self.kafka_client_options
        return self

    def mark_embedded_database_of_up(self, url: str) -> None:
        """Called by services_file with the URL a live `scribe up` records as embedded."""
        self._embedded_database_url = url

    @property
    def uses_embedded_database_of_up(self) -> bool:
        url = self._embedded_database_url
        return url is not None and url == self.resolved_database_url()

    def kafka_connection(self) -> KafkaConnection | None:
        """What every Kafka client is built from (kafka_options.client_config)."""
        servers = self.resolved_kafka_servers()
        if servers is None:
            return None
        return KafkaConnection(servers, dict(self.kafka_client_options))

    # Side by side (issue 21, docs/operations.md): the API's address (`make run PORT=8001`), the
    # embedded broker's port (0: a free one), the cluster id every component demands of its broker.
    api_host: str = "127.0.0.1"
    api_port: Annotated[int, Field(ge=1, le=65535)] = 8000
    embedded_kafka_port: Annotated[int, Field(ge=0, le=65535)] = 0
    kafka_cluster_id: Annotated[str | None, Field(min_length=1, max_length=200)] = None
    #: A line repeated within this many seconds is written once, then with a count (0: all).
    log_repeat_interval_seconds: Annotated[float, Field(ge=0, le=3600)] = 10.0


class _KafkaOptionsSource(PydanticBaseSettingsSource):
    """The KAFKA_* variables (environment, then the .env file) that are librdkafka options."""

    def __init__(
        self,
        settings_cls: type[BaseSettings],
        env: PydanticBaseSettingsSource,
        dotenv: PydanticBaseSettingsSource,
    ) -> None:
        super().__init__(settings_cls)
        self.sources = [source for source in (dotenv, env) if isinstance(source, EnvSettingsSource)]

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ returns the whole value

    def __call__(self) -> dict[str, Any]:
        variables: dict[str, str | None] = {}
        for source in self.sources:  # the environment last: it wins over the file
            variables.update(source.env_vars)
        fields = {name for name in self.settings_cls.model_fields if name.startswith("kafka_")}
        try:
            options = options_from_variables(variables, fields)
        except KafkaOptionError as error:
            raise ConfigurationError(str(error)) from error
        return {"kafka_client_options": options} if options else {}


def load_settings(**overrides: object) -> Settings:
    """Read the environment (and `.env`, or the file SCRIBE_ENV_FILE names; empty: none); turn
    pydantic's error into one naming the environment variables."""
    env_file = os.environ.get("SCRIBE_ENV_FILE", ".env") or None
    try:
        return Settings(_env_file=env_file, **overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        problems = []
        for item in error.errors():
            variable = "_".join(str(part) for part in item["loc"]).upper() or "configuration"
            problems.append(f"{variable}: {item['msg']}")
        raise ConfigurationError("invalid configuration: " + "; ".join(problems)) from error
