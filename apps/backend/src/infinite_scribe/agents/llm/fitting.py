"""Cutting a prompt's inputs to the model's window, by rule (issue 68), pure.

A chapter's brief (agents/llm/chapter_prompts.py) is cut in this order, each step repeated
until the prompt fits, before the next step is taken:

1. the earlier chapters' summaries, the oldest first;
2. the memory digest: its longest list halved (threads, dead, characters), until empty;
3. the world's places, halved;
4. the characters the chapter's outline entry does not name, halved;
5. the bible's texts (story, world, relationships, logline, ...): the longest halved;
6. a revision's previous draft, halved (its end goes first);
7. the characters the chapter names, halved.

Never cut: the rules of the prompt, the chapter's outline entry, the writer's wishes or
feedback and a prose call's beats. What still does not fit fails the call with the sizes
(`PromptTooLong`, not retried) instead of sending the server a prompt it would refuse.

Other prompts (a stage's recorded inputs: the confirmed stages and the writer's input; an
outline batch's acts and recent chapters; a continuity review's facts and text) are cut by
one rule: the largest value is halved (a list loses its second half, a text its end) until the
prompt fits (`shrink_largest`).
"""

from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import Any

from infinite_scribe.agents.llm.port import InvalidOutput
from infinite_scribe.domain.chapter_brief import ChapterBrief
from infinite_scribe.domain.novel import NovelBible

Messages = list[dict[str, str]]
#: Tokens of a list of chat messages (the estimate, or the engine's tokenizer).
Counter = Callable[[Messages], int]
#: Steps of one rule before it gives up (each halves something: 2^40 is more than any input).
_MAX_STEPS = 4000


class PromptTooLong(InvalidOutput):
    """A prompt whose parts that are never cut do not fit the model's window."""

    code = "LLM_PROMPT_TOO_LONG"
    default_retryable = False


def fit_brief(
    brief: ChapterBrief, budget: int, render: Callable[[ChapterBrief], Messages], count: Counter
) -> tuple[ChapterBrief, int, list[str]]:
    """The brief cut to `budget` tokens (the module's rule): the brief, its prompt's tokens and
    the steps taken ("earlier", "memory", ...), each named once."""
    taken: list[str] = []
    size = count(render(brief))
    for step, smaller in _cuts(brief):
        if size <= budget:
            break
        if step not in taken:
            taken.append(step)
        brief = smaller
        size = count(render(brief))
    if size > budget:
        raise PromptTooLong(
            f"chapter {brief.number}'s prompt is {size} tokens after every cut; the model's "
            f"window leaves {budget} for it (its outline entry and the writer's words are kept)"
        )
    return brief, size, taken


