"""What every process shares for being watched: structured logs with request context, and
OpenTelemetry tracing (off unless OTEL_EXPORTER_OTLP_ENDPOINT is set). See docs/operations.md."""
