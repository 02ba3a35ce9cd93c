"""The fields every log line carries when known (request_id, user_id, session_id,
correlation_id): one context variable holding a small dict per request or message.

A scope starts a fresh dict (the HTTP middleware per request, a consumer per message); code
further in adds to it with `bind`. The dict is mutated in place so that a value bound by a
dependency is seen by the access log line written later in the same request.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_context: ContextVar[dict[str, str] | None] = ContextVar("log_context", default=None)


@contextmanager
def log_scope(**fields: object) -> Iterator[dict[str, str]]:
    """A fresh context for one request or one message; restored on exit."""
    values = {name: str(value) for name, value in fields.items() if value is not None}
    token = _context.set(values)
    try:
        yield values
    finally:
        _context.reset(token)


def bind(**fields: object) -> None:
    """Add fields to the current scope (ignored outside one, and for None values)."""
    values = _context.get()
    if values is None:
        return
    for name, value in fields.items():
        if value is not None:
            values[name] = str(value)


def current() -> dict[str, str]:
    return _context.get() or {}
