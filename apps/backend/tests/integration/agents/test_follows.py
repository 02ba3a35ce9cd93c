"""Drafts only for followed streams (issue 40, decision 4002): the API records the streams it
serves in `stream_follows`, the worker reads them for its generations, and a session nobody
follows gets no draft on the drafts topic, while a followed one gets them and its final text."""

import asyncio
import json
import time
import uuid

import asyncpg
import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from infinite_scribe.kafka.drafts import drafts_topic
from infinite_scribe.settings.settings import Settings
from tests.integration.agents.test_concurrency import ask, session, stack
from tests.support.agent_stack import client, stack_settings, wait_task
from tests.support.sse_client import open_stream

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def _drafts(servers: str, topic: str) -> list[dict[str, object]]:
    """Every draft on the topic (read from its start until it is quiet)."""
    consumer = Consumer({"bootstrap.servers": servers, "group.id": f"t-{uuid.uuid4().hex[:6]}"})
    try:
        partitions = consumer.list_topics(topic, timeout=5).topics[topic].partitions
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        found, deadline, quiet = [], time.monotonic() + 20, time.monotonic() + 3
        while time.monotonic() < min(deadline, quiet):
            message = consumer.poll(0.2)
            if message is not None and message.error() is None:
                found.append(json.loads(message.value()))
                quiet = time.monotonic() + 2
        return found
    finally:
        consumer.close()


async def test_only_the_followed_session_gets_drafts(
    settings: Settings, clean_db: asyncpg.Pool
) -> None:
    config = stack_settings(settings, llm_offline_stream_seconds=1.0)
    async with stack(config) as (server, _), client(server, config, uuid.uuid4()) as http:
        followed, alone = await session(http), await session(http)
        async with open_stream(http, followed) as stream:
            await stream.next()  # open: the hub records the follow at once
            live = "SELECT expires_at > now() FROM stream_follows WHERE session_id = $1"
            for _ in range(50):
                if await clean_db.fetchval(live, uuid.UUID(followed)):
                    break
                await asyncio.sleep(0.1)
            assert await clean_db.fetchval(live, uuid.UUID(followed))
            tasks = [await ask(http, followed), await ask(http, alone)]
            finished = [await wait_task(http, task, 60) for task in tasks]
        assert [t["status"] for t in finished] == ["COMPLETED", "COMPLETED"]
    assert not await clean_db.fetchval(
        "SELECT count(*) FROM stream_follows WHERE session_id = $1", uuid.UUID(alone)
    )
    servers = config.resolved_kafka_servers() or ""
    drafts = await asyncio.to_thread(_drafts, servers, drafts_topic(config.kafka_topic))
    assert {d["session_id"] for d in drafts} == {followed}, drafts
    # The final text arrives: the last draft is the whole proposal's JSON.
    last = max(drafts, key=lambda d: int(d["sequence"]))  # type: ignore[arg-type]
    assert json.loads(str(last["text"]))["concepts"]
