"""The API's limits on hostile input (issues 9 and 21; docs/hostile-input.md): every request
bounded before any work, what all requests together may hold, how long one may wait for its
answer, how big an event may be. Mixed into `Settings` (settings.py)."""

from typing import Annotated, ClassVar, Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings

from infinite_scribe.settings.fields import seconds

MIB = 1024 * 1024


class HttpLimitSettings(BaseSettings):
    section: ClassVar[str] = "Request limits ([docs/hostile-input.md](docs/hostile-input.md))"

    http_max_body_bytes: Annotated[
        int,
        Field(
            ge=1024,
            le=64 * MIB,
            description="A request body (chunked or not, keyed or not) past this size is cut "
            "off with 413 `PAYLOAD_TOO_LARGE`.",
        ),
    ] = 1024 * 1024
    http_max_header_bytes: Annotated[
        int,
        Field(
            ge=1024,
            le=1024 * 1024,
            description="The request line plus all headers, in bytes: 431 "
            "`HEADERS_TOO_LARGE` past it, connection closed.",
        ),
    ] = 32 * 1024
    http_max_headers: Annotated[
        int,
        Field(ge=8, le=1000, description="Headers per request: 431 `TOO_MANY_HEADERS` past it."),
    ] = 100
    http_read_timeout_seconds: Annotated[
        float,
        seconds(
            "A request whose head or body stalls this long is answered 408 "
            "`REQUEST_TIMEOUT` (slowloris)."
        ),
    ] = 30.0
    http_body_budget_bytes: Annotated[
        int,
        Field(
            ge=64 * 1024,
            le=64 * 1024 * MIB,
            description="Bytes of request bodies all requests in progress may hold together; "
            "a body that would pass it is a 503 `SERVER_BUSY` with `Retry-After` (before it is "
            "read when it declares its length). At least `HTTP_MAX_BODY_BYTES`.",
        ),
    ] = 64 * MIB
    api_request_timeout_seconds: Annotated[
        float,
        seconds(
            "A request with no answer begun after this long (a frozen database, a "
            "pool with no free connection) is answered 503 `DEADLINE_EXCEEDED`; a live stream, "
            "once open, is not."
        ),
    ] = 15.0
    event_max_bytes: Annotated[
        int,
        Field(
            ge=1024,
            le=100_000_000,
            description="An event envelope (value and CloudEvents headers, as the relay "
            "produces it) bigger than this is a 413 `EVENT_TOO_LARGE`, nothing written; must "
            "stay below `RELAY_MAX_MESSAGE_BYTES` (checked at start-up).",
        ),
    ] = 900_000

    @model_validator(mode="after")
    def _budget_holds_a_body(self) -> Self:
        if self.http_body_budget_bytes < self.http_max_body_bytes:
            raise ValueError(
                "HTTP_BODY_BUDGET_BYTES must be at least HTTP_MAX_BODY_BYTES: a largest body "
                "would never fit"
            )
        return self
