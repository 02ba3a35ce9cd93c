"""Prometheus metrics of one relay and a tiny HTTP server for `/metrics` and `/health`."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import orjson
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

logger = logging.getLogger(__name__)

#: A health check returns (healthy, details).
HealthCheck = Callable[[], Awaitable[tuple[bool, dict[str, object]]]]


class RelayMetrics:
    """The relay's series in a registry of its own (several relays may share a process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.published = Counter(
            "relay_published", "Outbox rows acknowledged by the broker", registry=self.registry
        )
        self.retries = Counter(
            "relay_retries", "Rejected messages scheduled for a retry", registry=self.registry
        )
        self.failures = Counter(
            "relay_failures", "Rows marked FAILED after the retry schedule", registry=self.registry
        )
        self.released = Counter(
            "relay_released", "Rows given back unsent (outage, shutdown)", registry=self.registry
        )
        self.backlog = Gauge(
            "relay_outbox_rows",
            "Unsent outbox rows per status (PENDING, FAILED)",
            ["status"],
            registry=self.registry,
        )
        self.oldest_pending_age = Gauge(
            "relay_oldest_pending_age_seconds",
            "Age of the oldest PENDING outbox row",
            registry=self.registry,
        )
        self.broker_up = Gauge(
            "relay_broker_up", "1 while the broker is reachable", registry=self.registry
        )
        self.publish_latency = Histogram(
            "relay_publish_latency_seconds",
            "Produce to delivery report, per batch",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.broker_up.set(1)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsServer:
    """Serves GET /metrics (Prometheus text) and GET /health (200 or 503 with a JSON body)."""

    def __init__(self, metrics: RelayMetrics, health: HealthCheck, host: str, port: int) -> None:
        self.metrics = metrics
        self.health = health
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])
        logger.info("relay metrics on http://%s:%s/metrics", self.host, self.port)
        return self.port

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), 1)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            path = request.split(b" ", 2)[1].split(b"?")[0] if b" " in request else b""
            if path == b"/metrics":
                status, ctype, body = "200 OK", CONTENT_TYPE_LATEST, self.metrics.render()
            elif path == b"/health":
                healthy, details = await self.health()
                status = "200 OK" if healthy else "503 Service Unavailable"
                ctype = "application/json"
                body = orjson.dumps({"status": "ok" if healthy else "unhealthy", **details})
            else:
                status, ctype, body = "404 Not Found", "text/plain", b"not found\n"
            head = (
                f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
            writer.write(head.encode() + body)
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError, IndexError):
            pass
        finally:
            writer.close()
