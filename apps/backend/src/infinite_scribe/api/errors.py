"""Every exception -> HTTP mapping lives here; every error body has `error_code` and `message`."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from infinite_scribe.domain.errors import (
    AuthenticationError,
    ConcurrencyConflict,
    DuplicateCommand,
    EventTooLarge,
    FlowHandleConflict,
    InvalidChapter,
    InvalidEventName,
    InvalidPayload,
    InvalidState,
    InvalidVersion,
    NotFound,
    RendersBusy,
    ScribeError,
    StageTooLarge,
    StorageUnavailable,
    TooManyRenders,
    UnknownCommand,
)
from infinite_scribe.persistence.errors import translate

logger = logging.getLogger(__name__)

STATUS_BY_ERROR: dict[type[ScribeError], int] = {
    NotFound: 404,
    InvalidState: 409,
    DuplicateCommand: 409,
    FlowHandleConflict: 409,
    ConcurrencyConflict: 409,
    UnknownCommand: 422,
    InvalidPayload: 422,
    InvalidEventName: 422,
    AuthenticationError: 401,
    StorageUnavailable: 503,
    EventTooLarge: 413,
    StageTooLarge: 413,
    TooManyRenders: 429,
    RendersBusy: 503,
    InvalidVersion: 422,
    InvalidChapter: 422,
}

_HTTP_ERROR_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR",
    431: "HEADERS_TOO_LARGE",
}


def error_body(error_code: str, message: str, **extra: object) -> dict[str, object]:
    return {"error_code": error_code, "message": message, **extra}


def status_for(error: ScribeError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 400


def scribe_error_response(error: ScribeError) -> JSONResponse:
    """The answer to a domain error, wherever it is raised (a route, api/command_route.py)."""
    status = status_for(error)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    if "retry_after" in error.details:
        headers["Retry-After"] = str(error.details["retry_after"])
    return JSONResponse(
        error_body(error.error_code, error.message, **error.details),
        status_code=status,
        headers=headers or None,
    )


async def _scribe_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ScribeError)
    return scribe_error_response(exc)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "loc": list(item.get("loc", ())),
            "msg": str(item.get("msg", "")),
            "type": item.get("type"),
        }
        for item in exc.errors()
    ]
    if _body_is_not_json(request, errors):
        # FastAPI parses a body of another media type (curl -d sends a form) as raw bytes and
        # reports a type mismatch; the real problem is the media type, so say that.
        message = "The request body must be JSON (send Content-Type: application/json)"
        return JSONResponse(error_body("UNSUPPORTED_MEDIA_TYPE", message), status_code=415)
    malformed = any(item["type"] == "json_invalid" for item in errors)
    code, message = (
        ("MALFORMED_JSON", "Request body is not valid JSON")
        if malformed
        else ("VALIDATION_ERROR", "Request validation failed")
    )
    return JSONResponse(error_body(code, message, errors=errors), status_code=422)


def _body_is_not_json(request: Request, errors: list[dict[str, object]]) -> bool:
    content_type = request.headers.get("content-type")
    if content_type is None or not any(_in_body(item["loc"]) for item in errors):
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media != "application/json" and not media.endswith("+json")


def _in_body(loc: object) -> bool:
    return isinstance(loc, list) and bool(loc) and loc[0] == "body"


def http_error_code(status: int) -> str:
    """The error code of a framework HTTP error (no route, wrong method...)."""
    return _HTTP_ERROR_CODES.get(status, "HTTP_ERROR")


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = http_error_code(exc.status_code)
    return JSONResponse(
        error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    translated = translate(exc)
    if isinstance(translated, ScribeError):
        # A driver error that no adapter translated (a pool's acquire, a release): still the
        # database failing, a 503 like every other (issue 28, A5), never a 500.
        return scribe_error_response(translated)
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse(error_body("INTERNAL_ERROR", "Internal server error"), status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ScribeError, _scribe_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
