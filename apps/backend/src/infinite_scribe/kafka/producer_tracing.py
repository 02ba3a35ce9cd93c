"""The relay's producer spans: one `publish <topic>` span per message that carries a
`traceparent` (i.e. belongs to a traced request), child of that stored context, from produce
to the broker's delivery report. The Kafka message's `traceparent` header then names this
span, so a consumer's span nests under it (docs/decisions/0910)."""

from collections.abc import Callable
from typing import Any

from confluent_kafka import KafkaError
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from infinite_scribe.application.ports.relay import ClaimedRow
from infinite_scribe.kafka.producer import Producible
from infinite_scribe.observability.tracing import context_of, enabled, traceparent_of, tracer

Headers = list[tuple[str, str | bytes | None]]
Report = Callable[..., None]


def traced_produce(row: Producible, report: Report) -> tuple[Any, Report]:
    """The headers to produce `row` with and its delivery callback, wrapped in a span when
    tracing is on and the row is part of a trace; unchanged otherwise (no cost). A row's
    headers are pairs (the outbox table's) or a dict (the logical outbox's)."""
    if not enabled():
        return row.headers, report
    given = row.headers
    pairs: Headers = list(given.items()) if isinstance(given, dict) else list(given)
    stored = next((value for name, value in pairs if name == "traceparent"), None)
    if not stored:
        return row.headers, report
    parent = context_of(stored.decode() if isinstance(stored, bytes) else stored)
    span = tracer().start_span(
        f"publish {row.topic}",
        context=parent,
        kind=SpanKind.PRODUCER,
        attributes={
            "messaging.system": "kafka",
            "messaging.operation.type": "publish",
            "messaging.destination.name": row.topic,
            "messaging.kafka.message.key": row.key or "",
        },
    )
    if isinstance(row, ClaimedRow):  # the logical outbox's messages have no row
        span.set_attribute("infinite_scribe.outbox_id", str(row.id))
    headers = [(name, value) for name, value in pairs if name != "traceparent"]
    headers.append(("traceparent", (traceparent_of(span) or "").encode()))
    return headers, TracedReport(span, report)


class TracedReport:
    """A traced message's delivery callback: it ends the message's span, then reports."""

    def __init__(self, span: Span, report: Report) -> None:
        self.span, self.report = span, report

    def __call__(self, error: KafkaError | None, message: Any = None) -> None:
        # Runs on the producer's poll thread; ending a span there is thread-safe.
        if error is not None:
            self.span.set_status(Status(StatusCode.ERROR, str(error)))
        elif message is not None:
            self.span.set_attribute("messaging.destination.partition.id", str(message.partition()))
            self.span.set_attribute("messaging.kafka.offset", int(message.offset()))
        self.span.end()
        self.report(error, message)

    def refused(self, error: KafkaError) -> None:
        """librdkafka refused the message on the spot (too large, a fatal producer): no report
        will come, and the span ends here, an error (it was never exported)."""
        self.span.set_status(Status(StatusCode.ERROR, str(error)))
        self.span.end()
