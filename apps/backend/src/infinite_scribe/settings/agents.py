"""The workers' settings (issues 8, 10, 11 and 18; docs/agents.md, docs/flows.md): the runtime
every long-running worker shares, the agent worker's consumer, retries and pace, the model it
calls, and the flow sweeper. Mixed into `Settings` (settings.py)."""

from typing import Annotated, ClassVar, Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings

from infinite_scribe.settings.fields import count, port, seconds


class WorkerRuntimeSettings(BaseSettings):
    section: ClassVar[str] = "Workers (relay, agent worker, sweepers)"

    worker_shutdown_grace_seconds: Annotated[
        float,
        Field(
            ge=0,
            le=300,
            description="After SIGTERM/SIGINT, how long a worker (relay, agent worker, "
            "sweeper) may finish in-flight work before it is cut off.",
        ),
    ] = 5.0
    worker_metrics_host: Annotated[
        str, Field(description="The agent worker's `/health` and `/metrics` listener.")
    ] = "127.0.0.1"
    worker_metrics_port: Annotated[
        int,
        port(
            "Its port (0: any free port; `scribe up`: a free one; `scribe worker "
            "--processes N`: this, +1, ...)."
        ),
    ] = 9109


class AgentSettings(BaseSettings):
    section: ClassVar[str] = "Agent worker ([docs/agents.md](docs/agents.md))"

    worker_consumer_group: Annotated[
        str,
        Field(
            min_length=1,
            max_length=200,
            description="The agent workers' consumer group (and the ledger's consumer name).",
        ),
    ] = "agent-workers"
    worker_generation_attempts: Annotated[
        int,
        count(
            "Generation attempts per request on retryable provider errors before "
            "it fails for good (then the dead-letter topic).",
            le=10,
        ),
    ] = 3
    worker_retry_backoff_seconds: Annotated[
        float,
        Field(ge=0, le=60, description="The first backoff between attempts; it doubles."),
    ] = 0.5
    worker_redrive_after_seconds: Annotated[
        float,
        seconds(
            "An unfinished task with no activity for this long has its request re-published.",
            le=86400,
        ),
    ] = 30.0
    worker_redrive_interval_seconds: Annotated[
        float, seconds("Seconds between looks for such tasks.")
    ] = 10.0
    worker_session_timeout_ms: Annotated[
        int,
        Field(
            ge=1000,
            le=300_000,
            description="The consumer-group session timeout: a dead member is evicted after it.",
        ),
    ] = 6000
    worker_max_in_flight: Annotated[
        int,
        count(
            "Messages held per worker process (different sessions concurrently, "
            "one session in order); at the bound the partitions pause."
        ),
    ] = 1024
    draft_interval_seconds: Annotated[
        float,
        Field(ge=0.01, le=60, description="At most one draft per generation this often."),
    ] = 0.2
    drafts_retention_ms: Annotated[
        int,
        Field(
            ge=1000,
            le=86_400_000,
            description="Retention of the drafts topic `<KAFKA_TOPIC>.drafts`.",
        ),
    ] = 60_000


