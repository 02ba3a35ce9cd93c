"""The agent's consumer spans: `process <topic>` per generation request, child of the
message's `traceparent` header (the relay's producer span), current while the request is
handled so that the worker's queries and the events it writes join the same trace."""

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry.trace import SpanKind

from infinite_scribe.kafka.consumer import Delivery
from infinite_scribe.observability.tracing import context_of, current_traceparent, enabled, tracer
from shared_types import EventEnvelope


@contextmanager
def consume_span(delivery: Delivery, group: str) -> Iterator[None]:
    if not enabled():
        yield
        return
    with tracer().start_as_current_span(
        f"process {delivery.topic}",
        context=context_of(delivery.header("traceparent")),
        kind=SpanKind.CONSUMER,
        attributes={
            "messaging.system": "kafka",
            "messaging.operation.type": "process",
            "messaging.destination.name": delivery.topic,
            "messaging.consumer.group.name": group,
            "messaging.destination.partition.id": str(delivery.partition),
            "messaging.kafka.offset": delivery.offset,
            "messaging.message.id": delivery.header("ce_id") or "",
        },
    ):
        yield


def in_current_trace(request: EventEnvelope) -> EventEnvelope:
    """The request as the worker answers it: with tracing on, its `traceparent` names the
    consumer span, so the events written back (and their Kafka messages) continue the trace."""
    traceparent = current_traceparent()
    if traceparent is None:
        return request
    metadata = request.metadata.model_copy(update={"traceparent": traceparent})
    return request.model_copy(update={"metadata": metadata})
