"""The LLM failing every way it can (5xx, malformed JSON, schema-invalid JSON, timeout, 429, a
refusal), against the OpenAI-compatible provider talking to a real local HTTP server: the task
and its command FAIL, a `...Failed` event answers the request in its flow, the message lands on
the dead-letter topic, the writer can ask again, and other sessions keep flowing meanwhile."""

import asyncio
import json
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from confluent_kafka import Consumer, TopicPartition
from typer.testing import CliRunner

from infinite_scribe.cli import app
from infinite_scribe.domain.genesis import (
    CONCEPT_GENERATION_FAILED,
    CONCEPT_GENERATION_REQUESTED,
    CONCEPT_PROPOSED,
)
from infinite_scribe.kafka.dead_letters import DeadLetter, read_dead_letters
from infinite_scribe.settings.settings import Settings
from tests.support.agent_stack import agent_stack, client, events_of, stack_settings, wait_task
from tests.support.fake_llm import FakeLLMServer, Reply
from tests.support.routed_llm import RoutedLLM

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

ATTEMPTS = 2  # WORKER_GENERATION_ATTEMPTS; the SDK's own retries are off (LLM_MAX_RETRIES=0)


@dataclass(frozen=True)
class Kind:
    reply: Reply
    code: str
    calls: int  # requests the server sees before the worker gives up


KINDS = {
    "server_error": Kind(Reply.error(500), "LLM_UNAVAILABLE", ATTEMPTS),
    "malformed_json": Kind(Reply.text('{"concepts": [{"title": '), "LLM_INVALID_OUTPUT", ATTEMPTS),
    "schema_invalid": Kind(
        Reply.text('{"concepts": "not a list", "note": 7}'), "LLM_INVALID_OUTPUT", ATTEMPTS
    ),
    "timeout": Kind(Reply.slow(12), "LLM_TIMEOUT", ATTEMPTS),
    "rate_limited": Kind(Reply.rate_limited(), "LLM_RATE_LIMITED", ATTEMPTS),
    # A refusal is not retried: the same prompt gets the same no.
    "refusal": Kind(Reply(content="{}", refusal="I will not"), "LLM_INVALID_OUTPUT", 1),
}


def _request(marker: str) -> dict[str, Any]:
    payload = {"theme_preferences": [marker], "style_preferences": ["快节奏"]}
    return {"command_type": "RequestConceptGeneration", "payload": payload}


async def _create(http: httpx.AsyncClient) -> str:
    reply = await http.post("/api/v1/genesis/sessions")
    assert reply.status_code == 201, reply.text
    return str(reply.json()["session_id"])


async def _ask(http: httpx.AsyncClient, sid: str, marker: str) -> str:
    reply = await http.post(f"/api/v1/genesis/sessions/{sid}/commands", json=_request(marker))
    assert reply.status_code == 202, reply.text
    return str(reply.json()["task_id"])


def _original(servers: str, topic: str, partition: int, offset: int) -> bytes | None:
    """The message at topic/partition/offset (what a dead letter says it came from)."""
    consumer = Consumer({"bootstrap.servers": servers, "group.id": f"probe-{uuid.uuid4().hex}"})
    try:
        consumer.assign([TopicPartition(topic, partition, offset)])
        for _ in range(50):
            message = consumer.poll(0.2)
            if message is not None and message.error() is None:
                value = message.value()
                return value if isinstance(value, bytes) else None
        return None
    finally:
        consumer.close()


async def _check_failed(
    pool: asyncpg.Pool,
    http: httpx.AsyncClient,
    config: Settings,
    letters: list[DeadLetter],
    sid: str,
    task: dict[str, Any],
    kind: Kind,
    name: str,
) -> None:
    assert task["status"] == "FAILED", (name, task)
    assert task["error"]["code"] == kind.code, (name, task["error"])
    assert task["error"]["message"], name
    assert task["result"] is None, name
    row = await pool.fetchrow(
        "SELECT c.status::text AS command, c.error_message, t.request_event_id, t.attempts "
        "FROM async_tasks t JOIN command_inbox c ON c.id = t.triggered_by_command_id "
        "WHERE t.id = $1",
        uuid.UUID(task["task_id"]),
    )
    assert row["command"] == "FAILED" and row["error_message"], (name, dict(row))

    events = await events_of(pool, sid)
    by_type: dict[str, list[asyncpg.Record]] = {}
    for event in events:
        by_type.setdefault(event["event_type"], []).append(event)
    request = by_type[CONCEPT_GENERATION_REQUESTED][0]
    assert request["event_id"] == row["request_event_id"], name
    [failed] = by_type[CONCEPT_GENERATION_FAILED]
    assert failed["causation_id"] == request["event_id"], name
    assert failed["correlation_id"] == request["correlation_id"], name
    assert failed["payload"]["error_code"] == kind.code, name
    assert failed["payload"]["attempts"] == kind.calls, (name, failed["payload"])
    assert failed["payload"]["task_id"] == task["task_id"], name
    assert failed["metadata"]["actor_id"] == "agent:agent-worker", name
    assert CONCEPT_PROPOSED not in by_type, name

    state = (await http.get(f"/api/v1/genesis/sessions/{sid}/state")).json()
    assert state["is_pending"] is False, (name, state)
    assert state["last_result"] is None, (name, state)

    mine = [
        letter
        for letter in letters
        if json.loads(letter.value or b"{}").get("event_id") == str(request["event_id"])
    ]
    assert len(mine) == 1, (name, [letter.headers for letter in mine])
    headers = mine[0].headers
    assert headers["dlq_error_class"] == kind.code, (name, headers)
    assert headers["dlq_error"], name
    assert headers["dlq_original_topic"] == config.kafka_topic, name
    assert headers["dlq_consumer_group"] == config.worker_consumer_group, name
    assert headers["ce_type"] == CONCEPT_GENERATION_REQUESTED, name
    assert mine[0].key == sid, name
    servers = config.resolved_kafka_servers() or ""
    partition, offset = int(headers["dlq_original_partition"]), int(headers["dlq_original_offset"])
    original = await asyncio.to_thread(_original, servers, config.kafka_topic, partition, offset)
    assert original == mine[0].value, (name, partition, offset)


