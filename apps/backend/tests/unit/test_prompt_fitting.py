"""A prompt cut to the model's window by rule (issue 68): what goes first, what is never cut."""

from typing import Any
from uuid import uuid4

import pytest

from infinite_scribe.agents.llm.chapter_prompts import beats_messages
from infinite_scribe.agents.llm.fitting import PromptTooLong, fit_brief, shrink_largest
from infinite_scribe.agents.llm.window import (
    _count,
    estimate_messages,
    estimate_tokens,
    reported_context,
)
from infinite_scribe.domain.chapter_brief import ChapterBrief
from infinite_scribe.domain.novel import NovelBible

LONG = "The tide rose over the drowned city while the bells rang. " * 40


def _brief(**changes: object) -> ChapterBrief:
    characters = [
        {"name": f"Hero{n}", "role": "lead", "description": LONG[:300], "motivation": "to live"}
        for n in range(20)
    ]
    bible = NovelBible(
        title="The Drowned Bells",
        logline="A bell-ringer hears the sea.",
        story={"synopsis": LONG * 3},
        worldview={
            "setting": LONG,
            "locations": [{"name": f"Pier {n}", "description": LONG[:200]} for n in range(20)],
        },
        characters={"characters": characters, "relationships": [LONG[:200]] * 10},
    )
    fields: dict[str, object] = {
        "novel_id": uuid4(),
        "number": 1000,
        "title": "Hero3 rings the last bell",
        "summary": "Hero3 climbs the tower at dawn.",
        "language": "en",
        "bible": bible,
        "earlier": tuple((n, f"Chapter {n}", LONG[:400]) for n in range(995, 1000)),
        "wishes": "Keep it quiet and cold.",
        "memory": {"threads": [{"text": LONG[:300]}] * 10, "dead": ["Hero9"] * 5},
    }
    return ChapterBrief(**(fields | changes))  # type: ignore[arg-type]


def _size(brief: ChapterBrief) -> int:
    return estimate_messages(beats_messages(brief))


def test_a_brief_that_fits_is_not_cut() -> None:
    brief = _brief()
    fitted, size, steps = fit_brief(brief, 10**6, beats_messages, estimate_messages)
    assert fitted == brief and steps == [] and size == _size(brief)


def test_the_earlier_chapters_go_first_oldest_first() -> None:
    brief = _brief()
    budget = _size(brief) - 50
    fitted, size, steps = fit_brief(brief, budget, beats_messages, estimate_messages)
    assert steps == ["earlier"] and size <= budget
    assert fitted.earlier == brief.earlier[1:]  # chapter 995 went, 996-999 stay
    assert fitted.memory == brief.memory


def test_then_the_memory_then_places_then_other_characters() -> None:
    brief = _brief()
    fitted, size, steps = fit_brief(brief, 2500, beats_messages, estimate_messages)
    assert steps[:4] == ["earlier", "memory", "places", "characters"] and size <= 2500
    names = [card["name"] for card in fitted.bible.characters["characters"]]
    assert "Hero3" in names  # the character the chapter names is kept longest


def test_the_outline_entry_and_the_wishes_are_never_cut() -> None:
    brief = _brief()
    fitted, _, steps = fit_brief(brief, 900, beats_messages, estimate_messages)
    assert "bible" in steps
    prompt = "\n".join(message["content"] for message in beats_messages(fitted))
    assert "Hero3 climbs the tower at dawn." in prompt and "Keep it quiet and cold." in prompt


def test_a_revisions_previous_draft_is_cut_from_its_end() -> None:
    brief = _brief(feedback="Colder.", wishes=None, previous_text="START " + LONG * 6)
    fitted, _, steps = fit_brief(brief, 1100, beats_messages, estimate_messages)
    assert "previous_draft" in steps
    assert fitted.previous_text is not None and fitted.previous_text.startswith("START")


def test_what_never_fits_fails_with_the_sizes_and_is_not_retried() -> None:
    brief = _brief(wishes=LONG * 20)
    with pytest.raises(PromptTooLong, match="tokens after every cut") as raised:
        fit_brief(brief, 500, beats_messages, estimate_messages)
    assert raised.value.retryable is False and raised.value.code == "LLM_PROMPT_TOO_LONG"


def _render(inputs: object) -> list[dict[str, str]]:
    return [{"role": "user", "content": repr(inputs)}]


def test_other_prompts_halve_their_largest_input_first() -> None:
    inputs: dict[str, Any] = {"text": "x" * 9000, "facts": {"a": ["y" * 300] * 4}}
    cut, size, shrunk = shrink_largest(inputs, 1500, _render, estimate_messages)
    assert shrunk and size <= 1500 and cut["facts"] == inputs["facts"]
    assert inputs["text"].startswith(cut["text"])
    same, _, shrunk = shrink_largest(inputs, 10**6, _render, estimate_messages)
    assert same == inputs and not shrunk
    with pytest.raises(PromptTooLong):
        shrink_largest(inputs, 3, _render, estimate_messages)


def test_the_estimate_is_on_the_safe_side() -> None:
    assert estimate_tokens("abcdef") == 2 and estimate_tokens("潮汐") == 4
    assert estimate_messages([{"content": "abc"}]) == 1 + 8


@pytest.mark.parametrize(
    ("listing", "found"),
    [
        ({"data": [{"id": "m", "max_model_len": 32768}]}, 32768),
        ({"data": [{"id": "m", "meta": {"n_ctx_train": 8192}}]}, 8192),
        ({"data": [{"id": "other", "context_length": 4096}]}, 4096),
        ({"data": [{"id": "m", "object": "model", "owned_by": "me"}]}, None),
        ({"data": "nope"}, None),
        (None, None),
    ],
)
def test_the_context_is_read_from_a_model_list(listing: object, found: int | None) -> None:
    assert reported_context(listing, "m") == found


def test_both_tokenizer_answers_are_read() -> None:
    # llama-cpp-python's /extras/tokenize/count, llama.cpp's /tokenize; anything else: none.
    assert _count({"count": 5}) == 5 and _count({"tokens": [1, 2, 3]}) == 3
    assert _count({"error": "no"}) is None and _count(None) is None
