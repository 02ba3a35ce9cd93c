"""A live API server tuned for stream tests, and helpers reading its SSE with httpx-sse."""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from httpx_sse import EventSource, ServerSentEvent, aconnect_sse

from infinite_scribe.api.container import ApiServices
from infinite_scribe.settings.settings import Settings
from tests.conftest import TEST_JWT_SECRET, TEST_TOPIC, LiveServer, make_token

STREAM = "/api/v1/events/stream"
TICKETS = "/api/v1/events/stream-tickets"
SESSIONS = "/api/v1/genesis/sessions"


@pytest.fixture(scope="module")
def stream_settings(database_url: str) -> Settings:
    """No broker: the stream needs only PostgreSQL (nothing here relays to Kafka)."""
    return Settings(
        database_url=database_url,
        kafka_topic=TEST_TOPIC,
        jwt_secret_key=TEST_JWT_SECRET,  # type: ignore[arg-type]
        stream_keepalive_seconds=0.5,
        stream_poll_interval=0.2,
        stream_retry_ms=1500,
        stream_queue_size=64,
    )


@pytest.fixture(scope="module")
def stream_server(stream_settings: Settings) -> Iterator[LiveServer]:
    server = LiveServer(stream_settings)
    server.server.config.timeout_graceful_shutdown = 1  # streams never end on their own
    server.start()
    try:
        yield server
    finally:
        server.stop()


def services(server: LiveServer) -> ApiServices:
    app: Any = server.server.config.app
    return app.state.services  # type: ignore[no-any-return]


def auth(settings: Settings, user_id: uuid.UUID) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(settings, user_id)}"}


@contextlib.asynccontextmanager
async def client(server: LiveServer, **options: Any) -> AsyncIterator[httpx.AsyncClient]:
    options.setdefault("timeout", httpx.Timeout(30, read=30))
    async with httpx.AsyncClient(base_url=server.url, **options) as http:
        yield http


async def new_session(http: httpx.AsyncClient, headers: dict[str, str]) -> str:
    response = await http.post(SESSIONS, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["session_id"])


class Stream:
    """One open stream and its single event iterator (httpx reads a body only once)."""

    def __init__(self, source: EventSource) -> None:
        self.response = source.response
        self.events = source.aiter_sse()

    async def next(self, kind: str | None = None, *, within: float = 15.0) -> ServerSentEvent:
        async def read() -> ServerSentEvent:
            async for sse in self.events:
                if kind is None or sse.event == kind:
                    return sse
            raise AssertionError("stream ended")

        return await asyncio.wait_for(read(), within)

    async def domain_events(self, count: int, *, within: float = 15.0) -> list[ServerSentEvent]:
        """The next `count` domain events (task progress skipped)."""
        found: list[ServerSentEvent] = []

        async def read() -> None:
            async for sse in self.events:
                if sse.event == "domain_event":
                    found.append(sse)
                    if len(found) == count:
                        return
            raise AssertionError(f"stream ended after {len(found)} events")

        await asyncio.wait_for(read(), within)
        return found


@contextlib.asynccontextmanager
async def open_stream(
    http: httpx.AsyncClient, session_id: str, headers: dict[str, str] | None = None, **params: Any
) -> AsyncIterator[Stream]:
    query = {"context_id": session_id, **params}
    async with aconnect_sse(
        http, "GET", STREAM, params=query, headers=dict(headers or {})
    ) as source:
        assert source.response.status_code == 200, await source.response.aread()
        yield Stream(source)
