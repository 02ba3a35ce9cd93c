"""A generation's start is a claim the re-drive recovers (decision 7203): it commits without
waiting for the WAL flush, so a crash of PostgreSQL may lose it. PostgreSQL killed (-9) between
a generation's start and its answer: the generation is answered once, after the restart."""

import asyncio
import shutil
import tempfile
import uuid
from pathlib import Path

import asyncpg
import pytest

from infinite_scribe.embedded.postgres import EmbeddedPostgres
from infinite_scribe.persistence import migrate
from infinite_scribe.settings.settings import Settings
from tests.support.agent_stack import agent_stack, client, stack_settings, wait_task
from tests.support.fake_llm import FakeLLMServer, Reply
from tests.support.postgres_crash import crash_and_restart

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


async def _until_running(url: str, task_id: str) -> None:
    for _ in range(600):
        connection = await asyncpg.connect(url)
        try:
            status = await connection.fetchval(
                "SELECT status::text FROM async_tasks WHERE id = $1::uuid", task_id
            )
        finally:
            await connection.close()
        if status == "RUNNING":
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the generation never started")


async def _proposals(url: str, session_id: str) -> int:
    connection = await asyncpg.connect(url)
    try:
        count = await connection.fetchval(
            "SELECT count(*) FROM domain_events WHERE aggregate_id = $1 "
            "AND event_type LIKE '%Proposed'",
            session_id,
        )
    finally:
        await connection.close()
    return int(count)


async def test_postgres_killed_between_a_start_and_its_answer_answers_once(
    settings: Settings,
) -> None:
    # Not under pytest's tmp_path: concurrent pytest runs of the same user rotate those away.
    root = Path(tempfile.mkdtemp(prefix="scribe-start-"))
    postgres = EmbeddedPostgres(root / "pg", database="starts")
    url = await asyncio.to_thread(postgres.start)
    await asyncio.to_thread(migrate.upgrade, url)
    try:
        with FakeLLMServer(default=Reply.slow(2.0)) as llm:
            config = stack_settings(
                settings,
                database_url=url,
                llm_provider="openai",
                llm_base_url=llm.base_url,
                llm_model=llm.MODEL,
                worker_redrive_after_seconds=1.0,
                worker_redrive_interval_seconds=0.5,
            )
            async with (
                agent_stack(config) as server,
                client(server, config, uuid.uuid4()) as http,
            ):
                sid = (await http.post("/api/v1/genesis/sessions")).json()["session_id"]
                reply = await http.post(
                    f"/api/v1/genesis/sessions/{sid}/commands",
                    json={"command_type": "RequestConceptGeneration", "payload": {}},
                )
                task_id = reply.json()["task_id"]
                await _until_running(url, task_id)  # started; the model answers in 2 s
                await crash_and_restart(postgres)
                task = await wait_task(http, task_id, within=90)
            assert task["status"] == "COMPLETED", task
            assert await _proposals(url, sid) == 1
            print(f"\nmodel requests: {len(llm.requests)}")
    finally:
        await asyncio.to_thread(postgres.stop)
        shutil.rmtree(root, ignore_errors=True)
