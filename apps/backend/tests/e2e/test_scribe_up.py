"""`scribe up` from nothing: embedded PostgreSQL and broker, migrations, a healthy API; SIGTERM
stops everything and leaves no process behind."""

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import pytest

from infinite_scribe.embedded.kafka import free_port
from infinite_scribe.runtime.model_health import OFFLINE as OFFLINE_MODEL

pytestmark = pytest.mark.slow

HEALTHY = {
    "status": "ok",
    "database": "ok",
    "kafka": "ok",
    "model": OFFLINE_MODEL.detail,
    "exports": "ok",
}


def _children_of(pid: int) -> set[int]:
    children = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            children.add(int(entry.name))
    return children


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _console_page_open(port: int) -> None:
    """A writer's session page open in a browser: its live stream, read until the server ends
    it (issue 38: an open stream held the stop 3 s, then was cancelled with ERRORs)."""
    base = f"http://127.0.0.1:{port}"
    client = httpx.Client(base_url=base, headers={"Origin": base}, timeout=30)
    assert client.post("/console/sign-in", data={"dev": "writer"}).status_code == 303
    session = client.post("/console/sessions").headers["location"]
    opened = threading.Event()

    def follow() -> None:
        with (
            contextlib.suppress(httpx.HTTPError),
            client.stream("GET", f"{session}/stream?after=0") as reply,
        ):
            opened.set()
            for _ in reply.iter_bytes():
                pass

    threading.Thread(target=follow, daemon=True).start()
    assert opened.wait(30)


@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="tests the embedded mode")
@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_scribe_up_serves_health_and_stops_everything(stop_signal: int) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="scribe-up-"))
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "POSTGRES_HOST", "KAFKA_HOST")
    }
    env["SCRIBE_DATA_DIR"] = str(data_dir)
    process = subprocess.Popen(
        [sys.executable, "-m", "infinite_scribe.cli", "up", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # A session of its own, signalled as a group: what a terminal's Ctrl-C does.
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        body = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2)
                if response.status_code == 200:
                    body = response.json()
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        assert body == HEALTHY
        # The embedded mode lets a frontend dev server on localhost call the API (issue 12).
        dev_origin = {"Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST"}
        preflight = httpx.options(
            f"http://127.0.0.1:{port}/api/v1/genesis/sessions", headers=dev_origin
        )
        assert preflight.headers.get("access-control-allow-origin") == dev_origin["Origin"]
        postmaster = int((data_dir / "pg" / "postmaster.pid").read_text().split()[0])
        broker_pids = {
            pid
            for pid in _children_of(process.pid)
            if "tansu" in Path(f"/proc/{pid}/cmdline").read_text()
        }
        assert broker_pids and _running(postmaster)
        _console_page_open(port)

        os.killpg(process.pid, stop_signal)
        output, _ = process.communicate(timeout=30)
        assert process.returncode == 0, output
        # The embedded broker stops after the relay and the worker, not first (issue 28).
        assert '"level":"ERROR"' not in output and "Traceback" not in output, output
        assert "dev token" in output and "/api/v1/health" in output and "/console" in output
        assert not _running(postmaster)
        assert not any(_running(pid) for pid in broker_pids)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        shutil.rmtree(data_dir, ignore_errors=True)
