"""Where a running `scribe up` serves: `services.json` in SCRIBE_DATA_DIR, written once its
services are up and removed when it stops, so the other commands beside it find its database
and broker without copying URLs by hand.

A file left by an `up` that was killed (-9, power loss) is recognised as stale: its process is
gone, or the pid now belongs to a process started at another time.
"""

import fcntl
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from infinite_scribe.settings.settings import Settings

logger = logging.getLogger(__name__)

FILE_NAME = "services.json"
LOCK_NAME = "up.lock"


class AlreadyRunning(RuntimeError):
    """Another `scribe up` holds the data directory."""


@dataclass(frozen=True)
class RunningServices:
    pid: int
    #: The process's start time in clock ticks since boot (Linux /proc), against pid reuse.
    process_started: int | None
    database_url: str
    kafka_bootstrap_servers: str
    api_url: str
    embedded_database: bool
    embedded_kafka: bool
    #: The cluster id of its broker: the commands beside it refuse any other broker (issue 21).
    kafka_cluster_id: str | None = None
    #: The relay's and the agent worker's /health and /metrics.
    relay_metrics_url: str | None = None
    worker_metrics_url: str | None = None
    #: The local model engine it runs (LLM_LOCAL_MODEL), as an OpenAI-compatible server.
    local_model_url: str | None = None
    local_model_name: str | None = None

    @property
    def alive(self) -> bool:
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass  # someone else's process: alive, but the start time below decides
        started = process_start_ticks(self.pid)
        return self.process_started is None or started == self.process_started


def process_start_ticks(pid: int) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[19])  # field 22 of stat(5); fields[0] is field 3


@contextmanager
def sole_up(data_dir: Path) -> Iterator[None]:
    """Held by `scribe up` for its whole life, so two `up`s started at once on one data
    directory cannot both pass the services.json check. An flock: the kernel releases it when
    the process dies, even by kill -9 (and children do not inherit it: Python's files are
    close-on-exec)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / LOCK_NAME, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise AlreadyRunning(f"another `scribe up` holds {data_dir / LOCK_NAME}") from error
        yield


def services_path(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


def write_services(data_dir: Path, services: RunningServices) -> Path:
    """Atomically (rename) and readable by the owner only: the URL may hold a password."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = services_path(data_dir)
    partial = path.with_suffix(".tmp")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as stream:
        json.dump(asdict(services), stream, indent=2)
    partial.replace(path)
    return path


def remove_services(data_dir: Path, pid: int) -> None:
    """Remove the file if it is still the one process `pid` wrote."""
    found = read_services(data_dir)
    if found is not None and found.pid == pid:
        services_path(data_dir).unlink(missing_ok=True)


def read_services(data_dir: Path) -> RunningServices | None:
    """The file's content (live or stale), or None when there is no readable file."""
    try:
        return RunningServices(**json.loads(services_path(data_dir).read_text()))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError) as error:
        logger.warning("ignoring unreadable %s: %s", services_path(data_dir), error)
        return None


def live_services(data_dir: Path) -> RunningServices | None:
    found = read_services(data_dir)
    return found if found is not None and found.alive else None


def with_running_services(settings: Settings) -> Settings:
    """Fill the database and the broker from a live `scribe up` where the environment names
    none (explicit settings always win), and recognise its embedded database."""
    running = live_services(settings.scribe_data_dir)
    if running is None:
        return settings
    updates: dict[str, object] = {}
    if settings.resolved_database_url() is None:
        updates["database_url"] = running.database_url
    if settings.resolved_kafka_servers() is None:
        updates["kafka_bootstrap_servers"] = running.kafka_bootstrap_servers
    found = settings.model_copy(update=updates)
    # Its database's outbox belongs to its broker: a process using either expects that broker.
    uses_it = (
        found.resolved_database_url() == running.database_url
        or found.resolved_kafka_servers() == running.kafka_bootstrap_servers
    )
    if found.kafka_cluster_id is None and running.kafka_cluster_id and uses_it:
        found = found.model_copy(update={"kafka_cluster_id": running.kafka_cluster_id})
    if found.llm_local_model is not None and found.llm_base_url is None and running.local_model_url:
        # LLM_LOCAL_MODEL beside a running `up`: the engine it runs (a second would not fit)
        found = found.model_copy(
            update={
                "llm_provider": "openai",
                "llm_base_url": running.local_model_url,
                "llm_model": running.local_model_name,
            }
        )
    if running.embedded_database:
        found.mark_embedded_database_of_up(running.database_url)
    return found


def describe_missing(settings: Settings) -> str:
    """Why no running `scribe up` was used: for the error a command prints."""
    found = read_services(settings.scribe_data_dir)
    where = services_path(settings.scribe_data_dir)
    if found is None:
        return f"no running `scribe up` found ({where} does not exist)"
    return f"{where} is stale: `scribe up` (pid {found.pid}) is no longer running"
