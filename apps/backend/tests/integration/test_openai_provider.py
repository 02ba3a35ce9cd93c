"""The OpenAI-compatible provider against a real local chat-completions server (tests/support):
structured output, the SDK's retries on 429/500, and every failure mapped to the port's errors."""

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Iterator
from uuid import uuid4

import pytest

from infinite_scribe.agents.llm.factory import build_provider
from infinite_scribe.agents.llm.gate import ModelGate
from infinite_scribe.agents.llm.openai_provider import OpenAIProvider
from infinite_scribe.agents.llm.port import (
    GenerationRequest,
    GenerationTimeout,
    InvalidOutput,
    ProviderRejected,
    ProviderUnavailable,
    RateLimited,
    metering,
)
from infinite_scribe.agents.llm.replies import stage_reply
from infinite_scribe.agents.llm.reply_parsing import truncated
from infinite_scribe.domain.proposals import (
    PROPOSAL_MODELS,
    ConceptProposal,
    ProposalSource,
    schema_name,
)
from infinite_scribe.settings.settings import load_settings
from shared_types.enums import GenesisStage
from tests.support.fake_llm import SCRIPTED_NOTE, FakeLLMServer, Reply

CONFIRMED = {
    "CONCEPT_SELECTION": {"title": "潮汐之城", "logline": "A city that forgets every tide."},
    "STORY_CONCEPTION": {"title": "潮汐之城", "premise": "Memory is currency."},
}


@pytest.fixture
def llm() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server


def provider_for(llm: FakeLLMServer, *, timeout: float = 5.0, retries: int = 2) -> OpenAIProvider:
    return OpenAIProvider(
        base_url=llm.base_url, model=FakeLLMServer.MODEL, timeout=timeout, max_retries=retries
    )


@pytest.fixture
async def provider(llm: FakeLLMServer) -> AsyncIterator[OpenAIProvider]:
    provider = provider_for(llm)
    yield provider
    await provider.aclose()


