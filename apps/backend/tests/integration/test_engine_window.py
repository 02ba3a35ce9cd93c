"""Chapter 1,000 of a long outline on the real engine (issue 68): its brief (the bible, the
memory digest, the chapters before it) is larger than the model's window, so it is cut by rule
(agents/llm/fitting.py) to leave the reply its room; the engine answers without a context
error, and the brief's size in tokens (counted by the engine's tokenizer before the call, and
reported by the engine after) is printed. Skipped where the engine is not installed."""

from uuid import uuid4

import pytest

from infinite_scribe.agents.chapter_writer import ModelChapterWriter
from infinite_scribe.agents.llm.chapter_prompts import beats_messages
from infinite_scribe.agents.llm.gate import ModelGate
from infinite_scribe.agents.llm.openai_provider import OpenAIProvider
from infinite_scribe.agents.llm.port import metering
from infinite_scribe.agents.llm.window import MARGIN, estimate_messages
from infinite_scribe.domain.chapter_brief import ChapterBrief, chapter_outline
from infinite_scribe.domain.novel import NovelBible
from infinite_scribe.embedded.local_engine import LocalEngine
from tests.support.local_engine import local_engine, requires_engine

# A generation on a shared 2-core machine takes minutes (bench/ holds the figures).
pytestmark = [requires_engine, pytest.mark.engine, pytest.mark.timeout(1200)]
__all__ = ["local_engine"]

CHAPTERS = 1200
REPLY_TOKENS = 1024
SEA = "The sea named another ship, and Mara wrote the name in the keeper's book by lamplight. "


def long_novel() -> NovelBible:
    acts = [
        {
            "title": f"Act {act + 1}",
            "summary": SEA,
            "chapters": [
                {"title": f"Chapter {n}", "summary": f"Mara hears the name of ship {n}. {SEA}"}
                for n in range(act * 400 + 1, act * 400 + 401)
            ],
        }
        for act in range(CHAPTERS // 400)
    ]
    characters = [
        {"name": name, "role": "keeper" if name == "Mara Quill" else "sailor",
         "description": SEA * 3, "motivation": SEA, "arc": SEA}
        for name in ["Mara Quill", *(f"Sailor {n}" for n in range(11))]
    ]  # fmt: skip
    return NovelBible(
        title="The Names the Sea Keeps",
        logline="A keeper hears the sea name the ships it will take.",
        story={"premise": SEA * 4, "synopsis": SEA * 60, "conflicts": [SEA] * 8},
        worldview={
            "setting": SEA * 30,
            "rules": [SEA] * 12,
            "locations": [{"name": f"Cove {n}", "description": SEA * 2} for n in range(12)],
        },
        characters={"characters": characters, "relationships": [SEA] * 24},
        outline={"acts": acts},
    )


def chapter_1000(bible: NovelBible) -> ChapterBrief:
    outline = chapter_outline(bible.outline)
    number, title, summary = outline[999]
    return ChapterBrief(
        novel_id=uuid4(),
        number=number,
        title=title,
        summary=summary,
        language="en",
        bible=bible,
        earlier=tuple(outline[994:999]),
        wishes="Mara Quill keeps the lamp lit through the storm.",
        memory={
            "characters": [{"name": "Mara Quill", "status": "alive", "traits": {"hair": "grey"}}],
            "dead": [f"Sailor {n}" for n in range(5)],
            "threads": [
                {"text": SEA * 2, "planted_chapter": n, "due_chapter": n + 50}
                for n in range(950, 1000)
            ],
        },
    )


async def test_chapter_1000_of_a_long_outline_fits_the_engines_window(
    local_engine: LocalEngine,
) -> None:
    window = local_engine.model.context_tokens
    brief = chapter_1000(long_novel())
    assert brief.number == 1000
    uncut = estimate_messages(beats_messages(brief))
    assert uncut > window  # as it stands, the brief would not fit at all
    provider = OpenAIProvider(
        base_url=local_engine.base_url,
        model=local_engine.model.name,
        timeout=300,
        max_retries=0,
        schema_form="llama_cpp",
        context_tokens=window,
        reply_tokens=REPLY_TOKENS,
    )
    writer = ModelChapterWriter(provider, ModelGate(provider, max_concurrency=1, max_retries=2))
    try:
        with metering() as usage:
            beats = await writer.beats(brief)
    finally:
        await provider.aclose()
    assert beats  # no context error: the engine answered
    assert usage.tokens_counted is not None and usage.tokens_in is not None
    budget = window - REPLY_TOKENS - MARGIN
    # The prompt is fitted once and counted once; each call the gate makes (a broken beat sheet
    # is asked again, stop 87) sends it again, and the engine reports every call's tokens.
    assert usage.tokens_counted <= budget
    assert usage.tokens_in <= usage.tokens_counted * usage.calls
    assert usage.cuts and usage.cuts[0] == "earlier"
    print(
        f"\nchapter 1000's brief: {usage.tokens_counted} tokens counted by the engine's "
        f"tokenizer before the call(s), {usage.tokens_in} reported by the engine; window "
        f"{window}, reply room {REPLY_TOKENS}, uncut estimate {uncut}; cuts {usage.cuts}; "
        f"calls {usage.calls}"
    )
