"""The commands beside a real `scribe up`: it writes services.json, `scribe outbox status` and
`scribe api` find its embedded database and broker with DATABASE_URL unset (and no production
JWT secret), a second `up` is refused, SIGTERM removes the file, a kill -9 leaves a stale file
that is detected, and the next `up` takes over."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from infinite_scribe.embedded.kafka import free_port

pytestmark = pytest.mark.slow

CLI = [sys.executable, "-m", "infinite_scribe.cli"]
UNSET = ("DATABASE_URL", "POSTGRES_HOST", "KAFKA_BOOTSTRAP_SERVERS", "KAFKA_HOST", "JWT_SECRET_KEY")


@pytest.fixture
def data_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="scribe-services-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _environment(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in UNSET}
    env |= {"SCRIBE_DATA_DIR": str(data_dir), "SCRIBE_ENV_FILE": ""} | extra
    return env


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        CLI + args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def _scribe(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        CLI + args, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def _wait_healthy(process: subprocess.Popen[str], port: int) -> dict[str, str]:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        try:
            response = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2)
            if response.status_code == 200:
                return dict(response.json())
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"not healthy on {port}: {process.poll()}")


def _stop(process: subprocess.Popen[str], *codes: int) -> str:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    assert process.returncode in (0, *codes), output
    return output


def test_commands_beside_scribe_up(data_dir: Path) -> None:
    env, port = _environment(data_dir), free_port()
    services_file = data_dir / "services.json"
    up = _start(["up", "--port", str(port)], env)
    try:
        assert _wait_healthy(up, port)["status"] == "ok"
        services = json.loads(services_file.read_text())
        assert services["pid"] == up.pid
        assert services["api_url"] == f"http://127.0.0.1:{port}"
        assert services["embedded_database"] and services["embedded_kafka"]
        assert services_file.stat().st_mode & 0o777 == 0o600

        status = _scribe(["outbox", "status"], env)
        assert status.returncode == 0, status.stderr
        assert "outbox rows:" in status.stdout

        # The database URL copied by hand from the banner: no JWT secret demanded, and the
        # broker is found in services.json.
        api_port = free_port()
        api = _start(
            ["api", "--port", str(api_port)],
            _environment(data_dir, DATABASE_URL=services["database_url"]),
        )
        try:
            assert _wait_healthy(api, api_port) == {
                "status": "ok",
                "database": "ok",
                "kafka": "ok",
                "model": "ok: the offline generator (no model server)",
                "exports": "ok",
            }
        finally:
            _stop(api, -signal.SIGTERM)  # uvicorn re-raises the signal once it has stopped

        second = _scribe(["up", "--port", str(free_port())], env)
        assert second.returncode == 2
        assert "already running" in second.stderr and f"pid {up.pid}" in second.stderr
        _stop(up)
        assert not services_file.exists()
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()


def test_a_killed_up_leaves_a_stale_file_the_next_up_replaces(data_dir: Path) -> None:
    env, port = _environment(data_dir), free_port()
    services_file = data_dir / "services.json"
    killed = _start(["up", "--port", str(port)], env)
    try:
        _wait_healthy(killed, port)
        killed.kill()  # SIGKILL: no clean-up runs
        killed.wait()
        assert json.loads(services_file.read_text())["pid"] == killed.pid

        status = _scribe(["outbox", "status"], env)
        assert status.returncode == 2
        assert "is stale" in status.stderr and str(killed.pid) in status.stderr
        assert _scribe(["services"], env).returncode == 1

        # The next `up` starts despite the stale file (and stops the server the killed one
        # left running on its data directory when it stops).
        port = free_port()
        again = _start(["up", "--port", str(port)], env)
        try:
            _wait_healthy(again, port)
            assert json.loads(services_file.read_text())["pid"] == again.pid
            shown = _scribe(["services"], env)
            assert shown.returncode == 0 and f"pid {again.pid}" in shown.stdout
        finally:
            _stop(again)
        assert not services_file.exists()
    finally:
        if killed.poll() is None:
            killed.kill()
            killed.wait()


def test_two_ups_started_at_once_on_one_data_dir(data_dir: Path) -> None:
    env = _environment(data_dir)
    ports = [free_port(), free_port()]
    ups = [_start(["up", "--port", str(port)], env) for port in ports]
    try:
        deadline = time.monotonic() + 90
        while all(up.poll() is None for up in ups) and time.monotonic() < deadline:
            time.sleep(0.2)
        losers = [up for up in ups if up.poll() is not None]
        assert len(losers) == 1
        loser = losers[0]
        assert loser.returncode == 2
        assert "already running" in (loser.stdout.read() if loser.stdout else "")
        winner = ups[1 - ups.index(loser)]
        assert _wait_healthy(winner, ports[ups.index(winner)])["status"] == "ok"
        _stop(winner)
    finally:
        for up in ups:
            if up.poll() is None:
                up.kill()
                up.wait()
