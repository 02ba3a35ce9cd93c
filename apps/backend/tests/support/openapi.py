"""The API's OpenAPI document, built once per test process (about 0.3 s a build): the tests
that read it share it (they only read)."""

from functools import cache
from typing import Any

from infinite_scribe.api.app import create_app
from infinite_scribe.settings.settings import Settings


@cache
def api_document() -> dict[str, Any]:
    settings = Settings(
        database_url="postgresql://scribe@127.0.0.1:5432/scribe",
        jwt_secret_key="x" * 48,  # type: ignore[arg-type]
    )
    return create_app(settings).openapi()