def request(
    stage: GenesisStage = GenesisStage.CONCEPT_SELECTION, **kw: object
) -> GenerationRequest:
    return GenerationRequest(session_id=uuid4(), stage=stage, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("stage", list(PROPOSAL_MODELS))
async def test_every_stage_asks_for_strict_structured_output(
    llm: FakeLLMServer, provider: OpenAIProvider, stage: GenesisStage
) -> None:
    proposal = await provider.generate(request(stage))
    assert isinstance(proposal, PROPOSAL_MODELS[stage])
    assert proposal.source is ProposalSource.LLM and proposal.note == SCRIPTED_NOTE
    (seen,) = llm.requests
    assert seen.path == "/v1/chat/completions" and seen.body["model"] == FakeLLMServer.MODEL
    assert seen.body["response_format"] == {
        "type": "json_schema",
        "json_schema": {
            "name": schema_name(stage),
            "schema": stage_reply(stage).schema,
            "strict": True,
        },
    }
    assert [m["role"] for m in seen.body["messages"]] == ["system", "user"]


async def test_the_prompt_carries_confirmed_data_inputs_and_feedback(
    llm: FakeLLMServer, provider: OpenAIProvider
) -> None:
    revision = request(
        GenesisStage.WORLDVIEW,
        confirmed_data=CONFIRMED,
        user_input="海边的小镇",
        theme_preferences=("科幻", "悬疑"),
        style_preferences=("快节奏",),
        feedback="多一些关于潮汐的规则",
        previous_proposal={"setting": "旧的世界观草稿"},
    )
    await provider.generate(revision)
    prompt = llm.requests[0].prompt
    for text in ("潮汐之城", "Memory is currency.", "海边的小镇", "悬疑", "快节奏"):
        assert text in prompt
    assert "多一些关于潮汐的规则" in prompt and "旧的世界观草稿" in prompt


async def test_the_request_seed_is_sent_and_none_leaves_the_server_its_own(
    llm: FakeLLMServer, provider: OpenAIProvider
) -> None:
    await provider.generate(request(seed=1234))
    await provider.generate(request())
    assert llm.requests[0].body["seed"] == 1234 and "seed" not in llm.requests[1].body


@pytest.mark.parametrize(
    "failure", [Reply.rate_limited(), Reply.error(500), Reply.error(503, {"retry-after-ms": "10"})]
)
async def test_429_and_5xx_are_retried_by_the_sdk(
    llm: FakeLLMServer, provider: OpenAIProvider, failure: Reply
) -> None:
    llm.script(failure, failure)
    proposal = await provider.generate(request())
    assert isinstance(proposal, ConceptProposal)
    assert len(llm.requests) == 3


async def test_rate_limit_after_the_retries_is_retryable_with_its_hint(llm: FakeLLMServer) -> None:
    llm.default = Reply.rate_limited(retry_after_ms=30)
    provider = provider_for(llm, retries=1)
    with pytest.raises(RateLimited) as caught:
        await provider.generate(request())
    await provider.aclose()
    assert len(llm.requests) == 2
    assert caught.value.retryable and caught.value.retry_after == pytest.approx(0.03)
    assert caught.value.to_dict()["error_code"] == "LLM_RATE_LIMITED"


async def test_server_errors_after_the_retries_are_retryable(llm: FakeLLMServer) -> None:
    llm.default = Reply.error(500)
    provider = provider_for(llm, retries=0)
    with pytest.raises(ProviderUnavailable) as caught:
        await provider.generate(request())
    await provider.aclose()
    assert caught.value.retryable and len(llm.requests) == 1


async def test_a_slow_model_is_a_retryable_timeout(llm: FakeLLMServer) -> None:
    # The timeout bounds the whole streamed reply; the retry is the model gate's (the worker
    # builds the adapter with no SDK retries).
    llm.default = Reply.slow(3.0)
    provider = ModelGate(
        provider_for(llm, timeout=0.3, retries=0), max_concurrency=4, max_retries=1
    )
    with pytest.raises(GenerationTimeout) as caught:
        await provider.generate(request())
    await provider.aclose()
    assert caught.value.retryable and len(llm.requests) == 2


async def test_an_unreachable_server_is_unavailable() -> None:
    with FakeLLMServer() as llm:
        url = llm.base_url
    provider = OpenAIProvider(base_url=url, model="m", timeout=1.0, max_retries=0)
    with pytest.raises(ProviderUnavailable):
        await provider.generate(request())
    await provider.aclose()


@pytest.mark.parametrize("status", [400, 401, 404])
async def test_other_client_errors_are_not_retried(llm: FakeLLMServer, status: int) -> None:
    llm.default = Reply.error(status)
    provider = provider_for(llm)
    with pytest.raises(ProviderRejected) as caught:
        await provider.generate(request())
    await provider.aclose()
    assert not caught.value.retryable and len(llm.requests) == 1


INVALID = [
    Reply.text("{not json"),
    Reply.text("[1, 2]"),
    Reply.text(json.dumps({"concepts": [], "note": None})),  # too few concepts
    Reply.text(json.dumps({"concepts": [{"title": "x"}] * 2, "note": None})),
    Reply.text(json.dumps({"concepts": [], "note": None, "extra": 1})),
    Reply(finish_reason="length", content='{"concepts": ['),
]


@pytest.mark.parametrize(
    "reply", INVALID, ids=["malformed", "array", "few", "fields", "extra", "cut"]
)
async def test_malformed_or_invalid_output_is_an_invalid_output_error(
    llm: FakeLLMServer, provider: OpenAIProvider, reply: Reply
) -> None:
    llm.script(reply)
    with pytest.raises(InvalidOutput) as caught:
        await provider.generate(request())
    assert caught.value.retryable and caught.value.code == "LLM_INVALID_OUTPUT"
    assert len(llm.requests) == 1  # the SDK does not retry a 200; the worker decides


async def test_a_refusal_is_invalid_and_not_retryable(
    llm: FakeLLMServer, provider: OpenAIProvider
) -> None:
    llm.script(Reply(content="", refusal="I cannot help with that."))
    with pytest.raises(InvalidOutput) as caught:
        await provider.generate(request())
    assert not caught.value.retryable


async def test_a_fenced_reply_is_accepted_and_source_cannot_be_claimed(
    llm: FakeLLMServer, provider: OpenAIProvider
) -> None:
    concept = {"title": "T", "logline": "L", "themes": ["x"], "tone": None, "genre": None}
    body = {"concepts": [concept, concept], "note": None, "source": "offline_draft"}
    llm.script(Reply.text(f"```json\n{json.dumps(body)}\n```"))
    proposal = await provider.generate(request())
    assert proposal.source is ProposalSource.LLM


async def test_the_factory_builds_the_http_provider_from_settings(llm: FakeLLMServer) -> None:
    settings = load_settings(
        llm_provider="openai", llm_base_url=llm.base_url, llm_model="m", llm_max_retries=0
    )
    provider = build_provider(settings)
    assert provider.name == "openai"
    assert isinstance(await provider.generate(request()), ConceptProposal)
    await provider.aclose()
    assert llm.requests[0].headers["Authorization"] == "Bearer not-needed"


async def test_the_gate_caps_model_calls_in_flight(llm: FakeLLMServer) -> None:
    llm.default = Reply.streamed(0.1, 0.3)
    gate = ModelGate(provider_for(llm, retries=0), max_concurrency=3, max_retries=0)
    proposals = await asyncio.gather(*(gate.generate(request()) for _ in range(9)))
    await gate.aclose()
    assert len(proposals) == 9 and len(llm.requests) == 9
    assert llm.peak_in_flight == 3 and gate.peak_in_flight == 3


async def test_streamed_text_reaches_the_draft_callback_as_it_grows(llm: FakeLLMServer) -> None:
    llm.default = Reply.streamed(0.05, 0.2)
    provider = provider_for(llm, retries=0)
    drafts: list[str] = []
    proposal = await provider.generate(request(), draft=lambda text: drafts.append(text()))
    await provider.aclose()
    assert len(drafts) >= 5  # the fake server streams 10 chunks
    assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(drafts))
    assert json.loads(drafts[-1])["concepts"][0]["title"] == proposal.concepts[0].title  # type: ignore[attr-defined]


