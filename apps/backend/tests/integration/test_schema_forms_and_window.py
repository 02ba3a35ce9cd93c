"""The provider over real HTTP (the suite's fake server): each schema form as the request
carries it, the window learned from the server and the prompt counted by its tokenizer, cut to
fit with room for the reply, and the counts the history keeps (issue 68)."""

import json
from collections.abc import Iterator
from uuid import uuid4

import pytest

from infinite_scribe.agents.chapter_writer import ModelChapterWriter
from infinite_scribe.agents.continuity.model_review import ModelReviewer
from infinite_scribe.agents.llm import prompts
from infinite_scribe.agents.llm.fitting import PromptTooLong
from infinite_scribe.agents.llm.openai_provider import OpenAIProvider
from infinite_scribe.agents.llm.port import GenerationRequest, metering
from infinite_scribe.agents.llm.replies import beats_reply, review_reply, stage_reply
from infinite_scribe.domain.chapter_brief import ChapterBrief
from infinite_scribe.domain.novel import NovelBible
from shared_types.enums import GenesisStage
from tests.support.fake_llm import TOKEN_CHARACTERS, FakeLLMServer, Reply

STAGE = GenesisStage.STORY_CONCEPTION


@pytest.fixture
def llm() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server


def _provider(
    llm: FakeLLMServer, form: str = "openai", context_tokens: int = 8192, reply_tokens: int = 2048
) -> OpenAIProvider:
    return OpenAIProvider(
        base_url=llm.base_url,
        model=FakeLLMServer.MODEL,
        max_retries=0,
        schema_form=form,
        context_tokens=context_tokens,
        reply_tokens=reply_tokens,
    )


def _request(**kw: object) -> GenerationRequest:
    return GenerationRequest(session_id=uuid4(), stage=STAGE, **kw)  # type: ignore[arg-type]


async def test_llama_cpp_form_sends_json_object_with_the_schema(llm: FakeLLMServer) -> None:
    provider = _provider(llm, "llama_cpp")
    try:
        await provider.generate(_request(user_input="A lighthouse keeper."))
    finally:
        await provider.aclose()
    (seen,) = llm.requests
    assert seen.body["response_format"] == {
        "type": "json_object",
        "schema": stage_reply(STAGE).grammar,  # with the texts' bounds a grammar can hold
    }
    assert seen.stage is STAGE and seen.body["stream"] is True
    assert seen.body["stream_options"] == {"include_usage": True}


async def test_ollama_form_sends_a_format_field(llm: FakeLLMServer) -> None:
    provider = _provider(llm, "ollama")
    try:
        await provider.generate(_request())
    finally:
        await provider.aclose()
    (seen,) = llm.requests
    assert seen.body["format"] == stage_reply(STAGE).grammar
    assert "response_format" not in seen.body


@pytest.mark.parametrize("form", ["json_object", "none"])
async def test_the_fallbacks_put_the_schema_in_the_system_message(
    llm: FakeLLMServer, form: str
) -> None:
    provider = _provider(llm, form)
    llm.script(Reply.text(json.dumps({"beats": ["One.", "Two."]})))
    brief = _brief()
    try:
        beats = await ModelChapterWriter(provider).beats(brief)
    finally:
        await provider.aclose()
    assert beats == ["One.", "Two."]
    (seen,) = llm.requests
    system = seen.body["messages"][0]["content"]
    schema = json.dumps(beats_reply().schema, separators=(",", ":"))
    assert "chapter_beats" in system and schema in system
    assert ("response_format" in seen.body) is (form == "json_object")


async def test_the_continuity_review_is_held_to_its_schema(llm: FakeLLMServer) -> None:
    provider = _provider(llm, "openai")
    llm.script(Reply.text(json.dumps({"findings": []})))
    try:
        found = await ModelReviewer(provider)("en", 3, "Ana sings.", {"Ana": []})
    finally:
        await provider.aclose()
    assert found == []
    assert llm.requests[0].schema_name == review_reply().name


