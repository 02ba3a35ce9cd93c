"""The API's /metrics over real HTTP, on its own listener (API_METRICS_PORT; issue 21: never on
the public API port): bounded labels (route templates, known command types), commands by
outcome, idempotency replays and conflicts, pool usage."""

import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from infinite_scribe.api.app import create_app
from infinite_scribe.api.route_table import RouteTable
from infinite_scribe.settings.settings import Settings
from tests.conftest import LiveServer, make_token

ROUTE = "/api/v1/genesis/sessions/{session_id}/commands"
CONFIRM = {
    "command_type": "ConfirmStage",
    "payload": {"stage": "CONCEPT_SELECTION", "data": {"title": "T"}},
}


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[LiveServer]:
    """A server of its own, so the counters start at zero."""
    with LiveServer(settings) as live:
        yield live


@pytest.fixture
async def api(server: LiveServer, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {make_token(settings, uuid.uuid4())}"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30) as client:
        yield client


def listener_url(server: LiveServer) -> str:
    listener = server.server.config.app.state.services.metrics_listener
    assert listener is not None, "the metrics listener did not start"
    return f"http://127.0.0.1:{listener.port}"


async def scrape(server: LiveServer) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of GET /metrics on the metrics listener."""
    async with httpx.AsyncClient(base_url=listener_url(server)) as anonymous:
        reply = await anonymous.get("/metrics", headers={"Idempotency-Key": "scrape-1"})
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(reply.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_requests_and_commands_by_route_template_and_outcome(
    server: LiveServer, api: httpx.AsyncClient, clean_db: asyncpg.Pool
) -> None:
    sid = (await api.post("/api/v1/genesis/sessions")).json()["session_id"]
    commands = f"/api/v1/genesis/sessions/{sid}/commands"
    first = await api.post(commands, json=CONFIRM, headers={"X-Idempotency-Key": "k1"})
    assert first.status_code == 200, first.text
    unknown = {"command_type": f"Nope{uuid.uuid4().hex}", "payload": {}}
    assert (await api.post(commands, json=unknown)).status_code == 422
    assert (await api.get(f"/no/such/{uuid.uuid4()}")).status_code == 404
    replay = await api.post(commands, json=CONFIRM, headers={"X-Idempotency-Key": "k1"})
    assert replay.json()["command_id"] == first.json()["command_id"]

    samples = await scrape(server)
    assert value(samples, "api_requests_total", method="POST", route=ROUTE, status="200") >= 1
    assert value(samples, "api_requests_total", method="POST", route=ROUTE, status="422") == 1
    assert value(samples, "api_requests_total", method="GET", route="unmatched", status="404") == 1
    count = value(samples, "api_request_duration_seconds_count", method="POST", route=ROUTE)
    assert count == 3
    assert (
        value(samples, "api_commands_total", command_type="ConfirmStage", outcome="completed") == 1
    )
    # The retry was answered by the idempotency middleware: no second command ran.
    assert value(samples, "api_idempotency_replays_total") == 1
    assert (
        value(samples, "api_commands_total", command_type="unknown", outcome="UNKNOWN_COMMAND") == 1
    )
    # Raw paths and client strings never become label values.
    labels = {v for (_, pairs) in samples for _, v in pairs}
    assert not any(sid in label or "Nope" in label for label in labels)


async def test_idempotency_replays_and_conflicts(
    server: LiveServer, api: httpx.AsyncClient, clean_db: asyncpg.Pool
) -> None:
    before = await scrape(server)
    key = {"Idempotency-Key": f"metrics-{uuid.uuid4()}"}
    first = await api.post("/api/v1/genesis/sessions", headers=key)
    replayed = await api.post("/api/v1/genesis/sessions", headers=key)
    assert replayed.json() == first.json()
    reused = await api.post(
        "/api/v1/genesis/sessions", headers=key, json={"initial_user_input": "x"}
    )
    assert reused.status_code == 422
    after = await scrape(server)
    assert (
        value(after, "api_idempotency_replays_total")
        - value(before, "api_idempotency_replays_total")
        == 1
    )
    mismatch = "api_idempotency_conflicts_total"
    assert (
        value(after, mismatch, reason="mismatch") - value(before, mismatch, reason="mismatch") == 1
    )


async def test_pool_usage_and_scrapes_are_never_claimed(
    server: LiveServer, clean_db: asyncpg.Pool
) -> None:
    samples = await scrape(server)
    assert value(samples, "api_db_pool_connections", state="max") == 20
    assert value(samples, "api_db_pool_connections", state="open") >= 1
    assert value(samples, "api_db_pool_connections", state="in_use") >= 0
    # The loop's lag (issue 49): the monitor has timed the loop at least once by now.
    assert value(samples, "event_loop_lag_seconds_count") >= 1
    # The scrape sent an Idempotency-Key: nothing was stored for it.
    assert await clean_db.fetchval("SELECT count(*) FROM idempotency_cache") == 0


async def test_the_public_api_port_serves_no_metrics(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as anonymous:
        assert (await anonymous.get("/metrics")).status_code == 404
    async with httpx.AsyncClient(base_url=listener_url(server)) as anonymous:
        health = await anonymous.get("/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"


def test_route_templates_cover_included_routers_mounts_and_unknown_paths(
    settings: Settings,
) -> None:
    app = create_app(settings)
    table = RouteTable(app.routes, app.openapi())

    def template_of(path: str) -> str:
        return table.match(path).template

    assert template_of(f"/api/v1/genesis/sessions/{uuid.uuid4()}/commands") == ROUTE
    assert template_of("/api/v1/genesis/sessions") == "/api/v1/genesis/sessions"
    assert template_of("/metrics") == "unmatched"  # not served here any more
    assert template_of("/docs-assets/swagger-ui.css") == "/docs-assets/{path}"
    assert template_of("/api/v1/genesis/sessions/a/b/c/d") == "unmatched"
    assert template_of("/") == "/"
