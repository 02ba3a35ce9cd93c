"""Reading a whole ASGI request body before the route does, and handing it on unchanged: the
middlewares that must see the body first (the idempotency fingerprint, strict JSON) share it."""

from starlette.types import Message, Receive, Scope


def content_length(scope: Scope) -> int | None:
    """The declared body size, or None when absent or not a plain number."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


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
