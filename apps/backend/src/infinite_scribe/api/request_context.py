"""A pure ASGI middleware: the request id (`X-Request-ID`, generated if absent, echoed back)
and the W3C `traceparent` of every HTTP request, for event metadata and logs."""

import re
from uuid import uuid4

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = b"x-request-id"
_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._:@/+=\-]{1,128}$")
_TRACEPARENT = re.compile(rb"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")


class RequestContextMiddleware:
    """Puts `request_id` and `traceparent` in `request.state` and echoes `X-Request-ID`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id: bytes | None = None
        traceparent: bytes | None = None
        for name, value in scope["headers"]:
            if name == REQUEST_ID_HEADER and _REQUEST_ID.match(value):
                request_id = value
            elif name == b"traceparent" and _TRACEPARENT.match(value.lower()):
                traceparent = value.lower()
        # An unusable client id (too long, odd characters) is replaced, never reflected.
        request_id = request_id or uuid4().hex.encode()
        state = scope.setdefault("state", {})
        state["request_id"] = request_id.decode()
        state["traceparent"] = traceparent.decode() if traceparent else None

        async def send_with_request_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER, request_id))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_request_id)
