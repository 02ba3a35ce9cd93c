"""The front door: every request matched once (api/route_table.py), and every answer counted
by its route template and status, and timed."""

import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infinite_scribe.api.metrics import ApiMetrics
from infinite_scribe.api.route_table import ROUTE_KEY, UNMATCHED, RouteTable

__all__ = ["UNMATCHED", "MetricsMiddleware"]


class MetricsMiddleware:
    """Outermost but for tracing, so idempotency replays and 413s are counted too. The match
    it leaves in the scope is the one every later layer reads (`route_of`)."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics, inline_routes: tuple[str, ...]) -> None:
        self.app = app
        self.metrics = metrics
        self.inline_routes = inline_routes
        self._table: RouteTable | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        match = scope[ROUTE_KEY] = self.table(scope["app"]).match(scope["path"])
        status = 500  # an exception escaping the app is answered 500 by the server

        async def send_counting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_counting)
        finally:
            method = scope["method"]
            self.metrics.requests.labels(method, match.template, str(status)).inc()
            self.metrics.latency.labels(method, match.template).observe(
                time.perf_counter() - started
            )

    def table(self, app: Any) -> RouteTable:
        # Built on the first request: every route is added by then, and the document with it.
        if self._table is None:
            self._table = RouteTable(app.routes, app.openapi(), self.inline_routes)
        return self._table
