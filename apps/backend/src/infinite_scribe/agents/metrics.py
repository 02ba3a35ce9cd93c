"""The agent worker's Prometheus series (a registry of its own)."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class AgentMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.handled = Counter(
            "agent_requests_handled", "Requests answered with a proposal", registry=self.registry
        )
        self.failed = Counter(
            "agent_requests_failed",
            "Requests failed for good (dead-lettered)",
            registry=self.registry,
        )
        self.retries = Counter(
            "agent_generation_retries", "Generation attempts retried", registry=self.registry
        )
        self.skipped = Counter(
            "agent_requests_skipped",
            "Requests with nothing to do (redelivered, cancelled)",
            registry=self.registry,
        )
        self.ignored = Counter(
            "agent_events_ignored",
            "Events that are not generation requests",
            registry=self.registry,
        )
        self.poison = Counter(
            "agent_messages_poison",
            "Unreadable messages sent to the dead-letter topic",
            registry=self.registry,
        )
        self.redriven = Counter(
            "agent_tasks_redriven",
            "Stale tasks whose request was re-published",
            registry=self.registry,
        )
        self.duration = Histogram(
            "agent_generation_duration_seconds",
            "From begin to the result committed",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
            registry=self.registry,
        )
        self.lag = Gauge(
            "agent_consumer_lag",
            "Messages behind the partition end",
            ["partition"],
            registry=self.registry,
        )
        self._model_series()
        self._story_series()

    def _story_series(self) -> None:
        """Issue 48: the continuity check's events by outcome."""
        self.continuity = Counter(
            "agent_continuity_events",
            "Continuity events (confirmed chapters, rollbacks, waivers) by outcome",
            ["outcome"],
            registry=self.registry,
        )

    def _model_series(self) -> None:
        """Issue 18: what runs at once, the model's share, cancellations and drafts."""
        self.cancelled = Counter(
            "agent_generations_cancelled",
            "Model calls stopped because their task was cancelled (confirm, abandon)",
            registry=self.registry,
        )
        self.drafts = Counter(
            "agent_drafts_sent", "Drafts published to the writers' streams", registry=self.registry
        )
        self.in_flight = Gauge(
            "agent_messages_in_flight",
            "Messages held by the consumer (queued behind their key or being handled)",
            registry=self.registry,
        )
        self.model_in_flight = Gauge(
            "agent_model_calls_in_flight", "Model calls running now", registry=self.registry
        )
        self.model_peak = Gauge(
            "agent_model_calls_peak",
            "Most model calls running at once since the worker started",
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "agent_model_rate_limited",
            "429 replies that slowed every call to the provider",
            registry=self.registry,
        )
