"""OpenTelemetry: one trace from the HTTP request through the event metadata, the relay's
produce and the worker's consume to the events the worker writes back - against the real
PostgreSQL and broker, recorded by the SDK's in-memory exporter. And nothing when off."""

import asyncio
import http.server
import io
import logging
import threading
import uuid
from collections.abc import Iterator

import asyncpg
import orjson
import pytest
from confluent_kafka import KafkaError
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from infinite_scribe.api.app import create_app
from infinite_scribe.application.ports.relay import ClaimedRow
from infinite_scribe.embedded.kafka import free_port
from infinite_scribe.kafka.bulk_producer import BulkPublisher
from infinite_scribe.kafka.producer_tracing import traced_produce
from infinite_scribe.observability import tracing
from infinite_scribe.observability.logs import JsonFormatter
from infinite_scribe.persistence.outbox.slot import SlotMessage
from infinite_scribe.settings.settings import Settings
from tests.support.agent_stack import agent_stack, client, events_of, stack_settings, wait_task

CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CLIENT_SPAN = "00f067aa0ba902b7"
REQUEST = {"command_type": "RequestConceptGeneration", "payload": {"theme_preferences": ["科幻"]}}


@pytest.fixture
def exporter(settings: Settings) -> Iterator[InMemorySpanExporter]:
    memory = InMemorySpanExporter()
    installed = tracing.configure_tracing(
        settings, "test", SimpleSpanProcessor(memory), set_global=False
    )
    assert installed is not None
    try:
        yield memory
    finally:
        installed.shutdown()
    assert not tracing.enabled()


