"""API_WORKERS=2: `scribe api` serves commands from two worker processes on one port, and
SIGINT stops all of them."""

import os
import signal
import subprocess
import sys
import uuid

import httpx
import psutil
from pydantic import SecretStr

from infinite_scribe.embedded.net import free_port, wait_for_port
from infinite_scribe.settings.settings import Settings
from tests.conftest import make_token


def test_two_workers_serve_commands_and_stop_together(settings: Settings) -> None:
    port = free_port()
    secret = "s" * 48
    env = os.environ | {
        "DATABASE_URL": settings.resolved_database_url() or "",
        "KAFKA_BOOTSTRAP_SERVERS": settings.resolved_kafka_servers() or "",
        "JWT_SECRET_KEY": secret,
        "API_WORKERS": "2",
        "LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "infinite_scribe.cli", "api", "--port", str(port)]
    process = subprocess.Popen(command, env=env)
    workers: list[psutil.Process] = []
    try:
        wait_for_port(port, timeout=60)
        supervisor = psutil.Process(process.pid)
        signer = settings.model_copy(update={"jwt_secret_key": SecretStr(secret)})
        token = make_token(signer, uuid.uuid4())
        headers = {"Authorization": f"Bearer {token}"}
        base = f"http://127.0.0.1:{port}/api/v1/genesis/sessions"
        with httpx.Client(headers=headers, timeout=10) as client:
            for _ in range(10):  # new connections: the kernel spreads them over the workers
                created = client.post(base, json={}, headers={"Connection": "close"})
                assert created.status_code == 201, created.text
                session = created.json()["session_id"]
                reply = client.post(
                    f"{base}/{session}/commands",
                    json={"command_type": "RequestConceptGeneration", "payload": {}},
                )
                assert reply.status_code == 202, reply.text
        # uvicorn's workers (multiprocessing's resource tracker is a child too, not a worker).
        workers = [
            child
            for child in supervisor.children()
            if "resource_tracker" not in " ".join(child.cmdline())
        ]
        assert len(workers) == 2
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)
    assert not any(worker.is_running() for worker in workers)


def _access_lines(settings: Settings, *flags: str) -> int:
    """`scribe api` with API_WORKERS=2 and `flags`: the uvicorn.access lines of 6 requests."""
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": settings.resolved_database_url() or "",
        "KAFKA_BOOTSTRAP_SERVERS": settings.resolved_kafka_servers() or "",
        "JWT_SECRET_KEY": "s" * 48,
        "API_WORKERS": "2",
        "LOG_LEVEL": "INFO",
        "API_METRICS_PORT": "0",
    }
    command = [sys.executable, "-m", "infinite_scribe.cli", "api", "--port", str(port), *flags]
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_port(port, timeout=60)
        for _ in range(6):  # new connections, spread over both workers
            answer = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=10)
            assert answer.status_code == 200, answer.text
    finally:
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=30)
    return errors.count('"logger":"uvicorn.access"')


def test_no_access_log_holds_in_every_worker(settings: Settings) -> None:
    """Issue 27: the workers' app factory re-configured logging and turned the access log on
    whatever --no-access-log said."""
    assert _access_lines(settings, "--no-access-log") == 0
    assert _access_lines(settings) >= 6  # the same requests are logged when it is on
