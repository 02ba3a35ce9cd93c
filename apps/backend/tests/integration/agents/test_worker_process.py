"""`scribe worker` as a process of its own, killed with SIGKILL in the middle of a generation:
a new worker process takes the request over (the offset was never stored) and the task
completes with exactly one proposal. SIGTERM exits 0, on an idle worker and in the middle of a
generation (which is abandoned, nothing committed, and answered by the next worker). The API
and the relay run in the test; the LLM is the fake HTTP server."""

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from infinite_scribe.composition.relay import build_relay
from infinite_scribe.domain.genesis import CONCEPT_GENERATION_REQUESTED, CONCEPT_PROPOSED
from infinite_scribe.embedded.kafka import free_port
from infinite_scribe.settings.settings import Settings
from tests.conftest import LiveServer
from tests.support.agent_stack import client, events_of, stack_settings, wait_task
from tests.support.fake_llm import FakeLLMServer, Reply

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

SCRIBE = Path(sys.executable).with_name("scribe")
REQUEST = {
    "command_type": "RequestConceptGeneration",
    "payload": {"theme_preferences": ["科幻", "悬疑"], "style_preferences": ["快节奏"]},
}


class WorkerProcess:
    """`scribe worker` with the stack's settings; its output goes to a log file."""

    def __init__(self, config: Settings, llm: FakeLLMServer, log: Path) -> None:
        self.port = free_port()
        self.log = log
        self.env = {
            **os.environ,
            "DATABASE_URL": config.resolved_database_url() or "",
            "KAFKA_BOOTSTRAP_SERVERS": config.resolved_kafka_servers() or "",
            "KAFKA_TOPIC": config.kafka_topic,
            "WORKER_CONSUMER_GROUP": config.worker_consumer_group,
            "WORKER_METRICS_PORT": str(self.port),
            "WORKER_SESSION_TIMEOUT_MS": "3000",
            "WORKER_RETRY_BACKOFF_SECONDS": "0.05",
            "LLM_PROVIDER": "openai",
            "LLM_BASE_URL": llm.base_url,
            "LLM_MODEL": FakeLLMServer.MODEL,
            "LLM_MAX_RETRIES": "0",
            "LLM_TIMEOUT_SECONDS": "60",
            "LOG_LEVEL": "INFO",
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "WorkerProcess":
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [str(SCRIBE), "worker"], env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        return self

    async def healthy(self) -> None:
        assert self.process is not None
        deadline = asyncio.get_running_loop().time() + 30
        async with httpx.AsyncClient(timeout=1) as http:
            while asyncio.get_running_loop().time() < deadline:
                assert self.process.poll() is None, f"the worker exited: {self.output()}"
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get(f"http://127.0.0.1:{self.port}/health")).is_success:
                        return
                await asyncio.sleep(0.1)
        raise AssertionError(f"the worker never became healthy: {self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@contextlib.contextmanager
def _workers() -> Iterator[list[WorkerProcess]]:
    started: list[WorkerProcess] = []
    try:
        yield started
    finally:
        for worker in started:
            worker.stop()


@contextlib.asynccontextmanager
async def _api_and_relay(config: Settings) -> AsyncIterator[LiveServer]:
    stop = asyncio.Event()
    relay = asyncio.create_task(build_relay(config).run(stop))
    server = LiveServer(config)
    await asyncio.to_thread(server.start)
    try:
        yield server
    finally:
        stop.set()
        await asyncio.to_thread(server.stop)
        await asyncio.wait_for(asyncio.gather(relay, return_exceptions=True), 30)


async def _generation_under_way(
    http: httpx.AsyncClient, llm: FakeLLMServer, worker: WorkerProcess
) -> tuple[str, str]:
    """Request a concept on a new session; return the session and task ids once `worker` is
    calling the model (the moment the kill and SIGTERM tests interrupt)."""
    sid = (await http.post("/api/v1/genesis/sessions")).json()["session_id"]
    reply = await http.post(f"/api/v1/genesis/sessions/{sid}/commands", json=REQUEST)
    assert reply.status_code == 202, reply.text

    async def generating() -> bool:
        return len(llm.requests) >= 1

    await _until(generating, 60, f"the first worker to call the model: {worker.output()}")
    return sid, str(reply.json()["task_id"])


async def _until(check: Callable[[], Awaitable[bool]], within: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def test_kill_9_mid_generation_then_a_new_worker_completes_the_task_once(
    settings: Settings, clean_db: asyncpg.Pool, tmp_path: Path
) -> None:
    config = stack_settings(settings)
    with (
        FakeLLMServer(default=Reply.slow(60)) as llm,
        _workers() as workers,
    ):
        first = WorkerProcess(config, llm, tmp_path / "first.log").start()
        workers.append(first)
        await first.healthy()
        async with _api_and_relay(config) as server, client(server, config, uuid.uuid4()) as http:
            sid, task_id = await _generation_under_way(http, llm, first)
            running = (await http.get(f"/api/v1/tasks/{task_id}")).json()
            assert running["status"] == "RUNNING", running

            assert first.process is not None
            first.process.send_signal(signal.SIGKILL)
            assert first.process.wait(10) == -signal.SIGKILL
            events = await events_of(clean_db, sid)
            assert not [e for e in events if e["event_type"] == CONCEPT_PROPOSED]

            llm.default = Reply.valid()  # the model is fast now
            second = WorkerProcess(config, llm, tmp_path / "second.log").start()
            workers.append(second)
            await second.healthy()
            done = await wait_task(http, task_id, 90)
            assert done["status"] == "COMPLETED", (done, second.output())
            assert done["result"]["source"] == "llm"
            assert len(llm.requests) >= 2  # the second worker asked the model again

            # A little longer: a second answer (redelivery, re-drive) would show up now.
            await asyncio.sleep(2)
            events = await events_of(clean_db, sid)
            proposals = [e for e in events if e["event_type"] == CONCEPT_PROPOSED]
            assert len(proposals) == 1, [e["event_type"] for e in events]
            [request] = [e for e in events if e["event_type"] == CONCEPT_GENERATION_REQUESTED]
            assert proposals[0]["causation_id"] == request["event_id"]
            assert proposals[0]["correlation_id"] == request["correlation_id"]
            ledger = await clean_db.fetchval(
                "SELECT count(*) FROM processed_messages WHERE event_id = $1", request["event_id"]
            )
            assert ledger == 1
            state = (await http.get(f"/api/v1/genesis/sessions/{sid}/state")).json()
            assert state["is_pending"] is False and state["last_result"] == done["result"]

        # Idle now: SIGTERM stops the worker cleanly.
        assert second.process is not None
        second.process.send_signal(signal.SIGTERM)
        assert second.process.wait(20) == 0, second.output()


async def test_sigterm_mid_generation_exits_0_commits_nothing_and_the_next_worker_answers(
    settings: Settings, clean_db: asyncpg.Pool, tmp_path: Path
) -> None:
    config = stack_settings(settings)
    with (
        FakeLLMServer(default=Reply.slow(60)) as llm,
        _workers() as workers,
    ):
        first = WorkerProcess(config, llm, tmp_path / "first.log")
        first.env["WORKER_SHUTDOWN_GRACE_SECONDS"] = "1"
        workers.append(first.start())
        await first.healthy()
        async with _api_and_relay(config) as server, client(server, config, uuid.uuid4()) as http:
            sid, task_id = await _generation_under_way(http, llm, first)
            assert first.process is not None
            first.process.send_signal(signal.SIGTERM)
            assert await asyncio.to_thread(first.process.wait, 20) == 0, first.output()

            # The abandoned generation left nothing behind but a task still to be done.
            events = [e["event_type"] for e in await events_of(clean_db, sid)]
            assert not any(e.endswith((".Proposed", ".Failed")) for e in events), events
            assert await clean_db.fetchval("SELECT count(*) FROM processed_messages") == 0
            pending = (await http.get(f"/api/v1/tasks/{task_id}")).json()
            assert pending["status"] in ("PENDING", "RUNNING"), pending

            llm.default = Reply.valid()
            second = WorkerProcess(config, llm, tmp_path / "second.log")
            workers.append(second.start())
            done = await wait_task(http, task_id, 90)
            assert done["status"] == "COMPLETED", (done, second.output())
            await asyncio.sleep(1)
            events = [e["event_type"] for e in await events_of(clean_db, sid)]
            assert events.count(CONCEPT_PROPOSED) == 1, events


async def test_trash_mid_generation_lets_it_finish_and_restore_shows_the_proposal(
    settings: Settings, clean_db: asyncpg.Pool, tmp_path: Path
) -> None:
    """Issue 28, A4, decided by 0810/2803: trashing cancels nothing. The running generation
    (the real worker process) is not stopped by the trash event; its proposal lands in the
    trashed session, which stays trashed, and a restore shows it."""
    config = stack_settings(settings)
    with FakeLLMServer(default=Reply.slow(3)) as llm, _workers() as workers:
        worker = WorkerProcess(config, llm, tmp_path / "worker.log").start()
        workers.append(worker)
        await worker.healthy()
        async with _api_and_relay(config) as server, client(server, config, uuid.uuid4()) as http:
            sid, task_id = await _generation_under_way(http, llm, worker)
            trashed = await http.post(f"/api/v1/genesis/sessions/{sid}/trash")
            assert trashed.status_code == 200, trashed.text
            done = await wait_task(http, task_id, 30)
            assert done["status"] == "COMPLETED", (done, worker.output())
            assert "model call stopped" not in worker.output()
            inside = (await http.get(f"/api/v1/genesis/sessions/{sid}/state")).json()
            assert inside["trashed"] and inside["last_result"] == done["result"], inside
            assert (await http.post(f"/api/v1/genesis/sessions/{sid}/restore")).is_success
            back = (await http.get(f"/api/v1/genesis/sessions/{sid}/state")).json()
            assert not back["trashed"] and back["last_result"] == done["result"]
            assert back["is_pending"] is False
