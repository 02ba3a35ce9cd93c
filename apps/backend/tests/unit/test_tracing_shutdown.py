"""Tracing's shutdown leaves no instrumentation behind (the full CI runs' "Processor is already
shutdown" from a live server's thread): instrumenting a FastAPI app patches Starlette's
`BackgroundTask` for the whole process with the provider's tracer, so an app instrumented with
a provider that was shut down ended every later app's background task on the dead provider."""

from fastapi import FastAPI
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.background import BackgroundTask

from infinite_scribe.observability import tracing
from infinite_scribe.settings.settings import Settings


def test_shutdown_uninstruments_the_apps_and_the_background_tasks() -> None:
    original = BackgroundTask.__call__
    installed = tracing.configure_tracing(
        Settings(), "test", SimpleSpanProcessor(InMemorySpanExporter()), set_global=False
    )
    assert installed is not None
    app = FastAPI()
    tracing.instrument_app(app)
    assert app._is_instrumented_by_opentelemetry  # type: ignore[attr-defined]
    assert BackgroundTask.__call__ is not original  # the process-wide patch
    installed.shutdown()
    assert not app._is_instrumented_by_opentelemetry  # type: ignore[attr-defined]
    assert BackgroundTask.__call__ is original
    assert not tracing.enabled()