async def test_the_usage_chunk_is_reported_for_provenance(
    llm: FakeLLMServer, provider: OpenAIProvider
) -> None:
    with metering() as usage:
        await provider.generate(request())
    (seen,) = llm.requests
    assert seen.body["stream_options"] == {"include_usage": True}
    assert usage.tokens_in == len(seen.prompt) and usage.tokens_out and usage.tokens_out > 0
    assert provider.prompt_version.startswith("prompts-")
    # Outside a meter nothing is recorded (and nothing fails).
    await provider.generate(request())


@pytest.mark.parametrize(
    "content",
    ['{"concepts": [{"title": "Storm', '{"concepts": [{"title": "Storm"}', '```json\n{"a": ['],
)
async def test_a_reply_cut_off_is_said_so_even_when_the_server_says_stop(
    llm: FakeLLMServer, provider: OpenAIProvider, content: str
) -> None:
    """Issue 55: a proxy or a server limit may cut a reply and still send `stop`; the JSON that
    ends before it closes tells, and the error says so (retryable: the next attempt may fit)."""
    llm.script(Reply(finish_reason="stop", content=content))
    with pytest.raises(InvalidOutput, match="cut off") as caught:
        await provider.generate(request())
    assert caught.value.retryable


@pytest.mark.parametrize(
    ("text", "cut"),
    [('{"a": "b"}', False), ('{"a": "}"', True), ('{"a": "x\\"', True), ("{not json", True),
     ("not json", False), ('{"a": 1}}', False)],
)  # fmt: skip
def test_a_cut_is_told_from_other_bad_json(text: str, cut: bool) -> None:
    assert truncated(text) is cut
