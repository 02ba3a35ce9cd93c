"""The event size check agrees with PostgreSQL: the JSONB text the relay publishes is exactly
the size `jsonb_text_size` computes (or less, for escaped control characters), and an event
over EVENT_MAX_BYTES is refused before anything is written."""

import uuid
from typing import Any

import asyncpg
import pytest

from infinite_scribe.application.ports.writes import Write
from infinite_scribe.domain.errors import EventTooLarge
from infinite_scribe.domain.event_size import jsonb_text_size, produced_size
from infinite_scribe.persistence.writes.composer import WriteComposer
from shared_types import EventEnvelope
from tests.conftest import TEST_TOPIC

VALUES: list[Any] = [
    {"text": "plain", "n": 1, "f": 1.5, "big": 1e300, "small": 1.5e-7, "neg": -2.25e-5},
    {"unicode": "创世 ✓ café", "quote": 'a"b\\c', "nested": [[], {}, [1, [2, {"x": None}]]]},
    {"bools": [True, False, None], "ints": [0, -1, 2**63 - 1], "one": 1.0, "e": 12345678.9},
    ["list", 3e-300, 123e45],
]


@pytest.mark.parametrize("value", VALUES)
async def test_the_size_is_postgresqls_jsonb_text_size(pool: asyncpg.Pool, value: Any) -> None:
    actual = await pool.fetchval("SELECT octet_length(($1::jsonb)::text)", value)
    assert jsonb_text_size(value) == actual


async def test_control_characters_are_counted_high_never_low(pool: asyncpg.Pool) -> None:
    value = {"controls": "a\nb\tc\x01d\x1f", "\x02key": "\b\f\r"}
    actual = await pool.fetchval("SELECT octet_length(($1::jsonb)::text)", value)
    assert jsonb_text_size(value) >= actual


def _envelope(payload: dict[str, Any]) -> EventEnvelope:
    return EventEnvelope(
        event_type="Genesis.Session.Created",
        aggregate_type="GENESIS_SESSION",
        aggregate_id=str(uuid.uuid4()),
        aggregate_version=1,
        payload=payload,
    )


async def test_an_event_over_the_limit_is_refused_and_nothing_is_written(
    pool: asyncpg.Pool,
) -> None:
    composer = WriteComposer(TEST_TOPIC, max_event_bytes=10_000)
    small, big = _envelope({"n": 1}), _envelope({"numbers": [1e300] * 40})  # 40 x 301 digits
    assert produced_size(big.model_dump(mode="json")) > 10_000
    async with pool.acquire() as connection:
        with pytest.raises(EventTooLarge) as refused:
            async with connection.transaction():
                await composer.write(connection, Write(events=[small, big]))
    assert refused.value.details["limit"] == 10_000
    written = await pool.fetchval(
        "SELECT count(*) FROM domain_events WHERE event_id = ANY($1::uuid[])",
        [small.event_id, big.event_id],
    )
    assert written == 0
