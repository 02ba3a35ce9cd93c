"""One Settings class read from the environment; built in entry points and passed down."""

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal, Self
from urllib.parse import quote

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

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
    relay_batch_size: Annotated[int, Field(ge=1, le=10_000)] = 100
    # Relay tuning (issue 4); see docs/relay.md.
    relay_lease_seconds: Annotated[float, Field(gt=0, le=3600)] = 30.0
    relay_retry_backoff: Annotated[str, Field(pattern=r"^\d+(\.\d+)?(,\d+(\.\d+)?)*$")] = "1,2,4"
    relay_max_in_flight_batches: Annotated[int, Field(ge=1, le=64)] = 4
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

    # The agent worker (issue 10): consumer group, retries, re-drive; see docs/agents.md.
    worker_consumer_group: Annotated[str, Field(min_length=1, max_length=200)] = "agent-workers"
    #: Generation attempts per request (retryable provider errors) before it fails for good.
    worker_generation_attempts: Annotated[int, Field(ge=1, le=10)] = 3
    worker_retry_backoff_seconds: Annotated[float, Field(ge=0, le=60)] = 0.5
    #: An unfinished task with no activity for this long has its request re-published.
    worker_redrive_after_seconds: Annotated[float, Field(gt=0, le=86400)] = 30.0
    worker_redrive_interval_seconds: Annotated[float, Field(gt=0, le=3600)] = 10.0
    worker_session_timeout_ms: Annotated[int, Field(ge=1000, le=300_000)] = 6000
    #: Messages queued per partition before the partition is paused.
    worker_max_queued: Annotated[int, Field(ge=1, le=10_000)] = 32

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
        if self.embedded_database:
            return
        if secret == DEV_JWT_SECRET or len(secret) < MIN_PRODUCTION_SECRET_LENGTH:
            raise ConfigurationError(
                "JWT_SECRET_KEY: set a secret of at least "
                f"{MIN_PRODUCTION_SECRET_LENGTH} characters when DATABASE_URL points at a "
                "real database (the development default is only for embedded runs)"
            )

    # LLM provider of the agent worker (issue 10; docs/agents.md). `offline` needs nothing and
    # is the default; `openai` is any OpenAI-compatible server and needs a URL and a model. The
    # key may stay empty for local servers. Retries (429/5xx/timeouts) are the SDK's, per call.
    llm_provider: Literal["offline", "openai"] = "offline"
    llm_base_url: Annotated[str | None, Field(pattern=r"^https?://[^\s/?#]+(/\S*)?$")] = None
    llm_api_key: SecretStr = SecretStr("")
    llm_model: Annotated[str | None, Field(min_length=1, max_length=200)] = None
    llm_timeout_seconds: Annotated[float, Field(gt=0, le=3600)] = 60.0
    llm_max_retries: Annotated[int, Field(ge=0, le=10)] = 2

    @model_validator(mode="after")
    def _openai_needs_url_and_model(self) -> Self:
        if self.llm_provider == "openai" and (self.llm_base_url is None or not self.llm_model):
            raise ValueError("LLM_BASE_URL and LLM_MODEL are required when LLM_PROVIDER=openai")
        return self


def load_settings(**overrides: object) -> Settings:
    """Read the environment; turn pydantic's error into one naming the environment variables."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        problems = []
        for item in error.errors():
            variable = "_".join(str(part) for part in item["loc"]).upper() or "configuration"
            problems.append(f"{variable}: {item['msg']}")
        raise ConfigurationError("invalid configuration: " + "; ".join(problems)) from error
