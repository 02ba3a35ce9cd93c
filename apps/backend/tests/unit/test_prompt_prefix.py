"""Prompts laid out for the engine's cache (issue 77): what stays the same comes first (the
system message, the book's fixed parts, the chapter's context), what changes last (this beat,
this feedback, this stage's request), so that consecutive calls share the longest prefix; a
server that keeps the last prompt's state (llama.cpp) or a prefix cache (vLLM, hosted APIs)
then evaluates only the rest."""

import asyncio
import itertools
from dataclasses import replace
from uuid import uuid4

from infinite_scribe.agents.llm.chapter_prompts import beats_messages, prose_messages
from infinite_scribe.agents.llm.port import GenerationRequest
from infinite_scribe.agents.llm.prompts import render
from shared_types.enums import GenesisStage
from tests.support.chapters import brief, genesis_bible

BEATS = ["Mara lights the lamp", "Mara reads the letter", "Mara sails", "Mara comes home"]


def _text(messages: list[dict[str, str]]) -> str:
    return "\n".join(message["content"] for message in messages)


def _shared(a: str, b: str) -> int:
    pairs = zip(a, b, strict=False)
    return sum(1 for _ in itertools.takewhile(lambda p: p[0] == p[1], pairs))


def test_a_chapters_calls_differ_only_in_their_tails() -> None:
    given = brief(asyncio.run(genesis_bible("en")), "en", 4, wishes="A storm")
    beats = _text(beats_messages(given))
    prose = [_text(prose_messages(given, BEATS, index)) for index in range(len(BEATS))]
    # The beats call and the first beat's share all but the beats call's request.
    assert _shared(beats, prose[0]) >= beats.index("# Chapter 4: the beats")
    for before, after in itertools.pairwise(prose):
        # Beat after beat: all but the beat's own request (a few hundred characters).
        assert len(after) - _shared(before, after) < 700, after[_shared(before, after) :]
        assert _shared(before, after) > 0.8 * len(after)


def test_a_revision_keeps_the_drafts_context_first() -> None:
    bible = asyncio.run(genesis_bible("en"))
    draft = _text(beats_messages(brief(bible, "en", 4)))
    revised = brief(bible, "en", 4, feedback="Darker", previous_text="The old draft.")
    shared = _shared(draft, _text(beats_messages(revised)))
    assert shared >= draft.index("## What the writer asks for this chapter")


def test_a_sessions_stages_share_the_writers_wishes_and_the_stages_before() -> None:
    session, wishes = uuid4(), {"user_input": "A lighthouse keeper in 1911 Valparaíso"}
    concept = GenerationRequest(session, GenesisStage.CONCEPT_SELECTION, **wishes)  # type: ignore[arg-type]
    story = replace(
        concept,
        stage=GenesisStage.STORY_CONCEPTION,
        confirmed_data={"CONCEPT_SELECTION": {"title": "The Keeper", "logline": "x" * 300}},
    )
    world = replace(
        story,
        stage=GenesisStage.WORLDVIEW,
        confirmed_data={**story.confirmed_data, "STORY_CONCEPTION": {"premise": "y" * 300}},
    )
    first, second, third = (_prompt(r) for r in (concept, story, world))
    # Each stage's prompt starts as the one before: the system, the wishes, the stages before.
    assert _shared(first, second) >= first.index("## What the writer confirmed")
    assert _shared(second, third) >= second.index('"title": "The Keeper"') + 300
    # A revision keeps the first call's whole context before its own part.
    revised = replace(story, feedback="Darker", previous_proposal={"title": "T"})
    assert _shared(second, _prompt(revised)) >= second.index("# Stage: story conception") - 2


def _prompt(request: GenerationRequest) -> str:
    rendered = render(request)
    return rendered.system + "\n" + rendered.user
