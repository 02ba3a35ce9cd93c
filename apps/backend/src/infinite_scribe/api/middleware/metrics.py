"""The front door: every request matched once (api/route_table.py), and every answer counted
by its route template and status, and timed."""

import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infinite_scribe.api.metrics import ApiMetrics
from infinite_scribe.api.route_table import ROUTE_KEY, RouteTable

#: The series children kept at hand (the rest are looked up each time, as before).
MAX_SERIES = 1_000


class MetricsMiddleware:
    """Outermost but for tracing, so idempotency replays and 413s are counted too. The match
    it leaves in the scope is the one every later layer reads (`route_of`)."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics, inline_routes: tuple[str, ...]) -> None:
        self.app = app
        self.metrics = metrics
        self.inline_routes = inline_routes
        self._table: RouteTable | None = None
        # prometheus_client's `labels()` takes a lock and builds the key on every call: each
        # series' child is looked up once (templates and statuses are few, both bounded).
        self._counted: dict[tuple[str, str, int], Any] = {}
        self._timed: dict[tuple[str, str], Any] = {}

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
            self._count(scope["method"], match.template, status, time.perf_counter() - started)

    def _count(self, method: str, template: str, status: int, seconds: float) -> None:
        counted = self._counted.get((method, template, status))
        if counted is None:
            counted = self.metrics.requests.labels(method, template, str(status))
            # Methods are client-chosen: only known ones (and a bounded number) are kept.
            if len(self._counted) < MAX_SERIES:
                self._counted[(method, template, status)] = counted
        timed = self._timed.get((method, template))
        if timed is None:
            timed = self.metrics.latency.labels(method, template)
            if len(self._timed) < MAX_SERIES:
                self._timed[(method, template)] = timed
        counted.inc()
        timed.observe(seconds)

    def table(self, app: Any) -> RouteTable:
        # Built on the first request: every route is added by then, and the document with it.
        if self._table is None:
            self._table = RouteTable(app.routes, app.openapi(), self.inline_routes)
        return self._table
