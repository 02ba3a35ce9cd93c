"""The console's operator actions over real HTTP against the real database and broker:
requeue and dead-letter replay/discard, audited and idempotent (a double submit, even a
concurrent one, acts once), and the event chain."""

import asyncio
import re
import time
import uuid

import asyncpg
import httpx
import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from infinite_scribe.settings.settings import Settings
from tests.support.console import (
    action,
    console,
    console_settings,
    dead_letter,
    failed_row,
    operator,
    writer,
)

pytestmark = pytest.mark.kafka


__all__ = ["console", "console_settings", "operator", "writer"]  # fixtures used below


async def test_requeue_is_audited_and_idempotent(
    operator: httpx.AsyncClient, clean_db: asyncpg.Pool, console_settings: Settings
) -> None:
    topic = console_settings.kafka_topic
    one = await failed_row(clean_db, topic, "key-a", "broker said no")
    others = [await failed_row(clean_db, topic, "key-b") for _ in range(2)]
    page = await operator.get("/console/ops/outbox")
    assert str(one) in page.text and "broker said no" in page.text and page.text.count("<li>") >= 12

    form = {"action_id": action(), "row_id": str(one)}
    first = await operator.post("/console/ops/outbox/requeue", data=form)
    assert first.status_code == 303 and form["action_id"] in first.headers["location"]
    again = await operator.post("/console/ops/outbox/requeue", data=form)  # a double submit
    assert again.status_code == 303
    assert (
        await clean_db.fetchval("SELECT status::text FROM event_outbox WHERE id = $1", one)
        == "PENDING"
    )
    # The requeued row fails again later: the same form (same action id) must not requeue it.
    await clean_db.execute("UPDATE event_outbox SET status = 'FAILED' WHERE id = $1", one)
    await operator.post("/console/ops/outbox/requeue", data=form)
    assert (
        await clean_db.fetchval("SELECT status::text FROM event_outbox WHERE id = $1", one)
        == "FAILED"
    )

    bulk = {"action_id": action(), "key": "key-b"}
    shown = await operator.get(
        bulk["location"]
        if False
        else (await operator.post("/console/ops/outbox/requeue", data=bulk)).headers["location"]
    )
    assert f'data-done="{bulk["action_id"]}"' in shown.text and "2 row(s)" in shown.text
    statuses = await clean_db.fetch(
        "SELECT status::text AS s FROM event_outbox WHERE id = ANY($1)", others
    )
    assert {r["s"] for r in statuses} == {"PENDING"}

    audit = await clean_db.fetch("SELECT * FROM operator_audit ORDER BY created_at")
    assert [(r["action"], r["row_count"]) for r in audit] == [
        ("outbox.requeue", 1),
        ("outbox.requeue", 2),
    ]
    assert audit[1]["target"] == {"filter": {"key": "key-b"}}
    page = await operator.get("/console/ops/audit")
    assert page.text.count('data-audit="outbox.requeue"') == 2
    # Readable (issue 38): who in words, what in words, the target's fields, no raw JSON.
    assert page.text.count("Requeued outbox rows") == 2 and page.text.count(">you<") == 2
    assert "key = <strong>key-b</strong>" in page.text and "{&#34;" not in page.text


def _consume_keys(servers: str, topic: str, within: float = 20) -> list[str]:
    consumer = Consumer({"bootstrap.servers": servers, "group.id": f"t-{uuid.uuid4().hex[:6]}"})
    try:
        partitions = consumer.list_topics(topic, timeout=5).topics[topic].partitions
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        keys, deadline, quiet = [], time.monotonic() + within, time.monotonic() + 3
        while time.monotonic() < min(deadline, quiet):
            message = consumer.poll(0.2)
            if message is not None and message.error() is None:
                keys.append((message.key() or b"").decode())
                quiet = time.monotonic() + 2
        return keys
    finally:
        consumer.close()


