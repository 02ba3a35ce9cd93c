"""Pick the idempotency store the settings ask for (PostgreSQL unless IDEMPOTENCY_BACKEND=redis)."""

import asyncpg

from infinite_scribe.application.idempotency import IdempotencyStore
from infinite_scribe.config import ConfigurationError, Settings
from infinite_scribe.persistence.idempotency_postgres import PostgresIdempotencyStore


def build_idempotency_store(settings: Settings, pool: asyncpg.Pool) -> IdempotencyStore:
    if settings.idempotency_backend == "redis":
        if not settings.redis_url:
            raise ConfigurationError("REDIS_URL: required when IDEMPOTENCY_BACKEND=redis")
        from infinite_scribe.persistence.idempotency_redis import RedisIdempotencyStore

        return RedisIdempotencyStore.from_url(settings.redis_url)
    return PostgresIdempotencyStore(pool)
