"""A pure ASGI middleware: the request id (`X-Request-ID`, generated if absent, echoed back)
and the W3C `traceparent` of every HTTP request, for event metadata and logs. Each request
gets a log scope (observability/log_context.py) so its log lines carry the request id."""

import logging
import re
from uuid import uuid4

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infinite_scribe.api.middleware.idempotency_replies import error_reply, send_reply
from infinite_scribe.api.request_head import head_of
from infinite_scribe.observability.log_context import log_scope
from infinite_scribe.observability.tracing import current_traceparent

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = b"x-request-id"
_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._:@/+=\-]{1,128}$")
_TRACEPARENT = re.compile(rb"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")


class RequestContextMiddleware:
    """Puts `request_id` and `traceparent` in `request.state` and echoes `X-Request-ID`.

    The outermost middleware of the app's own list, so it also answers an exception nothing
    inside handled (a 500 with the project's error body and the request id): Starlette's
    ServerErrorMiddleware sits outside every user middleware and would answer without it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = head_of(scope)
        request_id: bytes | None = None
        traceparent: bytes | None = None
        for value in head.request_ids:
            if _REQUEST_ID.match(value):
                request_id = value
        for value in head.traceparents:
            if _TRACEPARENT.match(value.lower()):
                traceparent = value.lower()
        # An unusable client id (too long, odd characters) is replaced, never reflected.
        request_id = request_id or uuid4().hex.encode()
        state = scope.setdefault("state", {})
        state["request_id"] = request_id.decode()
        # With tracing on, the server span (a child of the client's traceparent) is what the
        # events name as their parent, so the relay and the worker join the request's trace.
        state["traceparent"] = current_traceparent() or (
            traceparent.decode() if traceparent else None
        )

        started = False

        async def send_with_request_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER, request_id))
                message["headers"] = headers
            await send(message)

        with log_scope(request_id=state["request_id"]):
            try:
                await self.app(scope, receive, send_with_request_id)
            except Exception:
                if started:
                    raise
                logger.exception("unhandled error on %s %s", scope["method"], scope["path"])
                reply = error_reply(500, "INTERNAL_ERROR", "Internal server error")
                await send_reply(send_with_request_id, reply)
