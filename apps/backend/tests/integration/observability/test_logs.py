"""Structured logs: one JSON object per line (or readable text) with the request context, the
same for uvicorn's access lines, for the API in-process and for real `scribe` processes."""

import io
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
import uvicorn

from infinite_scribe.cli.up import uvicorn_config
from infinite_scribe.embedded.kafka import free_port
from infinite_scribe.observability.log_context import bind, log_scope
from infinite_scribe.observability.logs import (
    UVICORN_LOGGERS,
    JsonFormatter,
    TextFormatter,
    configure_logging,
)
from infinite_scribe.settings.settings import Settings
from tests.conftest import TEST_JWT_SECRET, make_token

SCRIBE = Path(sys.executable).with_name("scribe")


def record(
    name: str = "app", message: str = "hello %s", args: Any = ("world",)
) -> logging.LogRecord:
    return logging.LogRecord(name, logging.WARNING, __file__, 1, message, args, None)


def test_json_line_has_the_fields_and_the_bound_context() -> None:
    with log_scope(request_id="r-1"):
        bind(user_id=uuid.UUID(int=7), session_id=None, correlation_id="c-1")
        line = orjson.loads(JsonFormatter().format(record()))
    assert line["level"] == "WARNING" and line["logger"] == "app"
    assert line["message"] == "hello world"
    assert line["timestamp"].endswith("Z") and "T" in line["timestamp"]
    assert line["request_id"] == "r-1" and line["correlation_id"] == "c-1"
    assert line["user_id"] == str(uuid.UUID(int=7)) and "session_id" not in line
    # Outside a scope nothing leaks from the last one, and bind is a no-op.
    bind(user_id="x")
    assert "request_id" not in orjson.loads(JsonFormatter().format(record()))


def test_exceptions_and_access_lines_are_structured() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        failing = logging.LogRecord("app", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = orjson.loads(JsonFormatter().format(failing))
    assert "ValueError: boom" in line["exception"]
    access = record(
        "uvicorn.access", '%s - "%s %s HTTP/%s" %d', ("1.2.3.4:5", "GET", "/x", "1.1", 204)
    )
    fields = orjson.loads(JsonFormatter().format(access))
    assert (fields["method"], fields["path"], fields["status"]) == ("GET", "/x", 204)


def test_text_format_is_one_readable_line() -> None:
    with log_scope(request_id="r-2"):
        text = TextFormatter().format(record())
    assert text.endswith("WARNING app: hello world request_id=r-2")


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """configure_logging into a buffer; the logging set-up of the test run restored after."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    saved_uvicorn = {
        name: (list(logging.getLogger(name).handlers), logging.getLogger(name).propagate)
        for name in UVICORN_LOGGERS
    }
    stream = io.StringIO()
    yield stream
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    for name, (handlers, propagate) in saved_uvicorn.items():
        logging.getLogger(name).handlers[:] = handlers
        logging.getLogger(name).propagate = propagate


def serve(settings: Settings) -> tuple[uvicorn.Server, threading.Thread, str]:
    port = free_port()
    server = uvicorn.Server(uvicorn_config(settings, "127.0.0.1", port, access_log=True))
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{port}"


async def test_access_line_carries_request_user_session_and_correlation(
    settings: Settings, clean_db: asyncpg.Pool, captured: io.StringIO
) -> None:
    configure_logging(settings.model_copy(update={"log_format": "json"}), captured)
    server, thread, url = serve(settings)
    user = uuid.uuid4()
    try:
        headers = {"Authorization": f"Bearer {make_token(settings, user)}"}
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
            sid = (await http.post("/api/v1/genesis/sessions")).json()["session_id"]
            payload = {"stage": "CONCEPT_SELECTION", "data": {"title": "T"}}
            confirm = {"command_type": "ConfirmStage", "payload": payload}
            reply = await http.post(
                f"/api/v1/genesis/sessions/{sid}/commands",
                json=confirm,
                headers={"X-Request-ID": "trace-me-1"},
            )
            assert reply.status_code == 200, reply.text
    finally:
        server.should_exit = True
        thread.join(10)
    lines = [orjson.loads(line) for line in captured.getvalue().splitlines()]
    access = [line for line in lines if line["logger"] == "uvicorn.access"]
    command = next(line for line in access if line.get("request_id") == "trace-me-1")
    assert command["user_id"] == str(user) and command["session_id"] == sid
    assert command["correlation_id"] == reply.json()["correlation_id"]
    assert command["method"] == "POST" and command["status"] == 200
    assert all("timestamp" in line and "level" in line for line in lines)
    assert len({line["request_id"] for line in access}) == len(access)  # one id per request


def _scribe(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([str(SCRIBE), *args], env=env, stderr=subprocess.PIPE)


def _json_lines(stderr: bytes) -> list[dict[str, Any]]:
    lines = stderr.decode().splitlines()
    assert lines, "the process logged nothing"
    return [orjson.loads(line) for line in lines]  # every line is one JSON object


def test_api_and_relay_processes_log_json(database_url: str, kafka_bootstrap: str) -> None:
    port, relay_port = free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "JWT_SECRET_KEY": TEST_JWT_SECRET,
        "RELAY_METRICS_PORT": str(relay_port),
        "LOG_FORMAT": "json",
    }
    env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    api = _scribe(["api", "--port", str(port)], env)
    relay = _scribe(["relay"], env)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert api.poll() is None and relay.poll() is None, "a process exited early"
            try:
                reply = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
                httpx.get(f"http://127.0.0.1:{relay_port}/metrics", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the services never answered"
                time.sleep(0.1)
        request_id = reply.headers["x-request-id"]
    finally:
        for process in (api, relay):
            process.send_signal(signal.SIGTERM)
        outputs = [process.communicate(timeout=20)[1] for process in (api, relay)]
    api_lines, relay_lines = (_json_lines(output) for output in outputs)
    health = [line for line in api_lines if line.get("path") == "/api/v1/health"]
    assert health and health[-1]["request_id"] == request_id
    assert any(line["logger"].startswith("infinite_scribe.relay") for line in relay_lines)