class LlmSettings(BaseSettings):
    section: ClassVar[str] = "Model ([docs/agents.md](docs/agents.md#configuring-a-model))"

    llm_provider: Annotated[
        Literal["offline", "openai"],
        Field(
            description="`offline`: the built-in deterministic generator (no network, "
            "proposals marked as offline drafts). `openai`: any OpenAI-compatible "
            "chat-completions server (needs `LLM_BASE_URL` and `LLM_MODEL`). Unset, it is "
            "`openai` when `LLM_BASE_URL` and `LLM_MODEL` are set (or `LLM_LOCAL_MODEL`), "
            "else `offline`."
        ),
    ] = "offline"
    llm_local_model: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=4096,
            description="`scribe up` runs a local engine serving this model (llama.cpp's "
            "server; `make model` installs it): `smollm2` for the packaged "
            "SmolLM2-135M-Instruct, a model `scribe model pull` fetched (by the name it "
            "pulled, e.g. `qwen3-8b`; `scribe model list`), or a path to a GGUF file. The "
            "worker calls it as any OpenAI-compatible server, by that name (a file: its name "
            "without `.gguf`), with a window of `LLM_CONTEXT_TOKENS`; leave `LLM_BASE_URL` and "
            "`LLM_MODEL` unset.",
        ),
    ] = None
    llm_local_threads: Annotated[
        int | None,
        Field(
            ge=1,
            le=1024,
            description="The local engine's threads, to write and to read the prompt (unset: "
            "llama.cpp's choice, half the cores to write and all of them to read).",
        ),
    ] = None
    llm_local_cache: Annotated[
        bool,
        Field(
            description="Keep the local engine's states in RAM (llama-cpp-python's `--cache`): "
            "two writers' chapters on one engine 2.68x faster, one writer's alone 1.23x slower "
            "(bench/engine_cache.py).",
        ),
    ] = False
    llm_model_hub_url: Annotated[
        str,
        Field(
            pattern=r"^https?://[^\s/?#]+(/\S*)?$",
            description="Where `scribe model pull` fetches GGUF files: a server with Hugging "
            "Face's layout (`<url>/<owner>/<repo>/resolve/<revision>/<file>`), such as a "
            "mirror of it.",
        ),
    ] = "https://huggingface.co"
    llm_base_url: Annotated[
        str | None,
        Field(
            pattern=r"^https?://[^\s/?#]+(/\S*)?$",
            description="The server's API base URL, ending in `/v1` for most servers.",
        ),
    ] = None
    llm_api_key: Annotated[
        SecretStr,
        Field(description="The bearer key; local servers usually need none (leave it empty)."),
    ] = SecretStr("")
    llm_model: Annotated[
        str | None,
        Field(min_length=1, max_length=200, description="The model name as the server knows it."),
    ] = None
    llm_timeout_seconds: Annotated[
        float,
        seconds("Time allowed for one model reply (the whole stream)."),
    ] = 60.0
    llm_max_retries: Annotated[
        int,
        Field(
            ge=0,
            le=10,
            description="Retries of one call on timeouts, connection errors, 429 and 5xx by "
            "the worker's model gate (exponential backoff; a 429's `Retry-After` holds every "
            "call to the provider); the worker's own attempts come on top.",
        ),
    ] = 2
    llm_rate_limit_max_pause_seconds: Annotated[
        float,
        seconds(
            "The longest every model call waits after a 429 (its `Retry-After`, "
            "shared by all calls of the worker): a longer hint, such as a quota error's hour, "
            "fails the generation that got it at once as rate-limited, with the hint in its "
            "message, and holds the others for this long only."
        ),
    ] = 30.0
    llm_max_concurrency: Annotated[
        int,
        count(
            "Model calls in flight per worker process: raise it for a hosted "
            "model; a local server usually serves a few at a time well."
        ),
    ] = 64
    llm_schema_form: Annotated[
        Literal["openai", "llama_cpp", "ollama", "json_object", "none"],
        Field(
            description="How a request asks the server for its JSON Schema "
            "([docs/agents.md](docs/agents.md#json-schema-output-by-server)): `openai` "
            "(`response_format` `json_schema`: OpenAI, vLLM, llama.cpp's server), `llama_cpp` "
            "(`json_object` with a `schema`: llama-cpp-python, what `scribe up`'s local engine "
            "uses), `ollama` (`format`), `json_object` (JSON mode, the schema in the prompt) "
            "or `none` (the schema in the prompt only).",
        ),
    ] = "openai"
    llm_context_tokens: Annotated[
        int,
        Field(
            ge=512,
            le=10_000_000,
            description="The model's context window in tokens; the server's own figure wins "
            "when it reports a smaller one (vLLM, llama.cpp). Prompts are cut to fit it with "
            "`LLM_REPLY_TOKENS` left for the reply.",
        ),
    ] = 8192
    llm_reply_tokens: Annotated[
        int,
        Field(
            ge=64,
            le=1_000_000,
            description="Tokens kept for a reply (sent as `max_tokens`; at most half the window). "
            "A reply of more than 32 bytes of text a token (a server that ignores `max_tokens`) "
            "is cut off there and fails as invalid output.",
        ),
    ] = 2048
    llm_offline_stream_seconds: Annotated[
        float,
        Field(
            ge=0,
            le=60,
            description="The offline generator streams its proposal as drafts over this long "
            "(0: at once).",
        ),
    ] = 1.0
    llm_health_ttl_seconds: Annotated[
        float,
        seconds(
            "How long the API's and the worker's health reuse their last probe of "
            "the model server (`GET {LLM_BASE_URL}/models`): an unreachable model is reported "
            "as `degraded` with its reason, liveness stays ok."
        ),
    ] = 15.0

    llm_price_input_per_million: Annotated[
        float | None,
        Field(
            ge=0,
            le=1_000_000,
            description="What the configured model costs per million prompt tokens, for the "
            "estimate shown before a generation (unset: tokens only, no cost).",
        ),
    ] = None
    llm_price_output_per_million: Annotated[
        float | None,
        Field(
            ge=0,
            le=1_000_000,
            description="What the configured model costs per million reply tokens (see "
            "`LLM_PRICE_INPUT_PER_MILLION`).",
        ),
    ] = None

    @property
    def models(self) -> tuple[str, ...]:
        """The models a proposal may be generated again with (issue 55): the offline
        generator always, and the configured model."""
        configured = (self.llm_model,) if self.llm_provider == "openai" and self.llm_model else ()
        return ("offline", *configured)

    @model_validator(mode="after")
    def _openai_needs_url_and_model(self) -> Self:
        named = "llm_provider" in self.model_fields_set
        if self.llm_local_model is not None:
            return self._local_model_alone(named)
        if not named and (self.llm_base_url is not None or self.llm_model):
            # A server named without a provider is meant to be used (decision 6801): never
            # the offline generator with a URL and a model set beside it.
            self.llm_provider = "openai"
        if self.llm_provider == "openai" and (self.llm_base_url is None or not self.llm_model):
            missing = "LLM_BASE_URL" if self.llm_base_url is None else "LLM_MODEL"
            why = "LLM_PROVIDER=openai" if named else "a model server is named"
            raise ValueError(
                f"{missing} is not set, yet {why}: a model server needs LLM_BASE_URL and "
                "LLM_MODEL (or set LLM_PROVIDER=offline for the offline generator)"
            )
        return self

    def _local_model_alone(self, named: bool) -> Self:
        """LLM_LOCAL_MODEL's engine is the model: a server or model named beside it would be
        a second answer to "which model?" (`up` fills in the engine's URL and name)."""
        if named and self.llm_provider == "offline":
            raise ValueError("LLM_LOCAL_MODEL runs a model: unset LLM_PROVIDER=offline or it")
        others = [name.upper() for name in ("llm_base_url", "llm_model") if getattr(self, name)]
        if others:
            variables = " and ".join(others)
            raise ValueError(
                f"LLM_LOCAL_MODEL runs its own engine: unset {variables} (or LLM_LOCAL_MODEL)"
            )
        return self

    @property
    def uses_local_engine(self) -> bool:
        """True once `scribe up` pointed these settings at the engine it runs."""
        return self.llm_local_model is not None and self.llm_base_url is not None


class FlowSettings(BaseSettings):
    section: ClassVar[str] = "Paused flows ([docs/flows.md](docs/flows.md))"

    flow_handle_ttl_seconds: Annotated[
        float,
        seconds(
            "How long a paused flow waits for the writer (604800: 7 days) before "
            "the agent worker's flow sweeper expires its handle.",
            le=90 * 86400,
        ),
    ] = 7 * 86400.0
    flow_sweep_interval_seconds: Annotated[float, seconds("How often the flow sweeper runs.")] = (
        30.0
    )
    flow_settle_after_seconds: Annotated[
        float,
        seconds(
            "A pause left PENDING_PAUSE this long (by a dead worker) is landed by the sweeper.",
            le=86400,
        ),
    ] = 60.0