def _cuts(brief: ChapterBrief) -> Iterator[tuple[str, ChapterBrief]]:
    """Successively smaller briefs, with the step that made each (each from the last)."""
    while brief.earlier:
        brief = replace(brief, earlier=brief.earlier[1:])
        yield "earlier", brief
    memory = dict(brief.memory)
    while (memory := _halve_largest(memory)) is not None:
        brief = replace(brief, memory=memory)
        yield "memory", brief
    for step, key, named in (("places", "locations", None), ("characters", "characters", False)):
        while (cut := _cut_cards(brief, key, named)) is not None:
            brief = cut
            yield step, brief
    for _ in range(_MAX_STEPS):
        texts = _bible_texts(brief.bible)
        smaller = _halve_largest(texts)
        if smaller is None or smaller == texts:
            break
        brief = replace(brief, bible=_with_texts(brief.bible, smaller))
        yield "bible", brief
    while brief.previous_text:
        brief = replace(brief, previous_text=brief.previous_text[: len(brief.previous_text) // 2])
        yield "previous_draft", brief
    while (cut := _cut_cards(brief, "characters", True)) is not None:
        brief = cut
        yield "named_characters", brief


def _bible_texts(bible: NovelBible) -> dict[str, Any]:
    """What of the bible is cut at step 5 (its cards are steps 3, 4 and 7)."""
    world = {key: value for key, value in bible.worldview.items() if key != "locations"}
    relationships = bible.characters.get("relationships")
    return {"story": bible.story, "world": world, "relationships": relationships,
            "logline": bible.logline, "theme": bible.theme}  # fmt: skip


def _with_texts(bible: NovelBible, texts: Mapping[str, Any]) -> NovelBible:
    worldview = dict(texts["world"] or {})
    if "locations" in bible.worldview:
        worldview["locations"] = bible.worldview["locations"]
    characters = {**bible.characters, "relationships": texts["relationships"]}
    return replace(
        bible, story=texts["story"], worldview=worldview, characters=characters,
        logline=texts["logline"], theme=texts["theme"],
    )  # fmt: skip


def _cut_cards(brief: ChapterBrief, key: str, named: bool | None) -> ChapterBrief | None:
    """The brief with half of its `key` cards gone (characters: those the chapter names, or
    not, per `named`; None: any); None when there is none to cut."""
    home = brief.bible.worldview if key == "locations" else brief.bible.characters
    cards = home.get(key)
    if not isinstance(cards, list) or not cards:
        return None
    entry = f"{brief.title} {brief.summary}"
    if named is None:
        picked = list(range(len(cards)))
    else:
        picked = [i for i, card in enumerate(cards) if _names(card, entry) == named]
    if not picked:
        return None
    dropped = set(picked[len(picked) // 2 :] if len(picked) > 1 else picked)
    kept = [card for index, card in enumerate(cards) if index not in dropped]
    if key == "locations":
        return replace(brief, bible=replace(brief.bible, worldview={**home, key: kept}))
    return replace(brief, bible=replace(brief.bible, characters={**home, key: kept}))


def _names(card: Any, text: str) -> bool:
    name = card.get("name") if isinstance(card, Mapping) else None
    return isinstance(name, str) and bool(name) and name in text


def _size(value: Any) -> int:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, Mapping):
        return sum(len(str(key)) + _size(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return sum(_size(item) for item in value) + len(value)
    return len(str(value)) if value is not None else 0


def _halve_largest(value: Any) -> Any:
    """`value` with its largest part halved (a list loses its second half, a text its end, a
    mapping's largest value is halved in turn); None when nothing is left to halve."""
    if isinstance(value, str):
        return value[: len(value) // 2] if value else None
    if isinstance(value, list | tuple):
        if not value:
            return None
        if len(value) == 1:
            inner = _halve_largest(value[0])
            return [] if inner is None else [inner]
        return list(value[: len(value) // 2])
    if isinstance(value, Mapping):
        sized = [(key, _size(item)) for key, item in value.items() if _size(item) > 0]
        if not sized:
            return None
        largest = max(sized, key=lambda pair: pair[1])[0]
        inner = _halve_largest(value[largest])
        return {**value, largest: inner if inner is not None else _empty(value[largest])}
    return None


def _empty(value: Any) -> Any:
    return [] if isinstance(value, list | tuple) else {} if isinstance(value, Mapping) else None


def shrink_largest(
    inputs: Mapping[str, Any], budget: int, render: Callable[[Mapping[str, Any]], Messages],
    count: Counter,
) -> tuple[dict[str, Any], int, bool]:  # fmt: skip
    """`inputs` (the values a prompt is rendered from) cut by halving the largest until the
    rendered prompt fits `budget`: the inputs, the prompt's tokens, whether anything was cut."""
    current, cut = dict(inputs), False
    size = count(render(current))
    for _ in range(_MAX_STEPS):
        if size <= budget:
            return current, size, cut
        smaller = _halve_largest(current)
        if smaller is None or smaller == current:
            break
        current, cut = smaller, True
        size = count(render(current))
    if size > budget:
        raise PromptTooLong(
            f"the prompt is {size} tokens after every cut; the model's window leaves {budget}"
        )
    return current, size, cut
