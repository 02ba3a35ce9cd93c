"""The harness of the whole-system benches: the services (a fresh database in the system's
outbox mode and a broker, bench/_services.py), the bench's user, the environment and the
processes of the system (`scribe api`, `relay`, `worker`), the CPU each process spends, and the
statistics they report."""

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil

from _services import WATCHED, broker, fresh_database, outbox_mode, system_outbox_mode
from infinite_scribe.api.auth import create_access_token
from infinite_scribe.embedded.kafka import free_port, port_open
from infinite_scribe.settings.settings import Settings

HOST = "127.0.0.1"
TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class BenchUser:
    """The one user a bench's requests come from, with the secret the API verifies its token by."""

    secret: str
    headers: dict[str, str]


def bench_user() -> BenchUser:
    secret = secrets.token_urlsafe(48)
    token = create_access_token(Settings(jwt_secret_key=secret), uuid.uuid4())  # type: ignore[arg-type]
    return BenchUser(secret, {"Authorization": f"Bearer {token}"})


def system_env(database_url: str, servers: str, secret: str, **extra: str) -> dict[str, str]:
    """The environment of the system's processes: these services, quiet logs, metrics on free
    ports; `extra` adds to it or overrides it."""
    return os.environ | {
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": servers,
        "JWT_SECRET_KEY": secret,
        "LOG_LEVEL": "WARNING",
        "RELAY_METRICS_PORT": "0",
        "WORKER_METRICS_PORT": "0",
        **extra,
    }


@contextmanager
def services() -> Iterator[tuple[str, str]]:
    """A fresh database (DATABASE_URL's server or embedded) in the system's outbox mode, and a
    broker, for this run."""
    with fresh_database() as database_url, broker() as servers:
        mode = system_outbox_mode()
        print(f"outbox mode: {mode} (BENCH_OUTBOX_MODE)", flush=True)
        with outbox_mode(database_url, mode):
            yield database_url, servers


@contextmanager
def api_process(
    database_url: str, servers: str, secret: str, profile: str | None
) -> Iterator[tuple[int, int]]:
    """`scribe api` as production runs it: one uvicorn process, no reload, INFO logs."""
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": servers,
        "JWT_SECRET_KEY": secret,
        "LOG_LEVEL": "INFO",
    }
    command = ["-m", "infinite_scribe.cli", "api", "--host", HOST, "--port", str(port)]
    command.append("--no-access-log")
    if profile:
        command = ["-m", "pyinstrument", "-r", "text", "--show-all", "-o", profile, *command]
    process = subprocess.Popen([sys.executable, *command], env=env)
    try:
        deadline = time.monotonic() + 30
        while not port_open(HOST, port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("scribe api did not start")
            time.sleep(0.1)
        yield port, process.pid
    finally:
        stop(process, signal.SIGINT, 30)


@contextmanager
def background(command: str, env: dict[str, str], profile: str | None = None) -> Iterator[int]:
    """`scribe <command>` as a process of its own (under pyinstrument with `profile`); yields
    its pid."""
    args = ["-m", "infinite_scribe.cli", command]
    if profile:
        args = ["-m", "pyinstrument", "-r", "text", "--show-all", "-o", profile, *args]
    process = subprocess.Popen([sys.executable, *args], env=env)
    try:
        time.sleep(1.0)
        if process.poll() is not None:
            raise RuntimeError(f"scribe {command} exited with {process.returncode}")
        yield process.pid
    finally:
        stop(process, signal.SIGTERM, 20)


def stop(process: subprocess.Popen[bytes], signum: int, seconds: float) -> None:
    """`signum` to a process, then SIGKILL if it has not exited within `seconds`."""
    process.send_signal(signum)
    try:
        process.wait(seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def api_port(env: dict[str, str]) -> Iterator[tuple[int, int]]:
    """`scribe api` as a process of its own; its port once it listens, and its pid. Waited for
    longer than bench/commands.py's 30 s: on the shared, loaded machine its imports alone took
    30 s."""
    port = free_port()
    with background("api", env | {"API_HOST": HOST, "API_PORT": str(port)}) as pid:
        deadline = time.monotonic() + 300
        while not port_open(HOST, port):
            if time.monotonic() > deadline:
                raise RuntimeError("scribe api did not start")
            time.sleep(0.2)
        yield port, pid


# CPU per process: the one way every bench counts what a process spent (Linux /proc, psutil).


def cpu_times(pid: int) -> tuple[float, float]:
    """User and system CPU seconds of a process, all its threads included (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) / TICK, int(fields[12]) / TICK


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process."""
    return sum(cpu_times(pid))


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its children (PostgreSQL's backends are the
    postmaster's children); 0.0 once it is gone."""
    try:
        process = psutil.Process(pid)
        total = sum(process.cpu_times()[:2])
        for child in process.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                total += sum(child.cpu_times()[:2])
        return total
    except psutil.Error:
        return 0.0


def cpu_snapshot() -> dict[str, float]:
    """CPU seconds so far of each watched service (_services.WATCHED), children included."""
    return {name: tree_cpu_seconds(pid) for name, pid in WATCHED.items()}


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds of a process's threads by thread name (the relay: its event loop, the slot
    stream, librdkafka's threads)."""
    found: dict[str, float] = {}
    with contextlib.suppress(psutil.Error, OSError):
        for thread in psutil.Process(pid).threads():
            name = Path(f"/proc/{pid}/task/{thread.id}/comm").read_text().strip()
            name = "rdkafka" if name.startswith("rdk:") else name
            found[name] = found.get(name, 0.0) + thread.user_time + thread.system_time
    return found


def per_event(before: dict[str, float], after: dict[str, float], events: int) -> str:
    """`after - before` per event in microseconds, largest first."""
    spent = {name: (after[name] - before.get(name, 0.0)) * 1e6 / events for name in after}
    return ", ".join(
        f"{name} {us:.1f} us" for name, us in sorted(spent.items(), key=lambda kv: -kv[1]) if us
    )


# A writer's book.

CAST = {"characters": [{"name": "Mara Quinn", "description": "Mara Quinn has red hair."},
                       {"name": "Ilya Brandt", "description": "An old doctor."}]}  # fmt: skip


def novel_bible(chapters: int) -> dict[str, dict[str, Any]]:
    outline = [{"title": f"Chapter {n}", "summary": "Mara at sea"} for n in range(1, chapters + 1)]
    return {
        "CONCEPT_SELECTION": {"title": "Salt Harbour", "logline": "A pilot and a doctor."},
        "STORY_CONCEPTION": {"premise": "A storm hides a crime."},
        "WORLDVIEW": {"locations": [{"name": "Port Sable", "description": "a harbour"}]},
        "CHARACTERS": CAST,
        "PLOT_OUTLINE": {"chapters": outline},
    }


async def finished_novel(http: httpx.AsyncClient, chapters: int) -> str:
    """A novel of `chapters` outlined chapters, its five stages confirmed over HTTP."""
    session = (await http.post("/api/v1/genesis/sessions")).json()["session_id"]
    for stage, data in novel_bible(chapters).items():
        body = {"command_type": "ConfirmStage", "payload": {"stage": stage, "data": data}}
        reply = await http.post(f"/api/v1/genesis/sessions/{session}/commands", json=body)
        assert reply.status_code == 200, reply.text
    return str((await http.get(f"/api/v1/genesis/sessions/{session}/state")).json()["novel_id"])


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0
