"""The error answers any operation may give, declared once with the project's error body
(`ErrorBody`: `error_code`, `message`) and applied to every route when the router is included,
so the OpenAPI document lists every status the server can send. A route's own declaration of
a status (a more specific description or body) wins over these."""

from typing import Any

from infinite_scribe.api.schemas.genesis import ErrorBody

_COMMON: dict[int, str] = {
    400: "Malformed request: a repeated once-only header (Authorization, idempotency key) or an "
    "invalid idempotency key",
    401: "Missing or invalid bearer token",
    408: "The request was not received in time (HTTP_READ_TIMEOUT_SECONDS)",
    413: "Request body over HTTP_MAX_BODY_BYTES, a JSON body of more than 20,000 values and "
    "keys or 10,000 strings (JSON_TOO_COMPLEX), an event over EVENT_MAX_BYTES, or a stage "
    "over STAGE_MAX_BYTES",
    415: "Unsupported media type",
    422: "Invalid request (validation, not strict JSON)",
    431: "Request headers over HTTP_MAX_HEADER_BYTES or HTTP_MAX_HEADERS",
    500: "Internal server error",
    503: "A backing service (database, idempotency store) is unavailable, or the server is busy "
    "(SERVER_BUSY, Retry-After)",
}


def error_answer(description: str) -> dict[str, Any]:
    """One documented error status (`responses=`): the error body, and when it is sent."""
    return {"model": ErrorBody, "description": description}


def common_error_responses() -> dict[int | str, dict[str, Any]]:
    """`responses=` for `include_router`: each common status with the error body schema."""
    return {status: error_answer(description) for status, description in _COMMON.items()}