@pytest.fixture
def worker_log() -> Iterator[io.StringIO]:
    """The agent handler's log lines, as JSON."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    generation_logger = logging.getLogger("infinite_scribe.agents.generation")
    generation_logger.addHandler(handler)
    generation_logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        generation_logger.removeHandler(handler)
        generation_logger.setLevel(logging.NOTSET)


def spans_of(exporter: InMemorySpanExporter, trace_id: int) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.context.trace_id == trace_id]


def one(spans: list[ReadableSpan], kind: SpanKind, prefix: str) -> list[ReadableSpan]:
    return [s for s in spans if s.kind == kind and s.name.startswith(prefix)]


@pytest.mark.kafka
@pytest.mark.slow
async def test_one_trace_from_request_to_relay_to_worker(
    settings: Settings,
    clean_db: asyncpg.Pool,
    exporter: InMemorySpanExporter,
    worker_log: io.StringIO,
) -> None:
    config = stack_settings(settings)
    traceparent = f"00-{CLIENT_TRACE}-{CLIENT_SPAN}-01"
    user = uuid.uuid4()
    async with agent_stack(config) as server, client(server, config, user) as http:
        sid = (await http.post("/api/v1/genesis/sessions")).json()["session_id"]
        reply = await http.post(
            f"/api/v1/genesis/sessions/{sid}/commands",
            json=REQUEST,
            headers={"traceparent": traceparent, "X-Request-ID": "walk-1"},
        )
        assert reply.status_code == 202, reply.text
        assert (await wait_task(http, reply.json()["task_id"]))["status"] == "COMPLETED"
        trace_id = int(CLIENT_TRACE, 16)
        # The proposal's own outbox row is published a moment after the task completes.
        for _ in range(100):
            produced = one(spans_of(exporter, trace_id), SpanKind.PRODUCER, "publish")
            if len(produced) >= 2:
                break
            await asyncio.sleep(0.1)

    # The worker's line about this request carries the request's context and its trace.
    (answered,) = [orjson.loads(line) for line in worker_log.getvalue().splitlines()]
    assert answered["message"].endswith("answered (offline)")
    assert (answered["request_id"], answered["user_id"], answered["session_id"]) == (
        "walk-1",
        str(user),
        sid,
    )
    assert answered["correlation_id"] == reply.json()["correlation_id"]
    assert answered["trace_id"] == CLIENT_TRACE

    spans = spans_of(exporter, trace_id)
    by_id = {s.context.span_id: s for s in spans}
    (server_span,) = [s for s in spans if s.kind == SpanKind.SERVER]
    assert server_span.parent is not None and server_span.parent.span_id == int(CLIENT_SPAN, 16)
    assert server_span.attributes is not None
    assert (
        server_span.attributes.get("http.route") == "/api/v1/genesis/sessions/{session_id}/commands"
    )
    # The API's queries of this request are in the trace, under its server span.
    assert any(
        s.kind == SpanKind.CLIENT and by_id.get(s.parent.span_id if s.parent else 0) is server_span
        for s in spans
    )

    # The request event names the server span; the relay's publish span is its child.
    events = await events_of(clean_db, sid)
    requested = next(e for e in events if e["event_type"].endswith("Requested"))
    assert requested["metadata"]["traceparent"] == tracing.traceparent_of(_as_span(server_span))
    publishes = one(spans, SpanKind.PRODUCER, f"publish {config.kafka_topic}")
    request_publish = next(
        s for s in publishes if s.parent and s.parent.span_id == server_span.context.span_id
    )
    # The worker's consume span is the child of that produce span ...
    (consume,) = one(spans, SpanKind.CONSUMER, f"process {config.kafka_topic}")
    assert consume.parent is not None and consume.parent.span_id == request_publish.context.span_id
    assert consume.attributes is not None
    assert consume.attributes["messaging.consumer.group.name"] == config.worker_consumer_group
    # ... its queries are under it, and the proposal it wrote is published under it.
    assert any(
        s.kind == SpanKind.CLIENT and s.parent and s.parent.span_id == consume.context.span_id
        for s in spans
    )
    proposed = next(e for e in events if e["event_type"].endswith("Proposed"))
    assert proposed["metadata"]["traceparent"] == tracing.traceparent_of(_as_span(consume))
    assert any(s.parent and s.parent.span_id == consume.context.span_id for s in publishes)


def _as_span(readable: ReadableSpan) -> trace.Span:
    return trace.NonRecordingSpan(readable.context)


def test_off_without_endpoint_installs_nothing(settings: Settings) -> None:
    assert settings.otel_exporter_otlp_endpoint is None
    assert tracing.configure_tracing(settings, "api") is None
    assert not tracing.enabled()
    assert not isinstance(trace.get_tracer_provider(), tracing.TracerProvider)
    assert isinstance(tracing.tracer(), trace.NoOpTracer)
    app = create_app(settings)
    assert not getattr(app, "_is_instrumented_by_opentelemetry", False)
    row = ClaimedRow(
        uuid.uuid4(),
        1,
        "t",
        "k",
        0,
        b"{}",
        [("traceparent", b"00-" + b"1" * 32 + b"-" + b"2" * 16 + b"-01")],
    )
    headers, report = traced_produce(row, print)
    assert headers is row.headers and report is print
    assert tracing.current_traceparent() is None


class _Collector(http.server.BaseHTTPRequestHandler):
    received: list[tuple[str, bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_spans_are_exported_over_otlp_when_the_endpoint_is_set(settings: Settings) -> None:
    collector = http.server.HTTPServer(("127.0.0.1", free_port()), _Collector)
    thread = threading.Thread(target=collector.serve_forever, daemon=True)
    thread.start()
    endpoint = f"http://127.0.0.1:{collector.server_address[1]}"
    configured = settings.model_copy(update={"otel_exporter_otlp_endpoint": endpoint})
    installed = tracing.configure_tracing(configured, "otlp-test", set_global=False)
    assert installed is not None and tracing.enabled()
    try:
        with tracing.tracer().start_as_current_span("checked") as span:
            traceparent = tracing.current_traceparent()
            assert traceparent == tracing.traceparent_of(span)
            # Log lines written inside a span name it.
            record = logging.LogRecord("app", logging.INFO, __file__, 1, "inside", (), None)
            line = orjson.loads(JsonFormatter().format(record))
            assert traceparent.startswith(f"00-{line['trace_id']}-{line['span_id']}-")
    finally:
        installed.shutdown()  # flushes the batch processor; tracing is off again
        collector.shutdown()
    assert [path for path, _ in _Collector.received] == ["/v1/traces"]
    assert b"checked" in _Collector.received[0][1] and b"otlp-test" in _Collector.received[0][1]


def test_relay_spans_only_for_traced_rows_and_failed_deliveries_are_errors(
    exporter: InMemorySpanExporter,
) -> None:
    untraced = ClaimedRow(uuid.uuid4(), 1, "t", "k", 0, b"{}", [("ce_id", b"1")])
    reports: list[object] = []
    headers, report = traced_produce(untraced, lambda error, message=None: reports.append(error))
    assert headers is untraced.headers  # no span, nothing rewritten
    parent = f"00-{CLIENT_TRACE}-{CLIENT_SPAN}-01"
    traced = ClaimedRow(uuid.uuid4(), 2, "t", "k", 0, b"{}", [("traceparent", parent.encode())])
    headers, report = traced_produce(traced, lambda error, message=None: reports.append(error))
    (value,) = [value for name, value in headers if name == "traceparent"]
    assert isinstance(value, bytes) and value.decode() != parent
    assert value.decode().startswith(f"00-{CLIENT_TRACE}-")
    failure = KafkaError(KafkaError.MSG_SIZE_TOO_LARGE)
    report(failure)
    assert reports == [failure]  # the relay still gets its delivery report
    (span,) = exporter.get_finished_spans()
    assert span.kind == SpanKind.PRODUCER and span.status.status_code == StatusCode.ERROR
    assert span.parent is not None and span.parent.span_id == int(CLIENT_SPAN, 16)
    assert value.decode().split("-")[2] == f"{span.context.span_id:016x}"


def test_a_logical_outbox_message_gets_its_span_too(exporter: InMemorySpanExporter) -> None:
    """Issue 75: one produce loop for both sources; the slot's messages carry their headers as a
    dict (as parsed), and a traced one is published under a span as a table row is."""
    parent = f"00-{CLIENT_TRACE}-{CLIENT_SPAN}-01"
    message = SlotMessage("t", "k", {"ce_id": "9", "traceparent": parent}, b"{}")
    reports: list[object] = []
    headers, report = traced_produce(message, lambda error, message=None: reports.append(error))
    assert ("ce_id", "9") in headers
    (value,) = [value for name, value in headers if name == "traceparent"]
    assert value.decode().startswith(f"00-{CLIENT_TRACE}-") and value.decode() != parent
    report(None)
    (span,) = exporter.get_finished_spans()
    assert span.name == "publish t" and "infinite_scribe.outbox_id" not in (span.attributes or {})
    assert span.parent is not None and span.parent.span_id == int(CLIENT_SPAN, 16)


async def test_a_message_librdkafka_refuses_on_the_spot_ends_its_span_an_error(
    exporter: InMemorySpanExporter,
) -> None:
    """No delivery report follows a message librdkafka refuses in `produce` (larger than
    `message.max.bytes`): the span its callback would have ended had never been exported."""
    publisher = BulkPublisher("127.0.0.1:9", max_message_bytes=1_000)  # nothing listens there
    publisher.start()
    try:
        parent = f"00-{CLIENT_TRACE}-{CLIENT_SPAN}-01"
        message = SlotMessage("t", "k", {"traceparent": parent}, b"x" * 2_000)
        (error,) = await publisher.publish([message]) or [None]
    finally:
        publisher.close(timeout=0.1)
    assert error is not None and error.code() == KafkaError.MSG_SIZE_TOO_LARGE
    (span,) = exporter.get_finished_spans()
    assert span.name == "publish t" and span.status.status_code == StatusCode.ERROR
    assert span.parent is not None and span.parent.span_id == int(CLIENT_SPAN, 16)
