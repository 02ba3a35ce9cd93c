"""The local engine's launcher against the real engine (issue 68): llama-cpp-python's server
with the packaged model answers under the model's name, a killed engine is restarted by the
supervisor on the same port, and a stopped one leaves its port free. Skipped, saying why,
where the engine is not installed (`make model`)."""

import asyncio
import json
import os
import signal
import socket
import urllib.request
from contextlib import closing
from pathlib import Path

import pytest

from infinite_scribe.embedded.local_engine import EngineFailed, LocalEngine, LocalModel
from infinite_scribe.embedded.net import free_port, port_open
from infinite_scribe.embedded.supervisor import Supervisor, engine_child
from tests.support.local_engine import model_or_skip, requires_engine, running_engine

pytestmark = [requires_engine, pytest.mark.engine]


def _get(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url, timeout=10) as reply:
        body: dict[str, object] = json.load(reply)
        return body


def _models(engine: LocalEngine) -> list[str]:
    data = _get(f"{engine.base_url}/models")["data"]
    assert isinstance(data, list)
    return [str(model["id"]) for model in data]


def test_the_engine_serves_the_model_by_its_name_and_stops_with_its_port_free(
    tmp_path: Path,
) -> None:
    with running_engine(tmp_path) as engine:
        assert _models(engine) == [engine.model.name] == ["smollm2"]
        assert engine.alive and engine.pid is not None
        port = engine.port
    assert not engine.alive and not port_open("127.0.0.1", port)
    log = (tmp_path / "local-engine.log").read_text(errors="replace")
    assert "--- starting:" in log and "GET /v1/models" in log


async def test_a_killed_engine_is_restarted_on_its_port(tmp_path: Path) -> None:
    with running_engine(tmp_path) as engine:
        port, first = engine.port, engine.pid
        assert first is not None
        child = engine_child(engine)
        stop = asyncio.Event()
        supervising = asyncio.create_task(Supervisor([child], interval=0.1).run(stop))
        try:
            os.kill(first, signal.SIGKILL)
            deadline = asyncio.get_running_loop().time() + 60
            while child.restarts == 0:
                assert asyncio.get_running_loop().time() < deadline, "never restarted"
                await asyncio.sleep(0.1)
        finally:
            stop.set()
            await supervising
        assert engine.port == port and engine.pid != first
        assert await asyncio.to_thread(_models, engine) == ["smollm2"]


def test_an_engine_that_cannot_start_says_where_its_log_is(tmp_path: Path) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + bytes(64))  # the magic, then nothing a loader accepts
    model_or_skip()  # the engine must be installed, whatever the model
    engine = LocalEngine(LocalModel("broken", broken, 512), tmp_path / "engine.log")
    with pytest.raises(EngineFailed, match=r"exited with .*engine\.log"):
        engine.start(timeout=60)
    assert not engine.alive and not port_open("127.0.0.1", engine.port)


def test_port_and_host_in_the_environment_move_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 79 Q4: llama.cpp's server reads PORT and HOST from the environment over its
    arguments; `make run PORT=8001` with a local model moved the engine off its port (`up` gave
    up after 60 s) and HOST=0.0.0.0 would have put it, keyless, on every interface."""
    elsewhere = free_port()
    monkeypatch.setenv("PORT", str(elsewhere))
    monkeypatch.setenv("HOST", "0.0.0.0")
    with running_engine(tmp_path) as engine:
        assert _models(engine) == ["smollm2"]
        assert not port_open("127.0.0.1", elsewhere), "the engine listens on $PORT"
        outside = _outside_address()
        if outside is not None:
            assert not port_open(outside, engine.port), "the engine listens beyond loopback"


def _outside_address() -> str | None:
    """An address of this machine that is not loopback (None: it has none)."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_DGRAM)) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: the route picks the address
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") or address == "0.0.0.0" else address
