"""OpenTelemetry tracing: installed only when OTEL_EXPORTER_OTLP_ENDPOINT is set (or a test
passes an exporter); otherwise no SDK tracer provider exists and every helper here returns at
once, so tracing costs nothing when off.

What is traced: the API's HTTP server spans (FastAPI instrumentation), every asyncpg query
inside a trace, and manual messaging spans around the relay's produce and the agent's
consume (docs/decisions/0910). The W3C `traceparent` travels from the HTTP request into
the event metadata, from there into the Kafka headers, and back into the events the worker
writes, so one trace shows a command from request to relay to worker.
"""

import logging
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from opentelemetry import context as otel_context, trace
from opentelemetry.propagate import extract, inject
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanProcessor
from opentelemetry.sdk.trace.sampling import (
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, SpanKind
from opentelemetry.util.types import Attributes

from infinite_scribe.settings.settings import Settings

logger = logging.getLogger(__name__)

TRACER_NAME = "infinite_scribe"


class _DropOrphanQueries(Sampler):
    """Root sampler: a database query outside any trace (the relay's polling, a sweeper) is
    not recorded - it would start a trace of one span every few seconds. Everything else
    follows the ratio."""

    def __init__(self, ratio: float) -> None:
        self._ratio = TraceIdRatioBased(ratio)

    def should_sample(
        self,
        parent_context: otel_context.Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: Any = None,
    ) -> SamplingResult:
        if kind == SpanKind.CLIENT and attributes and "db.system" in attributes:
            return SamplingResult(Decision.DROP)
        return self._ratio.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return f"DropOrphanQueries({self._ratio.get_description()})"


@dataclass
class Tracing:
    """The installed provider; `shutdown` flushes the exporter and removes the patches."""

    provider: TracerProvider
    asyncpg_instrumented: bool

    def shutdown(self) -> None:
        global _provider
        if self.asyncpg_instrumented:
            from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

            AsyncPGInstrumentor().uninstrument()
        _uninstrument_apps()
        self.provider.shutdown()
        if _provider is self.provider:
            _provider = None


_provider: TracerProvider | None = None


def configure_tracing(
    settings: Settings,
    service_name: str,
    processor: SpanProcessor | None = None,
    *,
    set_global: bool = True,
) -> Tracing | None:
    """Install the SDK when OTEL_EXPORTER_OTLP_ENDPOINT is set or `processor` is given (tests:
    a SimpleSpanProcessor over an InMemorySpanExporter); None (tracing off) otherwise."""
    global _provider
    if processor is None and settings.otel_exporter_otlp_endpoint is None:
        return None
    resource = Resource.create({"service.name": settings.otel_service_name or service_name})
    sampler = ParentBased(_DropOrphanQueries(settings.otel_traces_sample_ratio))
    provider = TracerProvider(resource=resource, sampler=sampler)
    provider.add_span_processor(processor or BatchSpanProcessor(_otlp_exporter(settings)))
    if set_global:
        trace.set_tracer_provider(provider)
    _provider = provider
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

    instrumentor = AsyncPGInstrumentor()
    asyncpg_instrumented = not instrumentor.is_instrumented_by_opentelemetry
    if asyncpg_instrumented:
        instrumentor.instrument(tracer_provider=provider)
    logger.info("tracing on: service %s", settings.otel_service_name or service_name)
    return Tracing(provider, asyncpg_instrumented)


def _otlp_exporter(settings: Settings) -> SpanExporter:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    endpoint = str(settings.otel_exporter_otlp_endpoint).rstrip("/")
    # The variable names the collector (as OTEL_EXPORTER_OTLP_ENDPOINT does for every SDK);
    # the traces path is appended as the specification says.
    return OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces")


def enabled() -> bool:
    return _provider is not None


def tracer() -> trace.Tracer:
    """The project's tracer (a no-op one when tracing is off)."""
    if _provider is None:
        return trace.NoOpTracer()
    return _provider.get_tracer(TRACER_NAME)


def instrument_app(app: Any) -> None:
    """HTTP server spans for a FastAPI app (no-op when tracing is off)."""
    if _provider is None:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=_provider,
        excluded_urls="/metrics",
        exclude_spans=["receive", "send"],
    )
    _instrumented.add(app)


#: The apps instrumented with the installed provider. Instrumenting one also patches Starlette's
#: `BackgroundTask` for the whole process with that provider's tracer: left after the provider's
#: shutdown, every later app's background task ended a span on it ("Processor is already
#: shutdown", logged from a live server's thread after its test's log stream had closed).
_instrumented: "weakref.WeakSet[Any]" = weakref.WeakSet()


def _uninstrument_apps() -> None:
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    for app in list(_instrumented):
        FastAPIInstrumentor.uninstrument_app(app)
    _instrumented.clear()


def context_of(traceparent: str | None) -> otel_context.Context | None:
    """The remote parent a stored `traceparent` names (None: start a new trace)."""
    if not traceparent:
        return None
    return extract({"traceparent": traceparent})


def current_traceparent() -> str | None:
    """The `traceparent` of the current span, or None outside a recorded span."""
    if _provider is None or not trace.get_current_span().get_span_context().is_valid:
        return None
    carrier: dict[str, str] = {}
    inject(carrier)
    return carrier.get("traceparent")


def traceparent_of(span: trace.Span) -> str | None:
    span_context = span.get_span_context()
    if not span_context.is_valid:
        return None
    flags = format(int(span_context.trace_flags), "02x")
    return f"00-{span_context.trace_id:032x}-{span_context.span_id:016x}-{flags}"


@contextmanager
def traced_process(settings: Settings, service_name: str) -> Iterator[Tracing | None]:
    """Tracing for one process's life (entry points); flushed and removed on exit."""
    tracing = configure_tracing(settings, service_name)
    try:
        yield tracing
    finally:
        if tracing is not None:
            tracing.shutdown()
