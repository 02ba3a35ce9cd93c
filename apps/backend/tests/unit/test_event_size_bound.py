"""The write path's cheap size bound (persistence/writes/composer.surely_fits_json) never says
"fits" for an event the exact measure (domain/event_size.produced_size) would refuse."""

import uuid
from typing import Any

import pytest

from infinite_scribe.domain.event_size import produced_size
from infinite_scribe.persistence.writes.composer import surely_fits_json
from shared_types import EventEnvelope, EventMetadata


def _envelope(payload: dict[str, Any]) -> EventEnvelope:
    event = EventEnvelope(
        event_type="Genesis.Session.FeedbackSubmitted",
        aggregate_type="GENESIS_SESSION",
        aggregate_id=str(uuid.uuid4()),
        aggregate_version=2,
        correlation_id=uuid.uuid4(),
        payload=payload,
        metadata=EventMetadata(user_id="u", source_service="api", traceparent="00-" + "a" * 50),
    )
    return event


def surely_fits(event: EventEnvelope, limit: int) -> bool:
    """The bound on the JSON the write path measures (the envelope as pydantic writes it)."""
    return surely_fits_json(EventEnvelope.__pydantic_serializer__.to_json(event), limit)


PAYLOADS = [
    {},
    {"title": "Bench", "n": 1, "ok": True, "none": None},
    {"nested": [{"a": [1, 2, {"b": "c" * 50}]}] * 20, ",": ":"},
    {"controls": '\x00\x01\n\t"\\' * 40, "unicode": "龍" * 100 + "é" * 50},
    {"big": 10**30, "neg": -(10**18), "float": 0.1, "small": 1.5},
    {"exp": 1e300, "tiny": 1e-300},
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_bound_is_never_below_the_exact_size(payload: dict[str, Any]) -> None:
    envelope = _envelope(payload)
    exact = produced_size(envelope.model_dump(mode="json"))
    # The smallest limit the bound accepts is at least the exact size.
    assert not surely_fits(envelope, exact - 1)


def test_small_events_skip_the_exact_measure() -> None:
    assert surely_fits(_envelope({"title": "Bench"}), 900_000)
    assert not surely_fits(_envelope({"exp": 1e300}), 900_000)  # measured exactly
