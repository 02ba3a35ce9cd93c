"""Build the configured LLM provider from Settings (`LLM_PROVIDER` and the `LLM_*` block)."""

from infinite_scribe.agents.llm.gate import ModelGate
from infinite_scribe.agents.llm.offline.stream import StreamingOffline
from infinite_scribe.agents.llm.openai_provider import OpenAIProvider
from infinite_scribe.agents.llm.port import LLMProvider
from infinite_scribe.runtime.model_activity import activity_of
from infinite_scribe.settings.settings import ConfigurationError, Settings


def build_provider(settings: Settings) -> ModelGate:
    """The offline generator (the default) or the OpenAI-compatible HTTP provider, behind the
    process's model gate (LLM_MAX_CONCURRENCY, the shared 429 slow-down, LLM_MAX_RETRIES)."""
    return gate(_adapter(settings), settings)


def replay_models(model: ModelGate, settings: Settings) -> dict[str, LLMProvider]:
    """The providers a regeneration may name (issue 55), by the name the API accepts: the
    offline generator as "offline", and the worker's model by its own name."""
    if model.name == "offline":
        return {"offline": model}
    offline = gate(StreamingOffline(settings.llm_offline_stream_seconds), settings)
    return {"offline": offline, **({model.model: model} if model.model else {})}


def gate(provider: LLMProvider, settings: Settings) -> ModelGate:
    """`provider` behind the process's gate; a model server's calls recorded where the
    model's health reads them (runtime/model_activity.py)."""
    server = settings.llm_base_url if isinstance(provider, OpenAIProvider) else None
    activity = activity_of(server).forgotten() if server is not None else None
    return ModelGate(
        provider,
        max_concurrency=settings.llm_max_concurrency,
        max_retries=settings.llm_max_retries,
        max_pause=settings.llm_rate_limit_max_pause_seconds,
        activity=activity,
    )


def _adapter(settings: Settings) -> LLMProvider:
    if settings.llm_provider == "offline":
        return StreamingOffline(settings.llm_offline_stream_seconds)
    if settings.llm_base_url is None or not settings.llm_model:
        # Settings refuses this already; this guards a Settings built with model_construct.
        raise ConfigurationError("LLM_BASE_URL and LLM_MODEL are required when LLM_PROVIDER=openai")
    return OpenAIProvider(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key.get_secret_value(),
        timeout=settings.llm_timeout_seconds,
        max_retries=0,  # the gate retries, and slows every call down on a 429
        max_concurrency=settings.llm_max_concurrency,
        schema_form=settings.llm_schema_form,
        context_tokens=settings.llm_context_tokens,
        reply_tokens=settings.llm_reply_tokens,
    )
