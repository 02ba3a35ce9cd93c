"""Strict JSON request bodies, bounded in their work: a body with more than JSON_MAX_VALUES
values and keys or JSON_MAX_STRINGS strings is a 413 `JSON_TOO_COMPLEX` before it is parsed
(issue 49: 215,000 empty lists in 0.86 MB held the loop 0.8-1.5 s per request, under every
byte limit); the count is taken from the text's structure, in C (domain/json_text.py:
`bytes.replace`, `split`, `count`), so refusing costs milliseconds. Nesting past 64 levels is
refused the same way.

`NaN`, `Infinity`, `-Infinity`, numbers beyond a double (`1e400`)
and integers beyond 64 bits are a 422 naming the field, instead of being stored as null/0.0.

Python's json module (what FastAPI parses with) accepts all of them. orjson refuses the
non-finite ones and is fast, so it screens every JSON body; only a body it refuses, or one with
a 19+ digit run (orjson turns such integers into floats silently), is parsed again with the
lenient parser to find the offending field. Anything still not JSON is left to FastAPI's own
"malformed JSON" answer.
"""

import email.message
import json
import math
from typing import Any

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from infinite_scribe.api.middleware.asgi_body import JSON_KEY, body_of, replaying
from infinite_scribe.api.middleware.idempotency_replies import Reply, error_reply, send_reply
from infinite_scribe.domain.json_text import (
    has_digit_run,
    nested_deeper,
    string_count,
    without_strings,
)

#: What orjson can write back (asyncpg's JSONB codec uses it): int64 and uint64.
INT_RANGE = (-(2**63), 2**64 - 1)

#: Values and keys one body may hold: a whole plot outline of 1,000 chapters is ~7,000.
JSON_MAX_VALUES = 20_000
#: Strings (keys included) one body may hold.
JSON_MAX_STRINGS = 10_000
#: Levels of nesting: a stored payload may nest 32 (domain/commands.py); 1,000 levels made a
#: validation error's repr recurse past Python's limit (a 500, issue 49).
JSON_MAX_DEPTH = 64


def too_complex(body: bytes) -> str | None:
    """Why `body` is more work than a request may cause (None: it is not). Values and keys
    are counted by what precedes each of them outside strings (`,` `:` `[` `{`)."""
    strings = string_count(body)
    if strings > JSON_MAX_STRINGS:  # counted before the split: it makes a piece per string
        return f"{strings} strings, more than the {JSON_MAX_STRINGS} a request may hold"
    structure = without_strings(body)
    values = 1 + sum(structure.count(mark) for mark in (b",", b":", b"[", b"{"))
    if values > JSON_MAX_VALUES:
        return f"about {values} values, more than the {JSON_MAX_VALUES} a request may hold"
    if nested_deeper(structure, JSON_MAX_DEPTH):
        return f"nested deeper than the {JSON_MAX_DEPTH} levels a request may hold"
    return None


def offending_fields(value: Any, path: tuple[str | int, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths of the numbers in `value` that JSON (RFC 8259 with a double) cannot carry."""
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        if isinstance(value, float) and not math.isfinite(value):
            return [path]
        out_of_range = isinstance(value, int) and not INT_RANGE[0] <= value <= INT_RANGE[1]
        return [path] if out_of_range and not isinstance(value, bool) else []
    return [loc for name, item in items for loc in offending_fields(item, (*path, name))]


def strict_json_problems(body: bytes) -> tuple[list[tuple[Any, ...]] | None, Any]:
    """None when `body` is strict JSON (or not JSON at all: FastAPI answers that); else the
    paths of the fields at fault (an empty list: not strict, but no number to blame). And the
    parsed value when orjson read it exactly (None else)."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    else:
        if not has_digit_run(body, 19):
            return None, value
    return _lenient_problems(body), None


def _lenient_problems(body: bytes) -> list[tuple[Any, ...]] | None:
    try:
        lenient = json.loads(body)
    except (ValueError, RecursionError):
        return None  # not JSON at all
    problems = offending_fields(lenient)
    return problems if problems or not _parses_strictly(body) else None


def _parses_strictly(body: bytes) -> bool:
    try:
        orjson.loads(body)
    except orjson.JSONDecodeError:
        return False
    return True


class StrictJsonMiddleware:
    """Reads a JSON body (already bounded by middleware/limits.py), checks it, replays it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_json_body(scope):
            await self.app(scope, receive, send)
            return
        body = await body_of(scope, receive)
        if body is None:
            return  # the client went away
        if (reason := too_complex(body)) is not None:
            message = f"Request body is too complex: {reason}"
            await send_reply(send, error_reply(413, "JSON_TOO_COMPLEX", message))
            return
        problems, value = strict_json_problems(body)
        if problems is not None:
            await send_reply(send, _rejection(problems))
            return
        if value is not None:
            scope[JSON_KEY] = value  # the route takes it instead of parsing the body again
        await self.app(scope, replaying(body, receive), send)


def is_json_body(scope: Scope) -> bool:
    """Whether FastAPI would parse the body as JSON: `application/json` or any
    `application/*+json` (`vnd.api+json`, `merge-patch+json`, ...), with or without parameters.

    Why FastAPI's own test (issue 41, J1): checking `application/json` alone let every `+json`
    media type through unchecked, and FastAPI then stored NaN as null. The first Content-Type
    is the one FastAPI reads."""
    for name, value in scope["headers"]:
        if name == b"content-type":
            return json_media_type(value.decode("latin-1"))
    return False


def json_media_type(content_type: str) -> bool:
    """FastAPI's rule (fastapi/routing.py, `get_request_handler`), parsed the way it parses it."""
    if content_type.strip().lower() == "application/json":
        return True  # the common case, without building a Message
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


def _rejection(problems: list[tuple[Any, ...]]) -> Reply:
    errors = [
        {
            "loc": ["body", *loc],
            "msg": "Number must be finite and within range (NaN, Infinity, 1e400 are not JSON)",
            "type": "finite_number",
        }
        for loc in problems
    ] or [{"loc": ["body"], "msg": "Body is not strict JSON", "type": "json_invalid"}]
    message = "Request body is not strict JSON"
    body = orjson.dumps({"error_code": "VALIDATION_ERROR", "message": message, "errors": errors})
    return 422, [(b"content-type", b"application/json")], body
