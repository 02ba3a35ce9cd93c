"""The agent worker's Prometheus series (a registry of its own)."""

from prometheus_client import CollectorRegistry

from infinite_scribe.agents.llm.port import Usage
from infinite_scribe.runtime.series import Series


class AgentMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.series = Series(self.registry)
        self.handled = self.series.counter(
            "agent_requests_handled", "Requests answered with a proposal"
        )
        self.failed = self.series.counter(
            "agent_requests_failed", "Requests failed for good (dead-lettered)"
        )
        self.retries = self.series.counter(
            "agent_generation_retries", "Generation attempts retried"
        )
        self.skipped = self.series.counter(
            "agent_requests_skipped", "Requests with nothing to do (redelivered, cancelled)"
        )
        self.ignored = self.series.counter(
            "agent_events_ignored", "Events that are not generation requests"
        )
        self.poison = self.series.counter(
            "agent_messages_poison", "Unreadable messages sent to the dead-letter topic"
        )
        self.redriven = self.series.counter(
            "agent_tasks_redriven", "Stale tasks whose request was re-published"
        )
        self.duration = self.series.histogram(
            "agent_generation_duration_seconds",
            "From begin to the result committed",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
        )
        self.lag = self.series.gauge(
            "agent_consumer_lag", "Messages behind the partition end", ["partition"]
        )
        self._model_series()
        self._story_series()
        self._usage_series()

    def _usage_series(self) -> None:
        """Issue 68: the model named, its tokens, its speed and the seconds per stage."""
        self.model_info = self.series.gauge(
            "agent_model_info",
            "The model the worker writes with (1 for its provider and name)",
            ["provider", "model"],
        )
        self.model_tokens = self.series.counter(
            "agent_model_tokens",
            "Tokens the model server reported (usage), by direction (in: prompt, out: reply, "
            "cached: of the prompt's, those reused from the request before)",
            ["model", "direction"],
        )
        self.model_speed = self.series.histogram(
            "agent_model_tokens_per_second",
            "Reply tokens per second of writing, per generation",
            ["model"],
            buckets=(1, 2, 5, 10, 20, 30, 50, 75, 100, 200, 500, 1000),
        )
        self.stage_seconds = self.series.histogram(
            "agent_stage_seconds",
            "Seconds of a generation from its begin to its result, by stage (CHAPTER: a draft)",
            ["stage", "model"],
            buckets=(0.1, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600),
        )
        self.count_ratio = self.series.histogram(
            "agent_prompt_tokens_reported_per_counted",
            "The server's prompt tokens over the count made before sending (1: exact; under 1: "
            "the count was on the safe side)",
            buckets=(0.25, 0.5, 0.75, 0.9, 0.95, 1.0, 1.05, 1.1, 1.25, 1.5, 2.0),
        )

    def observe_usage(self, model: str | None, stage: str, usage: Usage, seconds: float) -> None:
        """One generation's counts (nothing of the offline generator's, which has none)."""
        name = model or "unknown"
        self.stage_seconds.labels(stage, name).observe(seconds)
        if usage.tokens_in is not None:
            self.model_tokens.labels(name, "in").inc(usage.tokens_in)
            if usage.tokens_cached is not None:
                self.model_tokens.labels(name, "cached").inc(usage.tokens_cached)
            if usage.tokens_counted:
                self.count_ratio.observe(usage.tokens_in / usage.tokens_counted)
        if usage.tokens_out is not None:
            self.model_tokens.labels(name, "out").inc(usage.tokens_out)
        if usage.tokens_per_second is not None:
            self.model_speed.labels(name).observe(usage.tokens_per_second)

    def _story_series(self) -> None:
        """Issue 48: the continuity check's events by outcome."""
        self.continuity = self.series.counter(
            "agent_continuity_events",
            "Continuity events (confirmed chapters, rollbacks, waivers) by outcome",
            ["outcome"],
        )

    def _model_series(self) -> None:
        """Issue 18: what runs at once, the model's share, cancellations and drafts."""
        self.cancelled = self.series.counter(
            "agent_generations_cancelled",
            "Model calls stopped because their task was cancelled (confirm, abandon)",
        )
        self.drafts = self.series.counter(
            "agent_drafts_sent", "Drafts published to the writers' streams"
        )
        self.in_flight = self.series.gauge(
            "agent_messages_in_flight",
            "Messages held by the consumer (queued behind their key or being handled)",
        )
        self.model_in_flight = self.series.gauge(
            "agent_model_calls_in_flight", "Model calls running now"
        )
        self.model_peak = self.series.gauge(
            "agent_model_calls_peak", "Most model calls running at once since the worker started"
        )
        self.rate_limited = self.series.counter(
            "agent_model_rate_limited", "429 replies that slowed every call to the provider"
        )
