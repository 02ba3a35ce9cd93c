"""Retention: sessions trashed longer than TRASH_RETENTION_DAYS are purged by
`scribe trash purge-expired` and by the sweeper `scribe up` runs; and the trash events travel
the outbox to Kafka, the Purged tombstone last."""

import asyncio
import time
import uuid
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import orjson
import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
from typer.testing import CliRunner

from infinite_scribe.cli import app
from infinite_scribe.cli.trash import run_trash_sweeper
from infinite_scribe.settings.settings import Settings
from tests.support.genesis_client import new_session, state
from tests.support.relay import running_relay
from tests.support.trash import ok, purge, restore, trash

runner = CliRunner()


async def backdate(pool: asyncpg.Pool, session_id: UUID, days: float) -> None:
    await pool.execute(
        "UPDATE genesis_sessions SET trashed_at = trashed_at - make_interval(secs => $2) "
        "WHERE id = $1",
        session_id,
        days * 86400,
    )


async def exists(pool: asyncpg.Pool, session_id: UUID) -> bool:
    return bool(
        await pool.fetchval("SELECT count(*) FROM genesis_sessions WHERE id = $1", session_id)
    )


async def test_purge_expired_purges_only_what_outlived_the_retention(
    http: httpx.AsyncClient, pool: asyncpg.Pool, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, recent, restored = [await new_session(http) for _ in range(3)]
    for session_id in (old, recent, restored):
        ok(await trash(http, session_id))
    ok(await restore(http, restored))
    await backdate(pool, old, 31)
    monkeypatch.setenv("DATABASE_URL", database_url)
    result = await asyncio.to_thread(runner.invoke, app, ["trash", "purge-expired"])
    assert result.exit_code == 0, result.output
    assert "purged 1 session(s) trashed more than 30 day(s) ago" in result.output
    assert not await exists(pool, old)
    assert (await state(http, recent))["trashed"] and not (await state(http, restored))["trashed"]
    tombstone = await pool.fetchrow(
        "SELECT payload, metadata FROM domain_events WHERE aggregate_id = $1 "
        "AND event_type = 'Genesis.Session.Purged'",
        str(old),
    )
    assert tombstone["payload"]["reason"] == "retention"
    assert tombstone["metadata"]["source_service"] == "trash-sweeper"
    again = await asyncio.to_thread(runner.invoke, app, ["trash", "purge-expired"])
    assert "purged 0 session(s)" in again.output  # idempotent
    assert ok(await purge(http, old))["changed"] is False  # the owner's DELETE agrees


async def test_the_sweeper_in_scribe_up_purges_expired_trash_and_stops_on_request(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    session_id = await new_session(http)
    ok(await trash(http, session_id))
    await backdate(pool, session_id, 2)
    fast = settings.model_copy(update={"trash_retention_days": 1.0, "trash_sweep_interval": 0.2})
    stop = asyncio.Event()
    sweeper = asyncio.create_task(run_trash_sweeper(fast, stop))
    try:
        deadline = time.monotonic() + 20
        while await exists(pool, session_id):
            assert time.monotonic() < deadline, "the sweeper did not purge the expired session"
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await asyncio.wait_for(sweeper, 5)  # stops within one interval, without cancelling


def read_key(servers: str, topic: str, key: str, last_type: str) -> list[dict[str, Any]]:
    """The values published under `key`, in partition order, until `last_type` arrives."""
    consumer = Consumer({"bootstrap.servers": servers, "group.id": f"t-{uuid.uuid4().hex}"})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        values: list[dict[str, Any]] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for message in consumer.consume(500, 0.2):
                if message.error() or message.key() != key.encode():
                    continue
                value = orjson.loads(message.value())
                if value["event_id"] not in {v["event_id"] for v in values}:
                    values.append(value)
            if values and values[-1]["event_type"] == last_type:
                return values
        raise AssertionError(f"{last_type} never arrived; got {[v['event_type'] for v in values]}")
    finally:
        consumer.close()


async def test_trash_events_reach_kafka_in_order_with_the_tombstone_last(
    http: httpx.AsyncClient, settings: Settings, kafka_bootstrap: str
) -> None:
    session_id = await new_session(http, initial_user_input={"idea": "kept private"})
    async with running_relay(settings):
        ok(await trash(http, session_id))
        ok(await restore(http, session_id))
        ok(await trash(http, session_id))
        ok(await purge(http, session_id))
        values = await asyncio.to_thread(
            read_key,
            kafka_bootstrap,
            settings.kafka_topic,
            str(session_id),
            "Genesis.Session.Purged",
        )
    assert [v["event_type"].rsplit(".", 1)[1] for v in values] == [
        "Created",
        "Trashed",
        "Restored",
        "Trashed",
        "Purged",
    ]
    assert [v["aggregate_version"] for v in values] == [1, 2, 3, 4, 5]
    assert values[-1]["payload"]["erased_through_version"] == 4
