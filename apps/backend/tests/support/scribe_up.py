"""A real `scribe up` (or `make run`) process for end-to-end tests: its own data directory, its
output in a file (a pipe nobody reads would block it under load), and what it announces."""

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

CLI = [sys.executable, "-m", "infinite_scribe.cli"]
#: Variables that would point `up` at the test run's services instead of its embedded ones.
UNSET = (
    "DATABASE_URL",
    "POSTGRES_HOST",
    "KAFKA_BOOTSTRAP_SERVERS",
    "KAFKA_HOST",
    "JWT_SECRET_KEY",
    "KAFKA_CLUSTER_ID",
    "API_PORT",
    "PORT",
)
REPOSITORY = Path(__file__).resolve().parents[4]


def environment(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in UNSET}
    env |= {"SCRIBE_DATA_DIR": str(data_dir), "SCRIBE_ENV_FILE": ""} | extra
    return env


def process_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] not in ("Z", "X"):
            found.add(int(entry.name))
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
    except OSError:
        return ""


def _in_group(pid: int, group: int) -> bool:
    try:
        return os.getpgid(pid) == group
    except ProcessLookupError:
        return False


def named_port() -> int:
    """A free loopback port for a server told its port in advance (`make run PORT=`,
    API_PORT). Drawn below the kernel's ephemeral range: a port from `free_port` (bind to 0)
    is one the kernel may hand any other socket before the server binds it, and once did (a
    side-by-side `make run` lost its API port to another socket while its services started)."""
    ephemeral = Path("/proc/sys/net/ipv4/ip_local_port_range")
    low = int(ephemeral.read_text().split()[0]) if ephemeral.exists() else 32768
    for _ in range(200):
        port = random.randrange(max(1024, low - 12000), low)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port below the ephemeral range")


class ScribeUp:
    """`scribe up` in a fresh data directory; use as a context manager."""

    def __init__(self, command: list[str] | None = None, **env: str) -> None:
        self.data_dir = Path(tempfile.mkdtemp(prefix="scribe-up-"))
        self.log_path = self.data_dir.parent / f"{self.data_dir.name}.log"
        # A free API port unless the test names one: the default 8000 may be a developer's
        # `make run`, or another test process's `scribe up` (make test runs two at once).
        self.env = environment(self.data_dir, **({"API_PORT": str(named_port())} | env))
        self.command = command or [*CLI, "up"]
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> "ScribeUp":
        with open(self.log_path, "wb") as log:
            # A session of its own: `make run` is stopped with its child through the group.
            self.process = subprocess.Popen(
                self.command,
                env=self.env,
                cwd=REPOSITORY,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)
        self.log_path.unlink(missing_ok=True)

    @property
    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def services(self, within: float = 90) -> dict[str, Any]:
        """services.json once it is written by the process we started."""
        path = self.data_dir / "services.json"
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            assert self.process is not None and self.process.poll() is None, self.output[-3000:]
            try:
                found: dict[str, Any] = json.loads(path.read_text())
            except (OSError, ValueError):
                found = {}
            if isinstance(found.get("pid"), int) and _in_group(found["pid"], self.process.pid):
                return found
            time.sleep(0.2)
        raise AssertionError(f"no services.json: {self.output[-3000:]}")

    def wait_healthy(self, within: float = 90) -> dict[str, Any]:
        services = self.services(within)
        url = f"{services['api_url']}/api/v1/health"
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            try:
                response = httpx.get(url, timeout=2)
                if response.status_code == 200:
                    return services
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"{url} never healthy: {self.output[-3000:]}")

    def token(self, within: float = 30) -> str:
        """The banner's dev token. The banner is printed by a task that sees the API listen
        (cli/up.py `_when_started`), so `/health` may answer before it is written: wait."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            lines = self.output.splitlines()
            for index, line in enumerate(lines[:-1]):
                # "  dev token (user ..., 7 days):" (the console line mentions it too)
                if line.strip().startswith("dev token"):
                    return lines[index + 1].strip()
            time.sleep(0.1)
        raise AssertionError(f"no dev token in the banner: {self.output[-3000:]}")

    def broker_pids(self) -> set[int]:
        services = self.services()
        return {pid for pid in children_of(int(services["pid"])) if "tansu" in cmdline(pid)}

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
