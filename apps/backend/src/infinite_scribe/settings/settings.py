"""One Settings class read from the environment; built in entry points and passed down.

Its fields are declared, each with its description, in one group per component (GROUPS, in the
order the README's table shows them); `scribe settings` prints that table.
"""

import os
from typing import Any, Self

from pydantic import PrivateAttr, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from infinite_scribe.settings.agents import (
    AgentSettings,
    FlowSettings,
    LlmSettings,
    WorkerRuntimeSettings,
)
from infinite_scribe.settings.api import (
    DEV_JWT_SECRET,
    MIN_PRODUCTION_SECRET_LENGTH,
    ApiSettings,
    AuthSettings,
)
from infinite_scribe.settings.broker import KafkaSettings
from infinite_scribe.settings.database import DatabaseSettings
from infinite_scribe.settings.idempotency import IdempotencySettings
from infinite_scribe.settings.kafka import KafkaOptionError, options_from_variables
from infinite_scribe.settings.limits import HttpLimitSettings
from infinite_scribe.settings.operations import (
    ObservabilitySettings,
    ProcessSettings,
    ServiceType,
    TrashSettings,
)
from infinite_scribe.settings.relay import RelaySettings
from infinite_scribe.settings.stream import StreamSettings

__all__ = ["DEV_JWT_SECRET", "ConfigurationError", "ServiceType", "Settings", "load_settings"]


class ConfigurationError(RuntimeError):
    """Raised when the environment holds an invalid value; the message names the variable."""


class Settings(
    DatabaseSettings,
    KafkaSettings,
    ApiSettings,
    AuthSettings,
    HttpLimitSettings,
    IdempotencySettings,
    StreamSettings,
    RelaySettings,
    WorkerRuntimeSettings,
    AgentSettings,
    LlmSettings,
    FlowSettings,
    TrashSettings,
    ProcessSettings,
    ObservabilitySettings,
    BaseSettings,
):
    # `.env` in the working directory (or SCRIBE_ENV_FILE, see load_settings) fills what the
    # environment does not set: explicit variables always win over the file.
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    #: The database URL of the embedded PostgreSQL of a running `scribe up`, when these settings
    #: point at it (services_file.py); never read from the environment, so it cannot be forged.
    _embedded_database_url: str | None = PrivateAttr(default=None)

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

    def mark_embedded_database_of_up(self, url: str) -> None:
        """Called by services_file with the URL a live `scribe up` records as embedded."""
        self._embedded_database_url = url

    @property
    def uses_embedded_database_of_up(self) -> bool:
        url = self._embedded_database_url
        return url is not None and url == self.resolved_database_url()


#: The settings of each component, in the order the README's table lists them: the groups
#: `Settings` is composed of, read from its bases so the two lists cannot drift apart.
GROUPS: tuple[type[BaseSettings], ...] = tuple(
    base for base in Settings.__bases__ if base is not BaseSettings
)


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
