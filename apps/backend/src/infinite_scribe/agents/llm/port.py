"""The LLM provider port: what the agent worker asks for, what it gets back, how it fails.

Adapters: `offline.OfflineGenerator` (deterministic, no network, the embedded default) and
`openai_provider.OpenAIProvider` (any OpenAI-compatible chat-completions server). The worker
only sees this module, so swapping adapters never touches it.
"""

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable
from uuid import UUID

from infinite_scribe.domain.outline_plan import BatchBrief
from infinite_scribe.domain.proposals import Proposal
from shared_types.enums import GenesisStage

#: The text written so far, built when called: a draft is built only when one is sent (at
#: most one per DRAFT interval), never per streamed chunk (issue 79: joining a 10 MB reply at
#: every 1 KB chunk held the event loop for seconds).
DraftText = Callable[[], str]
#: `draft(text_so_far)`: called as the model writes (often: per streamed chunk); it must be
#: cheap and never block (the worker throttles what it forwards to the writer, and calls
#: `text_so_far()` only for what it sends).
DraftCallback = Callable[[DraftText], None]


def prefix_of(text: str, end: int) -> DraftText:
    """`text[:end]` as a draft's text (what an adapter that has its whole text streams)."""
    return lambda: text[:end]


def after(before: str, text: DraftText) -> DraftText:
    """`before` then `text()` (a chapter's earlier beats before the one being written)."""
    return lambda: before + text()


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    """Everything a provider may use to propose content for one stage of one session.

    `confirmed_data` maps earlier stages (GenesisStage values) to what the writer confirmed;
    `feedback` and `previous_proposal` are set for a revision (SubmitFeedback).
    """

    session_id: UUID
    stage: GenesisStage
    confirmed_data: Mapping[str, Any] = field(default_factory=dict)
    user_input: str | None = None
    preferences: Mapping[str, Any] = field(default_factory=dict)
    theme_preferences: tuple[str, ...] = ()
    style_preferences: tuple[str, ...] = ()
    feedback: str | None = None
    previous_proposal: Mapping[str, Any] | None = None
    #: The writer's codex (`domain/codex.py`, `Codex.as_json()`; issue 76): what every
    #: generator is held to (names, roles, places, times as written); {}: none.
    codex: Mapping[str, Any] = field(default_factory=dict)
    #: The checks the guard failed the previous answer on (issue 76): the one retry names them.
    failed_checks: tuple[str, ...] = ()
    #: The codex edits the feedback asked for, offered to the writer rather than made (issue
    #: 76, `text.codex_reading.offered_edits`): the revision's note says them offered.
    offered_edits: tuple[Mapping[str, str], ...] = ()
    #: What a model samples by (the chat request's `seed`; `proposal_inputs.request_seed`),
    #: recorded with the request: a replay of the record samples the same path, asking again
    #: draws anew (None: the server's own choice; decision 7603).
    seed: int | None = None

    @property
    def is_revision(self) -> bool:
        return self.feedback is not None

    @property
    def options_asked(self) -> int | None:
        """The concepts the writer asked for (`preferences.options`, or `concepts`; None: not
        said): the guard counts them, and a grammar holds the reply to them."""
        return _count(self.preferences.get("options", self.preferences.get("concepts")))

    @property
    def chapters_asked(self) -> int | None:
        """The outline's chapters the writer asked for (`preferences.chapters`; None: not said)."""
        return _count(self.preferences.get("chapters"))


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


