"""Open the idempotency store the settings ask for (PostgreSQL unless IDEMPOTENCY_BACKEND=redis)."""

from infinite_scribe.application.ports.idempotency import IdempotencyStore
from infinite_scribe.persistence.idempotency.postgres_store import PostgresIdempotencyStore
from infinite_scribe.settings.settings import ConfigurationError, Settings


def check_idempotency_settings(settings: Settings) -> None:
    if settings.idempotency_backend == "redis" and not settings.redis_url:
        raise ConfigurationError("REDIS_URL: required when IDEMPOTENCY_BACKEND=redis")


async def open_idempotency_store(settings: Settings, database_url: str) -> IdempotencyStore:
    check_idempotency_settings(settings)
    if settings.idempotency_backend == "redis":
        from infinite_scribe.persistence.idempotency.redis_store import RedisIdempotencyStore

        assert settings.redis_url is not None
        return RedisIdempotencyStore.from_url(settings.redis_url)
    return await PostgresIdempotencyStore.open(database_url)