async def test_the_window_comes_from_the_server_and_the_reply_keeps_its_room(
    llm: FakeLLMServer,
) -> None:
    llm.context_length, llm.tokenizer = 2048, True
    provider = _provider(llm, "llama_cpp", context_tokens=8192, reply_tokens=1024)
    try:
        with metering() as usage:
            await provider.generate(_request(user_input="A lighthouse keeper."))
    finally:
        await provider.aclose()
    (seen,) = llm.requests
    assert seen.body["max_tokens"] == 1024  # half of the server's 2,048 (not the setting's 8,192)
    # Counted by the server's tokenizer: its count, plus the template's overhead per message.
    sent = "\n".join(m["content"] for m in seen.body["messages"])
    assert llm.tokenized == [sent]
    assert usage.tokens_counted == -(-len(sent) // TOKEN_CHARACTERS) + 8 * 2
    assert usage.tokens_in is not None and usage.tokens_out is not None


async def test_a_prompt_that_fits_is_rendered_once(
    llm: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 80: a generation rendered its prompt three times though nothing was cut (the
    uncut prompt, then the cutting's first look, then its result): a third of the worker's
    CPU a generation at 1,000 writers."""
    rendered: list[GenerationRequest] = []

    def counted(request: GenerationRequest) -> prompts.RenderedPrompt:
        rendered.append(request)
        return render(request)

    render = prompts.render
    monkeypatch.setattr(prompts, "render", counted)
    provider = _provider(llm, "openai", context_tokens=8192, reply_tokens=1024)
    try:
        with metering() as usage:
            await provider.generate(_request(user_input="A lighthouse keeper."))
    finally:
        await provider.aclose()
    assert len(rendered) == 1 and usage.cuts == []


async def test_recorded_inputs_too_long_for_the_window_are_cut_not_refused(
    llm: FakeLLMServer,
) -> None:
    confirmed = {"CONCEPT_SELECTION": {"title": "Bells", "logline": "word " * 20_000}}
    provider = _provider(llm, "openai", context_tokens=4096, reply_tokens=1024)
    try:
        with metering() as usage:
            await provider.generate(_request(confirmed_data=confirmed, user_input="Keep me."))
    finally:
        await provider.aclose()
    (seen,) = llm.requests
    sent = "\n".join(m["content"] for m in seen.body["messages"])
    assert "Keep me." in sent and "Bells" in sent
    assert usage.tokens_counted is not None and usage.tokens_counted <= 4096 - 1024 - 32
    assert usage.cuts == ["confirmed_data"]


async def test_a_prompt_whose_kept_parts_never_fit_fails_before_any_call(
    llm: FakeLLMServer,
) -> None:
    provider = _provider(llm, "openai", context_tokens=1024, reply_tokens=256)
    try:
        with pytest.raises(PromptTooLong):
            await provider.generate(_request(user_input="word " * 5000))
    finally:
        await provider.aclose()
    assert llm.requests == []


async def test_a_chapter_brief_is_cut_and_its_size_counted(llm: FakeLLMServer) -> None:
    provider = _provider(llm, "openai", context_tokens=2048, reply_tokens=512)
    llm.script(Reply.text(json.dumps({"beats": ["Ana rings the bell."]})))
    brief = _brief(earlier=tuple((n, f"Ch {n}", "word " * 300) for n in range(995, 1000)))
    try:
        with metering() as usage:
            await ModelChapterWriter(provider).beats(brief)
    finally:
        await provider.aclose()
    assert usage.cuts[:1] == ["earlier"]
    assert usage.tokens_counted is not None and usage.tokens_counted <= 2048 - 512 - 32
    assert "Ana climbs the tower." in llm.requests[0].prompt


def _brief(**changes: object) -> ChapterBrief:
    fields: dict[str, object] = {
        "novel_id": uuid4(),
        "number": 1000,
        "title": "The last bell",
        "summary": "Ana climbs the tower.",
        "language": "en",
        "bible": NovelBible(title="Bells", characters={"characters": [{"name": "Ana"}]}),
    }
    return ChapterBrief(**(fields | changes))  # type: ignore[arg-type]


async def test_the_engines_count_lets_a_cut_prompt_keep_more_than_the_estimate(
    llm: FakeLLMServer,
) -> None:
    confirmed = {"CONCEPT_SELECTION": {"title": "Bells", "logline": "word " * 20_000}}
    kept = []
    for tokenizer in (False, True):
        llm.reset()
        llm.tokenizer = tokenizer
        provider = _provider(llm, "openai", context_tokens=8192, reply_tokens=1024)
        try:
            with metering() as usage:
                await provider.generate(_request(confirmed_data=confirmed))
        finally:
            await provider.aclose()
        assert usage.tokens_counted is not None and usage.tokens_counted <= 8192 - 1024 - 32
        kept.append(len(llm.requests[-1].prompt))
    # The estimate is on the safe side (3 characters a token); the fake's tokenizer counts 4.
    assert kept[1] > kept[0]