@dataclass
class Usage:
    """Tokens a model call reported (None: the provider does not say)."""

    tokens_in: int | None = None
    tokens_out: int | None = None
    #: Of `tokens_in`, those the server reused from an earlier request's prompt instead of
    #: evaluating them (`usage.prompt_tokens_details.cached_tokens`; issue 77).
    tokens_cached: int | None = None
    #: Model calls made (a gate's retries included); 0 when nothing counted them.
    calls: int = 0
    #: The chat messages the proposal's call sent (None: no model was called), kept beside the
    #: proposal for the prompt view (issue 55).
    messages: list[dict[str, str]] | None = None
    #: The prompt's tokens as counted before it was sent (the engine's tokenizer, or the safe
    #: estimate; issue 68), summed over the calls: compared with `tokens_in` after.
    tokens_counted: int | None = None
    #: Seconds the model spent writing (first token to last), summed over the calls.
    writing_seconds: float = 0.0
    #: What was cut from the prompts to fit the model's window (agents/llm/fitting.py).
    cuts: list[str] = field(default_factory=list)

    @property
    def tokens_evaluated(self) -> int | None:
        """The prompt tokens the server evaluated (its prefix cache's misses), when it says."""
        if self.tokens_in is None or self.tokens_cached is None:
            return None
        return max(self.tokens_in - self.tokens_cached, 0)

    @property
    def tokens_per_second(self) -> float | None:
        """The model's writing speed over the calls (None: no tokens or no time counted)."""
        if not self.tokens_out or self.writing_seconds <= 0:
            return None
        return round(self.tokens_out / self.writing_seconds, 2)

    def provenance(self) -> dict[str, Any]:
        """The counts a proposal's or a draft's provenance records."""
        return {
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "tokens_counted": self.tokens_counted,
            "tokens_cached": self.tokens_cached,
            "tokens_evaluated": self.tokens_evaluated,
            "tokens_per_second": self.tokens_per_second,
        }


# The meter of the generation running in this context: `generate` keeps its signature (every
# adapter and fake implements it) and an adapter that knows its token counts reports them here.
_USAGE: ContextVar[Usage | None] = ContextVar("llm_usage", default=None)


@contextmanager
def metering() -> Iterator[Usage]:
    """A fresh meter for the calls started inside (a task created here shares it)."""
    usage = Usage()
    token = _USAGE.set(usage)
    try:
        yield usage
    finally:
        _USAGE.reset(token)


def count_call() -> None:
    """One more model call for the current generation (ignored outside a meter)."""
    usage = _USAGE.get()
    if usage is not None:
        usage.calls += 1


def report_usage(
    tokens_in: int | None, tokens_out: int | None, tokens_cached: int | None = None
) -> None:
    """An adapter's token counts of one call, added to the current generation's (ignored
    outside a meter): a chapter's beats and prose calls are one generation."""
    usage = _USAGE.get()
    if usage is not None:
        usage.tokens_in = _added(usage.tokens_in, tokens_in)
        usage.tokens_out = _added(usage.tokens_out, tokens_out)
        usage.tokens_cached = _added(usage.tokens_cached, tokens_cached)


def report_prompt(tokens_counted: int, cuts: list[str]) -> None:
    """A call's prompt size as counted before it was sent, and what fitting it cut."""
    usage = _USAGE.get()
    if usage is not None:
        usage.tokens_counted = _added(usage.tokens_counted, tokens_counted)
        usage.cuts.extend(cut for cut in cuts if cut not in usage.cuts)


def report_writing(seconds: float) -> None:
    """Seconds a call's model spent writing its reply."""
    usage = _USAGE.get()
    if usage is not None:
        usage.writing_seconds += max(seconds, 0.0)


def _added(total: int | None, more: int | None) -> int | None:
    return total if more is None else (total or 0) + more


# Where the running generation's progress notes go (the worker shows them as its task's
# message): a gate waiting out a 429 says so here, as `_USAGE` carries token counts.
_PROGRESS: ContextVar[Callable[[str], None] | None] = ContextVar("llm_progress", default=None)


@contextmanager
def progress_to(note: Callable[[str], None]) -> Iterator[None]:
    """Progress notes of the calls started inside go to `note`."""
    token = _PROGRESS.set(note)
    try:
        yield
    finally:
        _PROGRESS.reset(token)


