"""One log format for every process (api, relay, worker, `scribe up`) and uvicorn's access log.

LOG_FORMAT=json writes one JSON object per line: timestamp (UTC, ISO 8601), level, logger,
message, the request context of `log_context` (request_id, user_id, session_id,
correlation_id) when known, trace_id/span_id inside a recorded span, and the exception's
traceback. LOG_FORMAT=text writes the same fields as a readable line, and an access line as
`METHOD path status`. LOG_FORMAT=auto (the default) is text where stderr is a terminal and JSON
elsewhere, as uvicorn does; LOG_ACCESS=auto, on a terminal, keeps the access lines of writes
and failures only (issue 77: a person reading `make run` got 387 JSON lines for one session).
Built on stdlib logging and orjson (already a dependency) - see docs/decisions/0910 and 7711.
"""

import logging
import sys
from datetime import UTC, datetime
from typing import IO, Any

import orjson
from opentelemetry import trace

from infinite_scribe.observability.log_context import current
from infinite_scribe.observability.repeats import RepeatFilter
from infinite_scribe.settings.settings import Settings

#: uvicorn's loggers: their own handlers are removed so that they write through the root one.
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
#: Loggers whose INFO lines say nothing to anyone running the service: alembic registers its
#: built-in plugins at import, a line each; httpx logs every request it sends (the OpenAI
#: client's, `scribe model pull`'s: a line through the progress bar) (issue 77).
QUIET_LOGGERS = ("alembic.runtime.plugins", "httpx")
#: uvicorn's access record args: (client_addr, method, full_path, http_version, status_code).
_ACCESS_FIELDS = ("client", "method", "path", "http_version", "status")


def context_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The structured fields of a record beyond timestamp/level/logger/message."""
    fields: dict[str, Any] = dict(current())
    span = trace.get_current_span().get_span_context()
    if span.is_valid:
        fields["trace_id"] = format(span.trace_id, "032x")
        fields["span_id"] = format(span.span_id, "016x")
    if record.name == "uvicorn.access" and isinstance(record.args, tuple):
        fields.update(zip(_ACCESS_FIELDS, record.args, strict=False))
    return fields


def _timestamp(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "timestamp": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **context_fields(record),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        return orjson.dumps(line, default=str).decode()


class TextFormatter(logging.Formatter):
    """`timestamp LEVEL logger: message key=value ...` for people reading a terminal; an access
    line is `timestamp METHOD path status`."""

    def format(self, record: logging.LogRecord) -> str:
        access = _access(record)
        if access is not None:
            method, path, status = access
            return f"{_timestamp(record)} {method} {path} {status}"
        fields = context_fields(record)
        extra = "".join(f" {name}={value}" for name, value in fields.items())
        line = f"{_timestamp(record)} {record.levelname} {record.name}: {record.getMessage()}"
        line += extra
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def _access(record: logging.LogRecord) -> tuple[str, str, int] | None:
    """An access record's method, path and status (None for any other record)."""
    if record.name != "uvicorn.access" or not isinstance(record.args, tuple):
        return None
    if len(record.args) < len(_ACCESS_FIELDS):
        return None
    _, method, path, _, status = record.args[: len(_ACCESS_FIELDS)]
    return str(method), str(path), int(str(status)) if str(status).isdigit() else 0


#: Requests that change nothing: left out of an interactive terminal's access log.
_READS = frozenset({"GET", "HEAD", "OPTIONS"})


class WritesAndFailures(logging.Filter):
    """LOG_ACCESS=auto on a terminal: the access lines of writes and of failed requests (the
    console's pages and streams read all the time; a person wants what changed and what broke)."""

    def filter(self, record: logging.LogRecord) -> bool:
        access = _access(record)
        return access is None or access[0] not in _READS or access[2] >= 400


def is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or stream-like object
        return False


def resolved_format(log_format: str, terminal: bool) -> str:
    """`json` or `text`: `auto` is text on a terminal, JSON elsewhere."""
    if log_format == "auto":
        return "text" if terminal else "json"
    return log_format


def formatter_for(log_format: str, terminal: bool = False) -> logging.Formatter:
    return JsonFormatter() if resolved_format(log_format, terminal) == "json" else TextFormatter()


def configure_logging(
    settings: Settings, stream: IO[str] | None = None, *, access_log: bool = True
) -> None:
    """Route every logger (uvicorn's included) through one stderr handler in LOG_FORMAT, with
    repeated lines thinned out (LOG_REPEAT_INTERVAL_SECONDS, observability/repeats.py); without
    `access_log` or with LOG_ACCESS=off, uvicorn's access lines go nowhere (uvicorn checks for
    handlers per request)."""
    stream = stream or sys.stderr
    terminal = is_terminal(stream)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter_for(settings.log_format, terminal))
    if settings.log_repeat_interval_seconds > 0:
        handler.addFilter(RepeatFilter(settings.log_repeat_interval_seconds))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in UVICORN_LOGGERS:
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    access = logging.getLogger("uvicorn.access")
    for old_filter in [f for f in access.filters if isinstance(f, WritesAndFailures)]:
        access.removeFilter(old_filter)
    if not access_log or settings.log_access == "off":
        access.handlers.clear()
        access.propagate = False
    elif settings.log_access == "auto" and terminal:
        access.addFilter(WritesAndFailures())
