"""`scribe up`'s local model engine (issue 68): with `LLM_LOCAL_MODEL` set, the engine
(embedded/local_engine.py) is spawned before the database and the broker start (its model
loads meanwhile), waited for after them, supervised with them, and stopped last, after the
workers that call it. The worker reaches it as any OpenAI-compatible server: the settings `up`
hands on are LLM_PROVIDER=openai with the engine's URL and the model's name."""

from infinite_scribe.embedded.local_engine import (
    EngineUnavailable,
    LocalEngine,
    engine_missing,
    resolve_model,
)
from infinite_scribe.settings.settings import Settings

#: The engine's log, in SCRIBE_DATA_DIR (appended to across restarts).
LOG_NAME = "local-engine.log"


def local_engine(settings: Settings) -> LocalEngine | None:
    """The engine LLM_LOCAL_MODEL asks for, not started (None when unset); raises
    EngineUnavailable, naming the setting, when the engine or the model is not installed."""
    if settings.llm_local_model is None:
        return None
    missing = engine_missing()
    if missing:
        raise EngineUnavailable(f"LLM_LOCAL_MODEL={settings.llm_local_model}: {missing}")
    model = resolve_model(
        settings.llm_local_model, settings.llm_context_tokens, settings.scribe_data_dir
    )
    return LocalEngine(
        model,
        settings.scribe_data_dir / LOG_NAME,
        threads=settings.llm_local_threads,
        cache=settings.llm_local_cache,
    )


#: What suits the local engine where the operator set nothing: its schema form; one call at a
#: time (it serves one; the rest wait in the worker's gate, where no timeout runs, rather than
#: in its queue); and time for a whole reply on a CPU (2,048 tokens at 20 a second).
LOCAL_DEFAULTS: dict[str, object] = {
    "llm_schema_form": "llama_cpp",
    "llm_max_concurrency": 1,
    "llm_timeout_seconds": 300.0,
}


def engine_settings(settings: Settings, engine: LocalEngine) -> dict[str, object]:
    """What the API and the workers are given: the engine as an OpenAI-compatible server, and
    LOCAL_DEFAULTS where the settings name none."""
    updates: dict[str, object] = {
        "llm_provider": "openai",
        "llm_base_url": engine.base_url,
        "llm_model": engine.model.name,
    }
    for name, value in LOCAL_DEFAULTS.items():
        if name not in settings.model_fields_set:
            updates[name] = value
    return updates


def describe(engine: LocalEngine) -> str:
    """The banner's line for it."""
    return (
        f"local model engine ({engine.model.name}, {engine.model.context_tokens} tokens of "
        f"context, log {engine.log_path})"
    )