def report_progress(message: str) -> None:
    """A sentence on what the current generation waits for (ignored outside `progress_to`)."""
    note = _PROGRESS.get()
    if note is not None:
        note(message)


def report_messages(messages: list[dict[str, str]]) -> None:
    """The messages an adapter sent for the current generation (ignored outside a meter)."""
    usage = _USAGE.get()
    if usage is not None:
        usage.messages = messages


class LLMProvider(Protocol):
    """Generates a validated proposal for a request's stage."""

    #: Short adapter name for logs, metrics and event metadata ("offline", "openai").
    name: str

    async def generate(
        self,
        request: GenerationRequest,
        draft: DraftCallback | None = None,
    ) -> Proposal:
        """Return the stage's proposal model (`PROPOSAL_MODELS[request.stage]`), validated,
        reporting the text written so far to `draft` while the model writes.

        Raises GenerationError (or a subclass); nothing invalid is ever returned. Cancelling
        the calling task cancels the model call (the HTTP stream is closed)."""
        ...

    async def aclose(self) -> None:
        """Release connections; the provider is not used afterwards."""
        ...


@runtime_checkable
class OutlineWriter(Protocol):
    """A provider that also writes an outline's chapters a batch at a time (decision 5404)."""

    async def outline_chapters(
        self,
        request: GenerationRequest,
        brief: BatchBrief,
        draft: DraftCallback | None = None,
    ) -> list[dict[str, Any]]:
        """`brief.batch.count` chapters (at most; at least one) of the PLOT_OUTLINE `request`,
        each `{"title", "summary"}`, validated; the port's errors as for a proposal."""
        ...


class GenerationError(Exception):
    """A generation that produced no proposal. `retryable` tells the worker whether trying the
    same request again later may succeed (it then backs off; otherwise it fails the task)."""

    #: Stable code for task `error_data`, Failed events and dead-letter headers.
    code: ClassVar[str] = "GENERATION_FAILED"
    default_retryable: ClassVar[bool] = False

    def __init__(self, message: str, retryable: bool | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = self.default_retryable if retryable is None else retryable

    def to_dict(self) -> dict[str, Any]:
        """The error as JSON for `async_tasks.error_data` and Failed event payloads."""
        return {"error_code": self.code, "message": self.message, "retryable": self.retryable}


class GenerationTimeout(GenerationError):
    """The model did not answer within LLM_TIMEOUT_SECONDS (after the SDK's own retries)."""

    code = "LLM_TIMEOUT"
    default_retryable = True


class RateLimited(GenerationError):
    """429 from the server after the SDK's retries; `retry_after` is its hint in seconds."""

    code = "LLM_RATE_LIMITED"
    default_retryable = True

    def __init__(
        self, message: str, retryable: bool | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, retryable)
        self.retry_after = retry_after

    def to_dict(self) -> dict[str, Any]:
        return super().to_dict() | {"retry_after": self.retry_after}


class ProviderUnavailable(GenerationError):
    """5xx, or the server could not be reached: an outage that may pass."""

    code = "LLM_UNAVAILABLE"
    default_retryable = True


class ProviderRejected(GenerationError):
    """Any other 4xx (bad key, unknown model, request refused): retrying changes nothing."""

    code = "LLM_REJECTED"
    default_retryable = False


class UnknownModel(GenerationError):
    """A regeneration names a model this worker does not have (the API's models and the
    worker's differ): the task fails with this code, nothing is retried (issue 55)."""

    code = "LLM_UNKNOWN_MODEL"


class InvalidOutput(GenerationError):
    """The reply was not JSON, or not a valid proposal for the stage, or was truncated.

    Retryable by default: sampling differs from one call to the next, so the same request often
    succeeds on a second try; the worker's bounded retry budget stops a model that never
    complies. A refusal is created with `retryable=False` (the same prompt gets the same no)."""

    code = "LLM_INVALID_OUTPUT"
    default_retryable = True
