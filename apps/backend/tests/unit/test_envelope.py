"""The event envelope and how a caused event inherits its flow."""

from uuid import uuid4

import pytest
from pydantic import ValidationError

from shared_types import EventEnvelope, EventMetadata


def test_caused_event_keeps_the_flow_and_points_at_its_cause() -> None:
    correlation = uuid4()
    cause = EventEnvelope(
        event_type="Genesis.Session.ConceptGenerationRequested",
        aggregate_type="GENESIS_SESSION",
        aggregate_id="s1",
        correlation_id=correlation,
        actor_id="u1",
        metadata=EventMetadata(user_id="u1", source_service="api", request_id="r1"),
    )
    effect = cause.caused(
        "Genesis.Session.Concept.Proposed", payload={"x": 1}, source_service="agent-worker"
    )
    assert effect.correlation_id == correlation
    assert effect.causation_id == cause.event_id
    assert effect.event_id != cause.event_id
    assert effect.aggregate_id == "s1" and effect.actor_id == "u1"
    assert effect.metadata.source_service == "agent-worker"
    assert effect.metadata.request_id == "r1"
    assert effect.payload == {"x": 1}


def test_a_flow_without_correlation_starts_at_the_cause() -> None:
    cause = EventEnvelope(
        event_type="Genesis.Session.Created", aggregate_type="T", aggregate_id="a"
    )
    assert cause.caused("Genesis.Session.Updated").correlation_id == cause.event_id


def test_envelope_rejects_unknown_fields_and_bad_versions() -> None:
    with pytest.raises(ValidationError):
        EventEnvelope(event_type="A.B.Created", aggregate_type="T", aggregate_id="a", extra=1)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        EventEnvelope(
            event_type="A.B.Created", aggregate_type="T", aggregate_id="a", event_version=0
        )


def test_envelope_round_trips_through_json() -> None:
    envelope = EventEnvelope(
        event_type="A.B.Created", aggregate_type="T", aggregate_id="a", payload={"k": [1, 2]}
    )
    assert EventEnvelope.model_validate_json(envelope.model_dump_json()) == envelope
