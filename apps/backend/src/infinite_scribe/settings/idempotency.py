"""The idempotency keys' settings (issue 5; docs/idempotency.md): where keys live, how long an
answer is replayed and a key held, and the routes given server-side keys. Mixed into
`Settings` (settings.py)."""

from typing import Annotated, ClassVar, Literal

from pydantic import Field
from pydantic_settings import BaseSettings

from infinite_scribe.settings.fields import seconds


class IdempotencySettings(BaseSettings):
    section: ClassVar[str] = "Idempotency keys ([docs/idempotency.md](docs/idempotency.md))"

    idempotency_backend: Annotated[
        Literal["postgres", "redis"],
        Field(description="Where idempotency keys live; `redis` needs `REDIS_URL`."),
    ] = "postgres"
    redis_url: Annotated[
        str | None,
        Field(
            pattern=r"^(redis|rediss|unix)://",
            description="The Redis of `IDEMPOTENCY_BACKEND=redis` (`redis://`, `rediss://`, "
            "`unix://`).",
        ),
    ] = None
    idempotency_ttl_seconds: Annotated[
        int,
        Field(
            ge=1,
            le=30 * 86400,
            description="How long a stored answer is replayed (a command's key lives as long "
            "as its command, decision 7204).",
        ),
    ] = 86400
    idempotency_lease_seconds: Annotated[
        float,
        seconds(
            "How long a running request holds its key; after a crash the next "
            "request with the key runs once it ends."
        ),
    ] = 60.0
    idempotency_auto_ttl_seconds: Annotated[
        int,
        Field(
            ge=1,
            le=86400,
            description="The window of server-side `auto:` keys (a repeat within it is replayed).",
        ),
    ] = 60
    idempotency_max_body_bytes: Annotated[
        int,
        Field(
            ge=1,
            le=64 * 1024 * 1024,
            description="Keyed requests with a bigger body get 413 before anything is claimed "
            "(it can only lower `HTTP_MAX_BODY_BYTES` for them).",
        ),
    ] = 1024 * 1024
    idempotency_auto_key_routes: Annotated[
        list[Annotated[str, Field(pattern=r"^(POST|PUT|PATCH) /\S*$")]],
        Field(
            description="Routes that get a server-side `auto:` key when the client sends "
            'none, as a JSON list of "METHOD /path/{param}" patterns '
            '(`["POST /api/v1/x/{id}"]`).'
        ),
    ] = Field(default_factory=list)
