"""Bounds every HTTP request before any other work (authentication included): the body size,
counted while it streams (chunked or with a Content-Length, with or without an idempotency key),
and the once-only headers (api/identity.py). Sits just inside the request-context middleware,
outside idempotency, strict JSON and the routes. Header size/count limits and the read timeout
live in the HTTP protocol (api/http_protocol.py): they must act before the ASGI app is called.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infinite_scribe.api.identity import RepeatedHeader, single_headers
from infinite_scribe.api.middleware.asgi_body import BodyTooLarge, content_length
from infinite_scribe.api.middleware.idempotency_replies import error_reply, send_reply


class BodyLimitMiddleware:
    """413 for a body over `max_body_bytes` (before reading it when Content-Length says so);
    400 for a repeated once-only header."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            single_headers(scope["headers"])
        except RepeatedHeader as error:
            await send_reply(send, error_reply(400, error.error_code, error.message))
            return
        declared = content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await send_reply(send, self._too_large())  # nothing of the body is read
            return
        guard = _BodyGuard(receive, send, self.max_body_bytes, self._too_large())
        try:
            await self.app(scope, guard.receive, guard.send)
        except BodyTooLarge:
            pass  # the 413 went out when the limit was crossed
        except Exception:
            if not guard.refused:
                raise
            # The app turned the interrupted read into an error of its own; the 413 stands.

    def _too_large(self) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        # The connection stays open: uvicorn discards the rest of the body without buffering it
        # (bounded by HTTP_READ_TIMEOUT_SECONDS), so a client that sends its whole body before
        # reading still gets the 413 instead of a reset.
        return error_reply(
            413, "PAYLOAD_TOO_LARGE", f"Request body exceeds {self.max_body_bytes} bytes"
        )


class _BodyGuard:
    """Counts body bytes as the app receives them; past the limit it answers 413 itself and
    drops whatever the app tries to send afterwards."""

    def __init__(
        self,
        receive: Receive,
        send: Send,
        limit: int,
        reply: tuple[int, list[tuple[bytes, bytes]], bytes],
    ) -> None:
        self._receive, self._send = receive, send
        self.limit, self.reply = limit, reply
        self.size = 0
        self.started = False
        self.refused = False

    async def receive(self) -> Message:
        if self.refused:
            return {"type": "http.disconnect"}
        message = await self._receive()
        if message["type"] == "http.request":
            self.size += len(message.get("body", b""))
            if self.size > self.limit:
                self.refused = True
                if not self.started:
                    self.started = True
                    await send_reply(self._send, self.reply)
                raise BodyTooLarge
        return message

    async def send(self, message: Message) -> None:
        if self.refused:
            return
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)
