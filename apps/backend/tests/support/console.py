"""Helpers of the console tests: a signed-in HTTP client, a FAILED outbox row, a dead letter."""

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
import pytest
from confluent_kafka import Producer

from infinite_scribe.api.auth import OPERATOR_ROLE, create_access_token
from infinite_scribe.kafka.admin import ensure_topic
from infinite_scribe.settings.settings import Settings
from tests.conftest import LiveServer


def token(settings: Settings, user_id: uuid.UUID, *, operator: bool = False) -> str:
    roles = [OPERATOR_ROLE] if operator else []
    return create_access_token(settings, user_id, 3600, roles=roles)


@asynccontextmanager
async def signed_in(
    base_url: str, settings: Settings, user_id: uuid.UUID, *, operator: bool = False
) -> AsyncIterator[httpx.AsyncClient]:
    """A client holding the console cookie, posting forms with this origin (as a browser)."""
    async with httpx.AsyncClient(
        base_url=base_url, headers={"Origin": base_url}, timeout=30
    ) as client:
        reply = await client.post(
            "/console/sign-in", data={"token": token(settings, user_id, operator=operator)}
        )
        assert reply.status_code == 303, reply.text
        yield client


async def failed_row(pool: asyncpg.Pool, topic: str, key: str, error: str = "boom") -> uuid.UUID:
    """An outbox row the relay gave up on, with its error history."""
    history = {
        "attempts": 4,
        "history": [
            {"at": f"2026-01-01T00:00:0{n}Z", "error_class": "KafkaError", "error": error}
            for n in range(4)
        ],
    }
    event_id = uuid.uuid4()
    payload = {
        "event_id": str(event_id),
        "event_type": "Genesis.Session.Created",
        "aggregate_id": key,
    }
    row_id: uuid.UUID = await pool.fetchval(
        "INSERT INTO event_outbox (event_id, topic, key, payload, status, attempts, last_error, "
        "last_error_class, error_details) "
        "VALUES ($1, $2, $3, $4, 'FAILED', 4, $5, 'KafkaError', $6) "
        "RETURNING id",
        event_id,
        topic,
        key,
        payload,
        error,
        history,
    )
    return row_id


def dead_letter(servers: str, topic: str, key: str, body: dict[str, Any]) -> None:
    """A message the agent worker gave up on, as it writes them to `<topic>.dlq`."""
    producer = Producer({"bootstrap.servers": servers})
    headers = {
        "dlq_error_class": "GenerationFailed",
        "dlq_error": "the model answered nonsense",
        "dlq_original_topic": topic,
        "dlq_original_partition": "0",
        "dlq_original_offset": "7",
        "dlq_consumer_group": "agent-workers",
        "dlq_failed_at": "1700000000.000",
        "ce_id": body.get("event_id", ""),
    }
    producer.produce(
        f"{topic}.dlq", key=key, value=json.dumps(body).encode(), headers=list(headers.items())
    )
    assert producer.flush(10) == 0


# Fixtures of the console tests (imported by them): a topic of their own, the live server,
# a writer and an operator signed in.
@pytest.fixture(scope="module")
def console_settings(settings: Settings) -> Settings:
    topic = f"console-{uuid.uuid4().hex[:8]}"
    servers = settings.resolved_kafka_servers() or ""
    ensure_topic(servers, topic, 3)
    ensure_topic(servers, f"{topic}.dlq", 3)
    return settings.model_copy(update={"kafka_topic": topic})


@pytest.fixture(scope="module")
def console(console_settings: Settings) -> Iterator[LiveServer]:
    with LiveServer(console_settings) as server:
        yield server


@pytest.fixture
async def writer(
    console: LiveServer, console_settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    async with signed_in(console.url, console_settings, uuid.uuid4()) as client:
        yield client


@pytest.fixture
async def operator(
    console: LiveServer, console_settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    async with signed_in(console.url, console_settings, uuid.uuid4(), operator=True) as client:
        yield client


def action() -> str:
    return str(uuid.uuid4())
