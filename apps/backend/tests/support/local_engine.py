"""The real local engine for tests (issue 68), started by the production launcher
(`infinite_scribe.embedded.local_engine`): llama-cpp-python's server with the packaged SmolLM2
model (or the GGUF file `TEST_LOCAL_MODEL` names). Where the engine or the model is not
installed the tests that need it skip, saying so and how to install it (`make model`).

    from tests.support.local_engine import local_engine  # the module-scoped fixture

    def test_something(local_engine: LocalEngine) -> None:
        # LLM_PROVIDER=openai LLM_BASE_URL=local_engine.base_url LLM_MODEL=local_engine.model.name
        ...

or, for an engine of a test's own (another context length, a restart):

    with running_engine(tmp_path, context_tokens=2048) as engine:
        ...
"""

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from infinite_scribe.agents.llm.openai_provider import OpenAIProvider
from infinite_scribe.embedded.local_engine import (
    EngineUnavailable,
    LocalEngine,
    LocalModel,
    engine_missing,
    resolve_model,
)
from infinite_scribe.embedded.net import port_open

#: The model the tests use: the packaged one unless TEST_LOCAL_MODEL names another GGUF file.
TEST_MODEL = os.environ.get("TEST_LOCAL_MODEL", "smollm2")
#: Generation threads (unset: llama.cpp's default, half the cores). Not more: on a loaded
#: 2-core machine two threads made 3-4 tokens/s where one made 20-60 (its threads spin-wait).
TEST_THREADS = int(os.environ.get("TEST_LOCAL_ENGINE_THREADS", "0")) or None


def engine_provider(engine: LocalEngine, **options: Any) -> OpenAIProvider:
    """The engine's provider as the worker builds it for a local engine (its grammar form, the
    model's window; no retries: a test sees each failure); `options` override (timeout,
    reply_tokens)."""
    return OpenAIProvider(
        **{
            "base_url": engine.base_url,
            "model": engine.model.name,
            "timeout": 300,
            "max_retries": 0,
            "schema_form": "llama_cpp",
            "context_tokens": engine.model.context_tokens,
        }
        | options
    )


def unavailable() -> str | None:
    """Why the engine cannot run here, as a skip reason (None: it can)."""
    missing = engine_missing()
    if missing:
        return missing
    try:
        resolve_model(TEST_MODEL)
    except EngineUnavailable as error:
        return str(error)
    return None


def model_or_skip(context_tokens: int | None = None) -> LocalModel:
    reason = unavailable()
    if reason:
        pytest.skip(f"no local model engine: {reason}")
    return resolve_model(TEST_MODEL, context_tokens)


#: For `pytestmark = requires_engine`: the module skips where the engine cannot run.
requires_engine = pytest.mark.skipif(
    unavailable() is not None, reason=f"no local model engine: {unavailable()}"
)


@contextmanager
def running_engine(
    log_dir: Path, context_tokens: int | None = None, threads: int | None = TEST_THREADS
) -> Iterator[LocalEngine]:
    """A started engine (skips the test where it cannot run); stopped, its port free, on exit."""
    engine = LocalEngine(
        model_or_skip(context_tokens), log_dir / "local-engine.log", threads=threads
    )
    engine.start()
    try:
        yield engine
    finally:
        engine.stop()
        assert not port_open(engine.host, engine.port), "the stopped engine's port is still open"


@pytest.fixture(scope="module")
def local_engine() -> Iterator[LocalEngine]:
    """One engine for a module's tests."""
    with (
        tempfile.TemporaryDirectory(prefix="scribe-engine-") as log_dir,
        running_engine(Path(log_dir)) as engine,
    ):
        yield engine
