"""The API's admission limits (issue 21; docs/hostile-input.md, docs/operations.md): what all
requests together may hold, how long one may wait for the database, how many live streams may
be open, and where the API's metrics are served. Mixed into `Settings` (config.py)."""

from typing import Annotated, Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings

MIB = 1024 * 1024


class ServingLimits(BaseSettings):
    #: Bytes of request bodies all requests in progress may hold together; a body that would
    #: pass it is a 503 with Retry-After (before it is read when it declares its length).
    http_body_budget_bytes: Annotated[int, Field(ge=64 * 1024, le=64 * 1024 * MIB)] = 64 * MIB
    #: A request that has not begun its answer after this long (a frozen database, a pool with
    #: no free connection) is answered 503 REQUEST_TIMEOUT; a live stream, once open, is not.
    api_request_timeout_seconds: Annotated[float, Field(gt=0, le=3600)] = 15.0

    #: Live streams (SSE) one user may hold open at once, and the whole process.
    stream_max_per_user: Annotated[int, Field(ge=1, le=100_000)] = 16
    stream_max_total: Annotated[int, Field(ge=1, le=1_000_000)] = 4096
    #: File descriptors kept free for everything else: streams are refused below
    #: RLIMIT_NOFILE minus this, whatever STREAM_MAX_TOTAL says.
    stream_fd_reserve: Annotated[int, Field(ge=16, le=1_000_000)] = 512
    #: Stream tickets one user may mint per minute.
    stream_tickets_per_minute: Annotated[int, Field(ge=1, le=100_000)] = 120

    #: The API's /metrics listener (like RELAY_METRICS_* and WORKER_METRICS_*); 0: any free
    #: port. Not on the API's own port, which the public reaches.
    api_metrics_host: str = "127.0.0.1"
    api_metrics_port: Annotated[int, Field(ge=0, le=65535)] = 9110

    @model_validator(mode="after")
    def _budget_holds_a_body(self) -> Self:
        largest = getattr(self, "http_max_body_bytes", 0)  # Settings' own field
        if self.http_body_budget_bytes < largest:
            raise ValueError(
                "HTTP_BODY_BUDGET_BYTES must be at least HTTP_MAX_BODY_BYTES: a largest body "
                "would never fit"
            )
        return self
