"""Bounds every HTTP request before any other work: the body size, counted while it streams
(chunked or with a Content-Length, with or without an idempotency key), the bytes all bodies in
progress may hold together (HTTP_BODY_BUDGET_BYTES), and the once-only headers
(api/request_head.py). Sits inside the operation gate (api/middleware/operations.py), outside
idempotency, strict JSON and the routes. Header size/count limits and the read timeout live in
the HTTP protocol (api/http_protocol.py): they must act before the ASGI app is called.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infinite_scribe.api.middleware.asgi_body import BodyTooLarge
from infinite_scribe.api.middleware.idempotency_replies import (
    Reply,
    error_reply,
    send_reply,
    too_large,
)
from infinite_scribe.api.request_head import head_of

#: Seconds a client refused by the body budget is told to wait (bodies finish in milliseconds).
BUDGET_RETRY_AFTER = "1"


class BodyBudget:
    """Bytes the bodies of the requests in progress hold (or are about to), across the process.
    A body is charged when it declares its length, else as it arrives, and released when its
    request ends: one request's share cannot outgrow the budget, however many connections."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0

    def take(self, size: int) -> bool:
        if self.held + size > self.limit:
            return False
        self.held += size
        return True

    def give_back(self, size: int) -> None:
        self.held -= size


class BodyLimitMiddleware:
    """413 for a body over `max_body_bytes` (before reading it when Content-Length says so);
    503 with Retry-After when the bodies in progress would pass `budget_bytes`; 400 for a
    repeated once-only header."""

    def __init__(
        self, app: ASGIApp, max_body_bytes: int, budget_bytes: int, budget: BodyBudget | None = None
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        # One budget for the process: every route's stack shares it (api/route_stacks.py).
        self.budget = budget or BodyBudget(budget_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = head_of(scope)
        repeated = head.repeated
        if repeated is not None:
            await send_reply(send, error_reply(400, repeated.error_code, repeated.message))
            return
        declared = head.declared_length
        if declared is not None and declared > self.max_body_bytes:
            await send_reply(send, too_large(self.max_body_bytes))  # nothing of the body is read
            return
        if declared and not self.budget.take(declared):
            await send_reply(send, _over_budget())
            return
        guard = _BodyGuard(receive, send, self.max_body_bytes, too_large(self.max_body_bytes))
        if declared is None:
            guard.budget = self.budget  # chunked: charged as it arrives
        try:
            await self.app(scope, guard.receive, guard.send)
        except (BodyTooLarge, OverBudget):
            pass  # the 413 / 503 went out when the limit was crossed
        except Exception:
            if not guard.refused:
                raise
            # The app turned the interrupted read into an error of its own; the refusal stands.
        finally:
            self.budget.give_back((declared or 0) + guard.charged)


def _over_budget() -> Reply:
    message = "The server holds as many request bodies as it may (HTTP_BODY_BUDGET_BYTES); retry"
    return error_reply(503, "SERVER_BUSY", message, retry_after=BUDGET_RETRY_AFTER)


class OverBudget(Exception):
    """A streamed body would pass the process's body budget."""


class _BodyGuard:
    """Counts body bytes as the app receives them (and charges them to `budget` when set);
    past the limit or the budget it answers 413 / 503 itself and drops whatever the app tries
    to send afterwards."""

    def __init__(
        self,
        receive: Receive,
        send: Send,
        limit: int,
        reply: Reply,
    ) -> None:
        self._receive, self._send = receive, send
        self.limit, self.reply = limit, reply
        self.size = 0
        self.started = False
        self.refused = False
        self.budget: BodyBudget | None = None
        self.charged = 0

    async def receive(self) -> Message:
        if self.refused:
            return {"type": "http.disconnect"}
        message = await self._receive()
        if message["type"] == "http.request":
            size = len(message.get("body", b""))
            self.size += size
            if self.size > self.limit:
                await self._refuse(self.reply)
                raise BodyTooLarge
            if self.budget is not None and size:
                if not self.budget.take(size):
                    await self._refuse(_over_budget())
                    raise OverBudget
                self.charged += size
        return message

    async def _refuse(self, reply: Reply) -> None:
        self.refused = True
        if not self.started:
            self.started = True
            await send_reply(self._send, reply)

    async def send(self, message: Message) -> None:
        if self.refused:
            return
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)
