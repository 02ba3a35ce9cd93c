"""CORS over real HTTP: a real preflight (OPTIONS with Origin and Access-Control-Request-*) is
answered before auth and idempotency; cross-origin answers, errors included, carry the headers
a browser needs; nothing is allowed by default."""

import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import httpx
import pytest

from infinite_scribe.api.schemas.commands import SPEC_EXAMPLE
from infinite_scribe.settings.settings import Settings
from tests.conftest import LiveServer, make_token
from tests.support.genesis_client import BASE

FRONTEND = "https://app.example.com"
PREFLIGHT = {
    "Origin": FRONTEND,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
}


@pytest.fixture(scope="module")
def cors_server(settings: Settings) -> Iterator[LiveServer]:
    configured = settings.model_copy(update={"cors_origins": [FRONTEND, "http://other.test:8080"]})
    with LiveServer(configured) as server:
        yield server


@pytest.fixture
async def browser(cors_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=cors_server.url, timeout=30) as client:
        yield client


async def test_preflight_is_answered_without_a_token_or_an_idempotency_claim(
    browser: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    claims_before = await pool.fetchval("SELECT count(*) FROM idempotency_cache")
    response = await browser.options(f"{BASE}/{uuid.uuid4()}/commands", headers=PREFLIGHT)
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == FRONTEND
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed = response.headers["access-control-allow-headers"].lower()
    assert {"authorization", "content-type", "idempotency-key"} <= set(allowed.split(", "))
    assert "access-control-allow-credentials" not in response.headers
    assert int(response.headers["access-control-max-age"]) > 0
    assert await pool.fetchval("SELECT count(*) FROM idempotency_cache") == claims_before


async def test_preflight_from_an_unlisted_origin_is_refused(browser: httpx.AsyncClient) -> None:
    for origin in ("https://evil.example", "https://app.example.com.evil.example", "null"):
        response = await browser.options(BASE, headers=PREFLIGHT | {"Origin": origin})
        assert response.status_code == 400, origin
        assert "access-control-allow-origin" not in response.headers


async def test_cross_origin_post_and_errors_carry_cors_headers(
    browser: httpx.AsyncClient, settings: Settings
) -> None:
    token = make_token(settings, uuid.uuid4())
    headers = {"Origin": FRONTEND, "Authorization": f"Bearer {token}"}
    created = await browser.post(BASE, headers=headers, json={})
    assert created.status_code == 201, created.text
    assert created.headers["access-control-allow-origin"] == FRONTEND
    exposed = created.headers["access-control-expose-headers"].lower()
    assert {"x-request-id", "location", "idempotent-replayed"} <= set(exposed.split(", "))
    session_id = created.json()["session_id"]

    sent = await browser.post(
        f"{BASE}/{session_id}/commands",
        headers=headers | {"Idempotency-Key": "browser-1"},
        json=SPEC_EXAMPLE,
    )
    assert sent.status_code == 202, sent.text
    assert sent.headers["access-control-allow-origin"] == FRONTEND
    replay = await browser.post(
        f"{BASE}/{session_id}/commands",
        headers=headers | {"Idempotency-Key": "browser-1"},
        json=SPEC_EXAMPLE,
    )
    assert replay.status_code == 202 and replay.headers["idempotent-replayed"] == "true"
    assert replay.headers["access-control-allow-origin"] == FRONTEND

    unauthorized = await browser.get(BASE, headers={"Origin": FRONTEND})
    assert unauthorized.status_code == 401
    assert unauthorized.headers["access-control-allow-origin"] == FRONTEND
    too_large = await browser.post(
        BASE, headers=headers, content=b"{" + b" " * (2 * 1024 * 1024) + b"}"
    )
    assert too_large.status_code == 413
    assert too_large.headers["access-control-allow-origin"] == FRONTEND


async def test_no_origin_is_allowed_by_default(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        preflight = await client.options(BASE, headers=PREFLIGHT)
        assert "access-control-allow-origin" not in preflight.headers
        assert preflight.status_code == 405
        simple = await client.get("/api/v1/health", headers={"Origin": FRONTEND})
        assert "access-control-allow-origin" not in simple.headers


async def test_localhost_origins_when_allowed(settings: Settings) -> None:
    dev = settings.model_copy(update={"cors_allow_localhost": True})
    with LiveServer(dev) as server:
        async with httpx.AsyncClient(base_url=server.url) as client:
            for origin in ("http://localhost:5173", "http://127.0.0.1:3000", "http://[::1]:8080"):
                response = await client.options(BASE, headers=PREFLIGHT | {"Origin": origin})
                assert response.status_code == 200, origin
                assert response.headers["access-control-allow-origin"] == origin
            for origin in ("http://localhost.evil.example", "https://example.com"):
                response = await client.options(BASE, headers=PREFLIGHT | {"Origin": origin})
                assert response.status_code == 400, origin
