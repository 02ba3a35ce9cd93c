"""The worker registry (issue 38, decision 4003) with `scribe worker` processes of their own:
the overview's count goes 0 -> 1 -> 0 as a worker starts and stops cleanly, and a worker
killed with -9 drops out once three of its beat intervals passed."""

import signal
from pathlib import Path

import asyncpg
import pytest

from infinite_scribe.application.operator import PipelineOverview
from infinite_scribe.persistence.operator.reads import PostgresPipelineQueries
from infinite_scribe.persistence.operator.workers import PostgresWorkerRegistry
from infinite_scribe.settings.settings import Settings
from tests.integration.agents.test_worker_process import WorkerProcess, _until, _workers
from tests.support.agent_stack import stack_settings
from tests.support.fake_llm import FakeLLMServer

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

#: WORKER_REDRIVE_AFTER_SECONDS: the worker beats every third of it (0.5 s here).
REDRIVE_AFTER = "1.5"


async def _count(overview: PipelineOverview) -> int:
    figures = await overview.figures()
    assert figures.registered_workers is not None
    return len(figures.registered_workers)


async def test_the_count_follows_workers_that_start_stop_and_die(
    settings: Settings, clean_db: asyncpg.Pool, tmp_path: Path
) -> None:
    config = stack_settings(settings)
    registry = PostgresWorkerRegistry(clean_db)
    overview = PipelineOverview(PostgresPipelineQueries(clean_db), None, registry)
    assert await _count(overview) == 0
    with FakeLLMServer() as llm, _workers() as workers:
        first = WorkerProcess(config, llm, tmp_path / "first.log")
        first.env["WORKER_REDRIVE_AFTER_SECONDS"] = REDRIVE_AFTER
        workers.append(first.start())
        await first.healthy()

        async def one() -> bool:
            return await _count(overview) == 1

        await _until(one, 30, f"the worker's first beat: {first.output()}")
        [row] = (await overview.figures()).registered_workers or []
        assert first.process is not None
        assert (row.kind, row.pid, row.beat_seconds) == ("agent-worker", first.process.pid, 0.5)

        # A clean stop deletes the row at once (no expiry to wait for).
        first.process.send_signal(signal.SIGTERM)
        assert first.process.wait(20) == 0, first.output()
        assert await _count(overview) == 0
        assert await clean_db.fetchval("SELECT count(*) FROM worker_registry") == 0

        second = WorkerProcess(config, llm, tmp_path / "second.log")
        second.env["WORKER_REDRIVE_AFTER_SECONDS"] = REDRIVE_AFTER
        workers.append(second.start())
        await second.healthy()
        await _until(one, 30, f"the second worker's first beat: {second.output()}")
        assert second.process is not None
        second.process.send_signal(signal.SIGKILL)
        assert second.process.wait(10) == -signal.SIGKILL

        # Its row stays behind, but the overview stops counting it after 3 intervals.
        assert await clean_db.fetchval("SELECT count(*) FROM worker_registry") == 1

        async def none() -> bool:
            return await _count(overview) == 0

        await _until(none, 30, "the killed worker's row to expire")
