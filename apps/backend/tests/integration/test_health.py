"""GET /api/v1/health really checks both services."""

from urllib.parse import urlsplit

import asyncpg
import httpx

from infinite_scribe.embedded.kafka import EmbeddedKafka
from infinite_scribe.settings.settings import Settings
from tests.conftest import LiveServer


async def test_health_ok_when_both_answer(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        response = await client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "kafka": "ok",
        "model": "ok: the offline generator (no model server)",
        "exports": "ok",
    }


async def test_health_503_names_the_broker_when_it_is_down(settings: Settings) -> None:
    broker = EmbeddedKafka()
    servers = broker.start()
    server = LiveServer(settings.model_copy(update={"kafka_bootstrap_servers": servers}))
    server.start()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            assert (await client.get("/api/v1/health")).status_code == 200
            broker.stop()
            response = await client.get("/api/v1/health")
    finally:
        broker.stop()
        server.stop()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["database"] == "ok"
    assert body["kafka"].startswith("unavailable")


async def test_health_503_names_the_database_when_it_is_down(
    settings: Settings, fresh_database: object, postgres_server_url: str
) -> None:
    url = str(fresh_database())  # type: ignore[operator]
    server = LiveServer(settings.model_copy(update={"database_url": url}))
    server.start()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            assert (await client.get("/api/v1/health")).status_code == 200
            # Really take the database away: drop it, terminating the pool's connections.
            admin = await asyncpg.connect(postgres_server_url)
            try:
                name = urlsplit(url).path.lstrip("/")
                await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            finally:
                await admin.close()
            response = await client.get("/api/v1/health")
    finally:
        server.stop()
    assert response.status_code == 503
    assert response.json()["database"].startswith("unavailable")
    assert response.json()["kafka"] == "ok"
