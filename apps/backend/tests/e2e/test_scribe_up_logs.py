"""What `scribe up` prints (issue 77), as a real process with LOG_FORMAT and LOG_ACCESS unset:
its output captured (a file, not a terminal) is JSON, a line per request; on a terminal (a
pseudo-terminal, as `make run` in a shell) it is text, with one short line per write or
failed request and none per read. Neither has a traceback, a loop-lag warning is one line, and
the first start's migrations are one line."""

import contextlib
import os
import pty
import subprocess
import threading
import time

import httpx
import orjson
import pytest

from tests.support.scribe_up import REPOSITORY, ScribeUp

pytestmark = pytest.mark.slow

#: Left to their defaults: what a person who never heard of them gets.
DEFAULTED = ("LOG_FORMAT", "LOG_ACCESS", "LOG_LEVEL")


def _requests(services: dict[str, object]) -> None:
    """A read, a write and a failure."""
    base = str(services["api_url"])
    client = httpx.Client(base_url=base, headers={"Origin": base}, timeout=30)
    assert client.get("/api/v1/health").status_code == 200
    assert client.post("/console/sign-in", data={"dev": "writer"}).status_code == 303
    assert client.get("/api/v1/no-such-thing").status_code == 404


class TerminalScribeUp(ScribeUp):
    """`scribe up` whose stdout and stderr are a pseudo-terminal; what it writes there is
    copied to the log file by a thread (a terminal nobody reads would block it)."""

    def __enter__(self) -> "TerminalScribeUp":
        main, child = pty.openpty()
        self.process = subprocess.Popen(
            self.command,
            env=self.env,
            cwd=REPOSITORY,
            stdin=subprocess.DEVNULL,
            stdout=child,
            stderr=child,
            start_new_session=True,
        )
        os.close(child)
        threading.Thread(target=self._copy, args=(main,), daemon=True).start()
        return self

    def _copy(self, main: int) -> None:
        with open(self.log_path, "ab") as log, contextlib.suppress(OSError):
            while chunk := os.read(main, 65536):  # EIO once the process closed its end
                log.write(chunk)
                log.flush()
        os.close(main)


def _log_lines(output: str) -> list[str]:
    """The log's lines: not the banner (plain lines, indented or the title) nor blank ones."""
    return [
        line
        for line in output.splitlines()
        if line.strip() and not line.startswith(" ") and line != "InfiniteScribe is ready"
    ]


def test_captured_output_is_json_with_a_line_per_request() -> None:
    up = ScribeUp()
    for name in DEFAULTED:
        up.env.pop(name, None)
    with up:
        services = up.wait_healthy()
        up.token()  # the banner is out
        _requests(services)
        up.stop()
        output = up.output
    assert "Traceback" not in output, output[-3000:]
    lines = [orjson.loads(line) for line in _log_lines(output)]  # each one JSON object
    paths = {(x.get("method"), x.get("path"), x.get("status")) for x in lines}
    assert {("GET", "/api/v1/health", 200), ("POST", "/console/sign-in", 303)} <= paths
    assert ("GET", "/api/v1/no-such-thing", 404) in paths
    held = [x["message"] for x in lines if "event loop held" in x["message"]]
    assert all("\n" not in message for message in held), held
    # A first start's migrations: one line, not alembic's hundred (each revision's docstring).
    assert not [x for x in lines if x["logger"].startswith("alembic")], "alembic's INFO lines"
    assert any(x["message"].startswith("database schema upgraded to") for x in lines)


def test_a_terminal_reads_text_and_the_writes_and_failures() -> None:
    up = TerminalScribeUp()
    for name in DEFAULTED:
        up.env.pop(name, None)
    with up:
        services = up.wait_healthy()
        up.token()
        _requests(services)
        up.stop()
        time.sleep(0.5)  # the copying thread's last read
        output = up.output.replace("\r\n", "\n")
    assert "Traceback" not in output, output[-3000:]
    lines = _log_lines(output)
    assert lines and not [line for line in lines if line.startswith("{")], lines[:5]
    assert any(line.endswith(" POST /console/sign-in 303") for line in lines), lines
    assert any(line.endswith(" GET /api/v1/no-such-thing 404") for line in lines), lines
    assert not [line for line in lines if "/api/v1/health" in line], "reads are left out"
    held = [line for line in lines if "event loop held" in line]
    assert not [line for line in output.splitlines() if line.startswith('  File "')], held
