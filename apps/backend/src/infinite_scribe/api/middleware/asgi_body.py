"""Reading a whole ASGI request body before the route does, and handing it on unchanged: the
middlewares that must see the body first (the idempotency fingerprint, strict JSON) share it."""

from typing import Any

from starlette.types import Message, Receive, Scope

#: Where the body is kept once read (and its JSON value, when strict JSON parsed it cleanly).
BODY_KEY = "scribe.body"
JSON_KEY = "scribe.json"


class BodyTooLarge(Exception):
    """The body passed the limit it was read (or received) under."""


async def read_body(receive: Receive, limit: int | None = None) -> bytes | None:
    """The whole body, or None when the client went away. Streamed bytes are counted as they
    arrive (a chunked upload has no Content-Length), so `limit` holds for every request."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if limit is not None and size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def body_of(scope: Scope, receive: Receive, limit: int | None = None) -> bytes | None:
    """The request's body, read once: a later layer gets what the first one read (and passes
    on the `replaying` receive the first one made, for the route)."""
    body: bytes | None = scope.get(BODY_KEY)
    if body is None:
        body = await read_body(receive, limit)
        if body is not None:
            scope[BODY_KEY] = body
    elif limit is not None and len(body) > limit:
        raise BodyTooLarge
    return body


def json_of(scope: Scope) -> Any:
    """The body's JSON value as strict JSON parsed it (None when it did not, or it was not
    exact: the route parses the body itself then)."""
    return scope.get(JSON_KEY)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A `receive` that yields the already-read body once, then the connection's own messages."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
