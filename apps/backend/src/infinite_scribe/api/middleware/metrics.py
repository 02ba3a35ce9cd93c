"""A pure ASGI middleware counting every answer by route template and status, and timing it."""

import re
import time
from collections.abc import Sequence
from typing import Any

import fastapi.routing
from starlette.routing import Mount, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infinite_scribe.api.metrics import ApiMetrics

UNMATCHED = "unmatched"


class MetricsMiddleware:
    """Outermost but for tracing, so idempotency replays and 413s are counted too."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics
        self._table: RouteTemplates | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception escaping the app is answered 500 by the server

        async def send_counting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_counting)
        finally:
            route = self._templates(scope["app"]).template_of(scope["path"])
            method = scope["method"]
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(time.perf_counter() - started)

    def _templates(self, app: Any) -> "RouteTemplates":
        # Built on the first request: routes are all added by then.
        if self._table is None:
            self._table = RouteTemplates(app.routes)
        return self._table


class RouteTemplates:
    """Path -> route template (`/api/v1/tasks/{task_id}`), matched like the router does, for
    every answer: also those given before routing (an idempotency replay, a 413)."""

    def __init__(self, routes: Sequence[Any]) -> None:
        self.patterns = [
            (re.compile(re.escape(path) + "/"), f"{path}/{{path}}")
            if mount
            else (compile_path(path)[0], path)
            for path, mount in sorted(_paths(routes))
        ]

    def template_of(self, path: str) -> str:
        for pattern, template in self.patterns:
            if pattern.match(path):
                return template
        return UNMATCHED


def _paths(routes: Sequence[Any]) -> set[tuple[str, bool]]:
    """Every route's full path, and whether it is a mount (static files: one template for
    everything under it). FastAPI >= 0.13x keeps included routers as such (its public
    `iter_route_contexts` resolves them); older versions flatten them into `app.routes`."""
    contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    found = contexts(routes) if contexts is not None else routes
    paths = set()
    for route in found:
        path = getattr(route, "path", None)
        if isinstance(path, str):
            original = getattr(route, "original_route", route)
            paths.add((path, isinstance(original, Mount)))
    return paths
