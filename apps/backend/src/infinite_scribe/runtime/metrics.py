"""A tiny HTTP server for a worker's `/metrics` (Prometheus text) and `/health` (JSON)."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import orjson
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

logger = logging.getLogger(__name__)

#: A health check returns (healthy, details).
HealthCheck = Callable[[], Awaitable[tuple[bool, dict[str, object]]]]


def _status(healthy: bool, details: dict[str, object]) -> str:
    """ "unhealthy" (503), else "degraded" (200: it serves, a dependency of its work does not
    answer; `details["degraded"]` says which), else "ok"."""
    if not healthy:
        return "unhealthy"
    return "degraded" if details.get("degraded") else "ok"


class MetricsServer:
    """Serves GET /metrics (Prometheus text) and GET /health (200 or 503 with a JSON body)."""

    def __init__(
        self, registry: CollectorRegistry, health: HealthCheck, host: str, port: int, name: str
    ) -> None:
        self.registry = registry
        self.health = health
        self.host = host
        self.port = port
        self.name = name
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])
        logger.info("%s metrics on http://%s:%s/metrics", self.name, self.host, self.port)
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
                status, ctype, body = "200 OK", CONTENT_TYPE_LATEST, generate_latest(self.registry)
            elif path == b"/health":
                healthy, details = await self.health()
                status = "200 OK" if healthy else "503 Service Unavailable"
                ctype = "application/json"
                body = orjson.dumps({"status": _status(healthy, details), **details})
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
