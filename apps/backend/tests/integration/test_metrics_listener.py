"""Issue 21, defect 4, against the real server process: the API's metrics are served on their
own listener (API_METRICS_PORT), never on the public API port."""

import httpx
import pytest

from infinite_scribe.embedded.kafka import free_port
from infinite_scribe.settings.settings import Settings
from tests.support.hostile_server import api_process

pytestmark = pytest.mark.slow


def test_metrics_are_on_their_own_listener_not_the_api_port(settings: Settings) -> None:
    port = free_port()
    with api_process(settings, API_METRICS_PORT=str(port)) as server:
        assert httpx.get(f"{server.url}/metrics", timeout=10).status_code == 404
        httpx.get(f"{server.url}/api/v1/health", timeout=10)
        scraped = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
        assert scraped.status_code == 200
        assert scraped.headers["content-type"].startswith("text/plain")
        assert 'api_requests_total{method="GET",route="/api/v1/health"' in scraped.text
        health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=10)
        assert health.status_code == 200 and health.json()["status"] == "ok"
