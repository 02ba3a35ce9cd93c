"""The agent worker's settings (issues 10 and 18; docs/agents.md): its consumer group,
retries and re-drive, the model it calls, and how many generations and model calls run at
once. Mixed into `Settings` (settings.py)."""

from typing import Annotated, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings


class AgentSettings(BaseSettings):
    # The agent worker (issue 10): consumer group, retries, re-drive; see docs/agents.md.
    worker_consumer_group: Annotated[str, Field(min_length=1, max_length=200)] = "agent-workers"
    #: Generation attempts per request (retryable provider errors) before it fails for good.
    worker_generation_attempts: Annotated[int, Field(ge=1, le=10)] = 3
    worker_retry_backoff_seconds: Annotated[float, Field(ge=0, le=60)] = 0.5
    #: An unfinished task with no activity for this long has its request re-published.
    worker_redrive_after_seconds: Annotated[float, Field(gt=0, le=86400)] = 30.0
    worker_redrive_interval_seconds: Annotated[float, Field(gt=0, le=3600)] = 10.0
    worker_session_timeout_ms: Annotated[int, Field(ge=1000, le=300_000)] = 6000

    # LLM provider of the agent worker (issue 10; docs/agents.md). `offline` needs nothing and
    # is the default; `openai` is any OpenAI-compatible server and needs a URL and a model. The
    # key may stay empty for local servers. Retries (429/5xx/timeouts) are the model gate's
    # (agents/llm/gate.py), shared by every call to the provider.
    llm_provider: Literal["offline", "openai"] = "offline"
    llm_base_url: Annotated[str | None, Field(pattern=r"^https?://[^\s/?#]+(/\S*)?$")] = None
    llm_api_key: SecretStr = SecretStr("")
    llm_model: Annotated[str | None, Field(min_length=1, max_length=200)] = None
    llm_timeout_seconds: Annotated[float, Field(gt=0, le=3600)] = 60.0
    llm_max_retries: Annotated[int, Field(ge=0, le=10)] = 2

    # Agents at the model's pace (issue 18, docs/agents.md): messages held per worker process
    # (the partitions pause at the bound), model calls in flight per process, the offline
    # generator's streaming time, at most one draft per generation per interval, and the
    # retention of the drafts topic `<KAFKA_TOPIC>.drafts`.
    worker_max_in_flight: Annotated[int, Field(ge=1, le=100_000)] = 256
    llm_max_concurrency: Annotated[int, Field(ge=1, le=100_000)] = 64
    llm_offline_stream_seconds: Annotated[float, Field(ge=0, le=60)] = 1.0
    draft_interval_seconds: Annotated[float, Field(ge=0.01, le=60)] = 0.2
    drafts_retention_ms: Annotated[int, Field(ge=1000, le=86_400_000)] = 60_000
