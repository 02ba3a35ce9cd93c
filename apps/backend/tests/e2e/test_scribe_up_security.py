"""The embedded default (`scribe up`, the real process) against a page that re-points its name
at 127.0.0.1 (DNS rebinding) and against a visitor of the console (issue 28): a foreign Host
is refused before any route, the operator's sign-in needs the development token, the console's
unknown pages are its HTML 404 with its CSP, and no asset reaches out to another host."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.scribe_up import ScribeUp

pytestmark = pytest.mark.slow

EVIL = "rebind.evil.example"


@pytest.fixture(scope="module")
def up() -> Iterator[tuple[ScribeUp, dict[str, Any]]]:
    with ScribeUp() as running:
        yield running, running.wait_healthy()


def _client(services: dict[str, Any], host: str | None = None) -> httpx.Client:
    api = services["api_url"]
    port = api.rsplit(":", 1)[1]
    origin = f"http://{host}:{port}" if host else api
    headers = {"Origin": origin, **({"Host": f"{host}:{port}"} if host else {})}
    return httpx.Client(base_url=api, headers=headers, timeout=10)


def test_a_rebound_host_is_refused_and_signs_nobody_in(up: tuple[ScribeUp, dict[str, Any]]) -> None:
    _, services = up
    with _client(services, EVIL) as evil:
        sign_in = evil.post("/console/sign-in", data={"dev": "operator"})
        assert sign_in.status_code == 400 and "set-cookie" not in sign_in.headers
        assert sign_in.json()["error_code"] == "INVALID_HOST"
        assert evil.get("/api/v1/health").status_code == 400
    for name in ("localhost", "127.0.0.1"):
        with _client(services, name) as local:
            assert local.get("/api/v1/health").status_code == 200


def test_the_operator_sign_in_needs_the_development_token(
    up: tuple[ScribeUp, dict[str, Any]],
) -> None:
    running, services = up
    with _client(services) as visitor:
        refused = visitor.post("/console/sign-in", data={"dev": "operator"})
        assert refused.status_code == 401 and "set-cookie" not in refused.headers
        wrong = visitor.post("/console/sign-in", data={"dev": "operator", "token": "x.y.z"})
        assert wrong.status_code == 401 and "set-cookie" not in wrong.headers
        writer = visitor.post("/console/sign-in", data={"dev": "writer"})
        assert writer.status_code == 303 and writer.headers["location"] == "/console/sessions"
        # Issue 41, C1: the writer's cookie was taken as the operator's credential.
        cookie = visitor.cookies["scribe_console"]
        visitor.cookies.clear()
        pasted = visitor.post("/console/sign-in", data={"dev": "operator", "token": cookie})
        assert pasted.status_code == 401 and "set-cookie" not in pasted.headers
    with _client(services) as developer:
        signed = developer.post(
            "/console/sign-in", data={"dev": "operator", "token": running.token()}
        )
        assert signed.status_code == 303 and signed.headers["location"] == "/console/ops"
        assert developer.get("/console/ops/audit").status_code == 200


def test_console_404_is_html_with_its_csp_and_assets_are_not_sniffed(
    up: tuple[ScribeUp, dict[str, Any]],
) -> None:
    _, services = up
    with _client(services) as browser:
        missing = browser.get("/console/no-such-page")
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("text/html")
        assert "default-src 'none'" in missing.headers["content-security-policy"]
        script = browser.get("/console/static/vendor/htmx.min.js")
        assert script.status_code == 200
        assert script.headers["x-content-type-options"] == "nosniff"
        redoc = browser.get("/redoc")
        bundle = browser.get("/redoc-assets/redoc.standalone.js")
        assert "/redoc-assets/redoc.standalone.js" in redoc.text and bundle.status_code == 200
        assert "cdn.redoc.ly" not in bundle.text and "fonts.googleapis" not in redoc.text
