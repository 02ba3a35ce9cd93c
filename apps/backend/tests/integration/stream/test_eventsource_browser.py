"""A real browser follows a session across a server-side disconnect: headless Chromium runs a
page that uses `EventSource` on the stream (opened with a ticket); the API process serving it
stops mid-stream and a new one starts on the same port; the browser reconnects by itself (its
spent ticket and its stream grant, `Last-Event-ID`) and every event arrives once, in order,
including those committed while it was disconnected. Skips without Chromium."""

import json
import shutil
import subprocess
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from infinite_scribe.api.app import create_app
from infinite_scribe.settings.settings import Settings
from tests.conftest import LiveServer
from tests.support.sse_client import TICKETS, auth, new_session, stream_settings as stream_settings
from tests.support.stream import append, until

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")
BROWSER = next((path for name in BROWSERS if (path := shutil.which(name))), None)
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(BROWSER is None, reason="no Chromium (apt-get install -y chromium)"),
]

PAGE = """<!doctype html><meta charset="utf-8"><title>stream</title><script>
const query = new URLSearchParams(location.search);
let seq = 0;
function report(kind, data) {
  const body = JSON.stringify(Object.assign({kind: kind, seq: seq++}, data));
  fetch(query.get("collector"), {method: "POST", mode: "no-cors", body: body});
}
const source = new EventSource(query.get("stream"));
source.onopen = () => report("open", {});
source.onerror = () => report("error", {state: source.readyState});
source.addEventListener("domain_event", (e) => {
  report("event", {id: Number(e.lastEventId), version: JSON.parse(e.data).aggregate_version});
});
</script>"""


class Collector:
    """A loopback HTTP server the page reports to (kept apart from the API, which restarts)."""

    def __init__(self) -> None:
        self.reports: list[dict[str, Any]] = []
        lock = threading.Lock()
        reports = self.reports

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with lock:
                    reports.append(json.loads(body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/report"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return sorted((r for r in list(self.reports) if r["kind"] == kind), key=lambda r: r["seq"])


def api_with_page(settings: Settings) -> FastAPI:
    """The real app, plus the test page on the same origin (as a console page would be)."""
    app = create_app(settings)

    @app.get("/_test/eventsource", include_in_schema=False)
    async def page() -> HTMLResponse:
        return HTMLResponse(PAGE)

    return app


def api_on(port: int, settings: Settings) -> LiveServer:
    server = LiveServer(api_with_page(settings), port)
    server.server.config.timeout_graceful_shutdown = 1  # streams never end on their own
    return server


@pytest.fixture
def collector() -> Iterator[Collector]:
    found = Collector()
    found.thread.start()
    try:
        yield found
    finally:
        found.server.shutdown()


def chromium(profile: Path, url: str) -> subprocess.Popen[bytes]:
    assert BROWSER is not None
    command = [
        BROWSER,
        "--headless",
        "--no-sandbox",  # tests may run as root, where the sandbox refuses to start
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--proxy-server=http://127.0.0.1:9",
        "--proxy-bypass-list=127.0.0.1",
        url,
    ]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def test_eventsource_follows_the_stream_across_a_server_restart(
    stream_settings: Settings, pool: asyncpg.Pool, collector: Collector, tmp_path: Path
) -> None:
    settings = stream_settings.model_copy(update={"stream_retry_ms": 300})
    first = api_on(0, settings)
    first.start()
    headers = auth(settings, uuid.uuid4())
    async with httpx.AsyncClient(base_url=first.url, timeout=30) as http:
        session = await new_session(http, headers)
        issued = await http.post(TICKETS, json={"context_id": session}, headers=headers)
    stream_url = issued.json()["stream_url"] + "&last_event_id=0"
    page = (
        f"{first.url}/_test/eventsource?stream={quote(stream_url)}&collector={quote(collector.url)}"
    )
    browser = chromium(tmp_path / "profile", page)
    second: LiveServer | None = None
    try:
        await until(lambda: len(collector.of("event")) == 1, within=60)  # Created
        ids = await append(pool, session, 2, count=2)
        await until(lambda: len(collector.of("event")) == 3)

        first.stop()  # the server ends every stream: a server-side disconnect
        await until(lambda: bool(collector.of("error")))
        ids += await append(pool, session, 4, count=3)  # while the browser is disconnected
        second = api_on(first.port, settings)
        second.start()
        await until(lambda: len(collector.of("event")) == 6, within=30)
        ids += await append(pool, session, 7)
        await until(lambda: len(collector.of("event")) == 7)
    finally:
        browser.terminate()
        browser.wait(10)
        if second is not None:
            second.stop()

    received = [report["id"] for report in collector.of("event")]
    committed = [
        row["id"]
        for row in await pool.fetch(
            "SELECT id FROM domain_events WHERE aggregate_id = $1 ORDER BY id", session
        )
    ]
    assert received == committed and len(set(received)) == len(received) == 7
    assert ids == committed[1:]
    assert [r["version"] for r in collector.of("event")] == list(range(1, 8))
    assert len(collector.of("open")) == 2  # reconnected once, by itself
    assert all(report["state"] == 0 for report in collector.of("error"))  # never gave up
