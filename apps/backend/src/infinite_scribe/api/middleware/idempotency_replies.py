"""Raw ASGI answers of the idempotency middleware: its errors and the replay of a stored answer.

Error bodies follow api/errors.py: every one has `error_code` and `message`.
"""

import orjson
from starlette.types import Send

from infinite_scribe.application.ports.idempotency import StoredResponse

#: Headers worth replaying; cookies and anything session-specific never are.
SAFE_HEADERS = frozenset({b"content-type", b"location", b"etag"})

Reply = tuple[int, list[tuple[bytes, bytes]], bytes]


def safe_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    return [
        (name.decode("latin-1").lower(), value.decode("latin-1"))
        for name, value in headers
        if name.lower() in SAFE_HEADERS
    ]


def error_reply(status: int, error_code: str, message: str, *, retry_after: str = "") -> Reply:
    body = orjson.dumps({"error_code": error_code, "message": message})
    headers = [(b"content-type", b"application/json")]
    if retry_after:
        headers.append((b"retry-after", retry_after.encode()))
    return status, headers, body


def too_large(limit: int) -> Reply:
    # The connection stays open: uvicorn discards the rest of the body without buffering it
    # (bounded by HTTP_READ_TIMEOUT_SECONDS), so a client that sends its whole body before
    # reading still gets the 413 instead of a reset.
    return error_reply(413, "PAYLOAD_TOO_LARGE", f"Request body exceeds {limit} bytes")


def replay_reply(response: StoredResponse) -> Reply:
    headers = [
        (name.encode("latin-1"), value.encode("latin-1")) for name, value in response.headers
    ]
    headers.append((b"idempotent-replayed", b"true"))
    return response.status, headers, response.body


async def send_reply(send: Send, reply: Reply) -> None:
    status, headers, body = reply
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