async def test_every_provider_failure_fails_the_task_and_the_writer_can_ask_again(
    settings: Settings, clean_db: asyncpg.Pool
) -> None:
    with RoutedLLM() as llm:
        config = stack_settings(
            settings,
            llm_provider="openai",
            llm_base_url=llm.base_url,
            llm_model=FakeLLMServer.MODEL,
            # Well above the answer time of an immediate reply on a loaded machine (0.5 s, then
            # 2 s were not: with a browser test beside this one, a 500 and a valid reply each
            # came after it, as timeouts), well below the slow reply's 12 s.
            llm_timeout_seconds=5.0,
            llm_max_retries=0,
            worker_generation_attempts=ATTEMPTS,
        )
        markers = {name: f"mark-{name}-{uuid.uuid4().hex[:8]}" for name in KINDS}
        for name, kind in KINDS.items():
            llm.routes[markers[name]] = kind.reply
        user = uuid.uuid4()
        async with agent_stack(config) as server, client(server, config, user) as http:
            names = list(KINDS)
            created = await asyncio.gather(*(_create(http) for _ in names))
            sessions = dict(zip(names, created, strict=True))
            healthy = [await _create(http) for _ in range(3)]
            # Every failing request and three healthy ones, all at once.
            asked = await asyncio.gather(
                *(_ask(http, sessions[name], markers[name]) for name in names),
                *(_ask(http, sid, f"healthy-{i}") for i, sid in enumerate(healthy)),
            )
            tasks = await asyncio.gather(*(wait_task(http, task_id, 60) for task_id in asked))
            failed, flowing = tasks[: len(names)], tasks[len(names) :]

            for task in flowing:  # other sessions kept flowing while these failed
                assert task["status"] == "COMPLETED", (task["error"], task["message"])
                assert task["result"]["source"] == "llm", task["result"]

            servers = config.resolved_kafka_servers() or ""
            letters = await asyncio.to_thread(
                lambda: list(read_dead_letters(servers, config.kafka_topic))
            )
            assert len(letters) == len(names), [letter.error for letter in letters]
            for name, task in zip(names, failed, strict=True):
                kind = KINDS[name]
                await _check_failed(
                    clean_db, http, config, letters, sessions[name], task, kind, name
                )
                assert llm.hits(markers[name]) == kind.calls, name

            # The model recovers: the writer asks again, and this time gets a proposal.
            llm.routes.clear()
            again = await asyncio.gather(
                *(_ask(http, sessions[name], markers[name]) for name in names)
            )
            for name, task_id in zip(names, again, strict=True):
                done = await wait_task(http, task_id, 60)
                assert done["status"] == "COMPLETED", (name, done)
                state = (await http.get(f"/api/v1/genesis/sessions/{sessions[name]}/state")).json()
                assert state["is_pending"] is False and state["last_result"] == done["result"]
                types = [e["event_type"] for e in await events_of(clean_db, sessions[name])]
                assert types.count(CONCEPT_PROPOSED) == 1, (name, types)
                assert types.count(CONCEPT_GENERATION_FAILED) == 1, (name, types)

        # The operator sees the dead letters with `scribe worker dlq list`.
        env = {"KAFKA_BOOTSTRAP_SERVERS": servers, "KAFKA_TOPIC": config.kafka_topic}
        listed = await asyncio.to_thread(
            CliRunner().invoke, app, ["worker", "dlq", "list"], env=env
        )
        assert listed.exit_code == 0, listed.output
        assert f"{len(names)} dead letter(s)" in listed.output, listed.output
        for name in KINDS:
            assert f"key={sessions[name]} from={config.kafka_topic}/" in listed.output, name
        assert "LLM_TIMEOUT: " in listed.output and "LLM_UNAVAILABLE: " in listed.output