async def test_dead_letters_replay_once_and_discard(
    operator: httpx.AsyncClient, clean_db: asyncpg.Pool, console_settings: Settings
) -> None:
    servers, topic = console_settings.resolved_kafka_servers() or "", console_settings.kafka_topic
    dead_letter(
        servers,
        topic,
        "dl-replay",
        {"event_id": str(uuid.uuid4()), "event_type": "Genesis.Session.ConceptGenerationRequested"},
    )
    dead_letter(
        servers,
        topic,
        "dl-discard",
        {"event_id": str(uuid.uuid4()), "event_type": "Genesis.Session.StageGenerationRequested"},
    )
    page = await operator.get("/console/ops/dead-letters")
    positions = dict(re.findall(r'data-position="(\d+:\d+)">([\w-]+)</code>', page.text))
    by_key = {key: position for position, key in positions.items()}
    assert {"dl-replay", "dl-discard"} <= set(by_key), page.text[:3000]

    replay = {"action_id": action(), "position": by_key["dl-replay"]}
    done = await operator.post("/console/ops/dead-letters/replay", data=replay)
    assert done.status_code == 303
    # No task answers the letter's event: it is published again, and the page says so.
    shown = await operator.get(done.headers["location"])
    assert f"{by_key['dl-replay']}</code> republished: published again" in shown.text
    second = {"action_id": action(), "position": by_key["dl-replay"]}  # a new form, same letter
    await operator.post("/console/ops/dead-letters/replay", data=second)
    discard = {"action_id": action(), "position": by_key["dl-discard"]}
    await operator.post("/console/ops/dead-letters/discard", data=discard)

    unknown = {"action_id": action(), "position": "2:999999"}
    assert (
        await operator.post("/console/ops/dead-letters/replay", data=unknown)
    ).status_code == 404

    keys = _consume_keys(servers, topic)
    assert keys.count("dl-replay") == 1 and "dl-discard" not in keys
    listed = await operator.get("/console/ops/dead-letters")
    assert "dl-replay" not in listed.text and "dl-discard" not in listed.text
    settled = await operator.get("/console/ops/dead-letters?settled=true")
    assert "REPLAYED" in settled.text and "DISCARDED" in settled.text
    assert await clean_db.fetchval("SELECT count(*) FROM dead_letter_dispositions") == 2
    audit = await clean_db.fetch("SELECT action, row_count FROM operator_audit ORDER BY created_at")
    assert [(r["action"], r["row_count"]) for r in audit] == [
        ("dead_letters.replay", 1),
        ("dead_letters.replay", 0),
        ("dead_letters.discard", 1),
    ]


async def test_chain_draws_the_flow_and_links_payloads(
    writer: httpx.AsyncClient, operator: httpx.AsyncClient, clean_db: asyncpg.Pool
) -> None:
    await writer.post("/console/sessions")
    event_id = await clean_db.fetchval("SELECT event_id FROM domain_events ORDER BY id LIMIT 1")
    chain = await operator.get(f"/console/ops/chain?id={event_id}")
    assert chain.status_code == 200 and "<svg" in chain.text
    assert f'href="/console/ops/events/{event_id}"' in chain.text
    payload = await operator.get(f"/console/ops/events/{event_id}")
    assert payload.status_code == 200 and "Genesis.Session.Created" in payload.text
    missing = await operator.get(f"/console/ops/chain?id={uuid.uuid4()}")
    assert missing.status_code == 404
    overview = await operator.get("/console/ops/figures")
    assert overview.status_code == 200 and 'data-figure="backlog"' in overview.text
    assert 'data-model="ok"' in overview.text and "the offline generator" in overview.text
    assert 'data-figure="loop-lag"' in overview.text and "API loop lag" in overview.text


async def test_a_form_submitted_twice_at_once_acts_once(
    operator: httpx.AsyncClient, clean_db: asyncpg.Pool, console_settings: Settings
) -> None:
    rows = [await failed_row(clean_db, console_settings.kafka_topic, "twice") for _ in range(3)]
    form = {"action_id": action(), "key": "twice"}
    replies = await asyncio.gather(
        *(operator.post("/console/ops/outbox/requeue", data=form) for _ in range(4))
    )
    assert {reply.status_code for reply in replies} == {303}
    audit = await clean_db.fetch("SELECT row_count, finished_at FROM operator_audit")
    assert len(audit) == 1 and audit[0]["row_count"] == 3 and audit[0]["finished_at"]
    moved = await clean_db.fetchval(
        "SELECT count(*) FROM event_outbox WHERE id = ANY($1) AND status = 'PENDING'", rows
    )
    assert moved == 3


async def test_dead_letters_replay_and_discard_all_matching(
    operator: httpx.AsyncClient, clean_db: asyncpg.Pool, console_settings: Settings
) -> None:
    servers, topic = console_settings.resolved_kafka_servers() or "", console_settings.kafka_topic
    for key in ("bulk-a", "bulk-a", "bulk-b"):
        dead_letter(servers, topic, key, {"event_id": str(uuid.uuid4()), "event_type": "X"})
    replay = {"action_id": action(), "key": "bulk-a"}
    assert (await operator.post("/console/ops/dead-letters/replay", data=replay)).status_code == 303
    discard = {"action_id": action(), "key": "bulk-b", "text": "nonsense"}
    assert (
        await operator.post("/console/ops/dead-letters/discard", data=discard)
    ).status_code == 303
    audit = await clean_db.fetch(
        "SELECT action, target, row_count FROM operator_audit ORDER BY created_at"
    )
    assert [(r["action"], r["row_count"]) for r in audit] == [
        ("dead_letters.replay", 2),
        ("dead_letters.discard", 1),
    ]
    assert audit[1]["target"] == {"filter": {"key": "bulk-b", "text": "nonsense"}}
    keys = _consume_keys(servers, topic)
    assert keys.count("bulk-a") == 2 and "bulk-b" not in keys
    listed = await operator.get("/console/ops/dead-letters?key=bulk-a&settled=true")
    assert listed.text.count("REPLAYED") == 2
