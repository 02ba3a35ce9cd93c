"""The real API server process (`scribe api`, uvicorn with the project's HTTP protocol) for the
hostile-input tests, and raw-socket clients that misbehave the way an attacker does."""

import os
import resource
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from infinite_scribe.embedded.kafka import free_port
from infinite_scribe.settings.settings import Settings

#: The read timeout the test server runs with (the default is 30 s).
READ_TIMEOUT_SECONDS = 2.0


class ApiProcess:
    def __init__(self, process: subprocess.Popen[bytes], port: int, serving_since: float) -> None:
        self.process = process
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        #: When (epoch seconds) the probe that got the first answer set out: uvicorn listens only
        #: once the app's startup (lifespan) has finished, so what it logged before is startup's.
        self.serving_since = serving_since

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS")


def _environment(settings: Settings, extra_env: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=str(settings.database_url),
        KAFKA_BOOTSTRAP_SERVERS=str(settings.kafka_bootstrap_servers),
        KAFKA_TOPIC=settings.kafka_topic,
        JWT_SECRET_KEY=settings.jwt_secret_key.get_secret_value(),
        HTTP_READ_TIMEOUT_SECONDS=str(READ_TIMEOUT_SECONDS),
        LOG_LEVEL="WARNING",
        API_METRICS_PORT="0",
    )
    env.update(extra_env)  # a test's own values win (a proxied DATABASE_URL, limits)
    return env


@contextmanager
def api_process(
    settings: Settings,
    *,
    max_open_files: int | None = None,
    log: Path | None = None,
    **extra_env: str,
) -> Iterator[ApiProcess]:
    """`scribe api` on a free port (`log`: where its log lines go; else nowhere)."""
    port = free_port()
    env = _environment(settings, extra_env)
    command = [sys.executable, "-m", "infinite_scribe.cli", "api", "--port", str(port)]

    def limit_files() -> None:  # in the child, before exec: its own RLIMIT_NOFILE
        if max_open_files is not None:
            hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
            resource.setrlimit(resource.RLIMIT_NOFILE, (max_open_files, hard))

    output = log.open("ab") if log is not None else subprocess.DEVNULL
    process = subprocess.Popen(
        [*command, "--no-access-log"],
        env=env,
        stdout=output,
        stderr=output,
        preexec_fn=limit_files,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            probed = time.time()
            try:
                httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=5)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise AssertionError("scribe api did not start") from None
                time.sleep(0.2)
        yield ApiProcess(process, port, serving_since=probed)
    finally:
        if log is not None:
            output.close()  # type: ignore[union-attr]
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def status_of(answer: bytes) -> int:
    """The status code of a raw HTTP answer (0: none arrived)."""
    parts = answer.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def read_answer(sock: socket.socket, timeout: float = 10.0) -> bytes:
    sock.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (TimeoutError, ConnectionResetError):
        pass
    return data


def read_response(sock: socket.socket, timeout: float = 10.0) -> bytes:
    """One whole answer (head and its Content-Length body), without waiting for the connection
    to close (it may be kept alive); b"" when none arrives within `timeout`."""
    sock.settimeout(timeout)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return data
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lengths = [
            line for line in head.lower().split(b"\r\n") if line.startswith(b"content-length:")
        ]
        length = int(lengths[0].split(b":", 1)[1]) if lengths else 0
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        return head + b"\r\n\r\n" + body
    except (TimeoutError, ConnectionResetError):
        return data


def send_then_read(port: int, head: bytes, body_pieces: Iterator[bytes]) -> bytes:
    """Send `head` and body pieces until the server stops reading, then read what it said."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        try:
            sock.sendall(head)
            for piece in body_pieces:
                sock.sendall(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass
        return read_answer(sock)


def chunks(total: int, size: int = 65536) -> Iterator[bytes]:
    piece = b"%x\r\n" % size + b"a" * size + b"\r\n"
    for _ in range(total // size):
        yield piece
    yield b"0\r\n\r\n"


class PeakRss:
    """Samples the server's RSS in a thread while attacks run."""

    def __init__(self, server: ApiProcess) -> None:
        self.server = server
        self.before = server.rss_mb()
        self.peak = self.before
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, self.server.rss_mb())
            time.sleep(0.02)

    def __enter__(self) -> "PeakRss":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        self._thread.join()
