"""Issue 52: the offline generator's words are data (agents/llm/offline/data/<language>.json;
the readers' lists in text/data/<language>.json, issue 75),
validated against the dataclasses that hold them; every pattern names only slots the code
fills, in both languages."""

import dataclasses
import string
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from infinite_scribe.agents.llm.offline import words
from infinite_scribe.agents.llm.offline.story import Story
from infinite_scribe.agents.llm.offline.words import WRITER
from infinite_scribe.agents.llm.port import GenerationRequest
from infinite_scribe.text import vocabulary
from shared_types.enums import GenesisStage

#: What the chapter writer passes to `chapter_cast.fill` (agents/llm/offline/chapters.py).
CHAPTER_SLOTS = {"hero", "other", "place", "thing", "wish", "rule", "motivation", "last"}
CHAPTER_SLOTS |= {"who", "line", "witness", "description"}
#: What the stages pass to `Story.slots` beyond the story's own (agents/llm/offline/generator.py).
GENESIS_EXTRAS = {"wish", "element", "number", "act", "changes", "value", "value_a", "value_the"}
GENESIS_EXTRAS |= {"feedback"}
GENESIS_EXTRAS |= {"items", "item", "deadline", "person", "said"}


def _names(value: Any) -> set[str]:
    if isinstance(value, str):
        return {field for _, field, _, _ in string.Formatter().parse(value) if field is not None}
    if isinstance(value, dict):
        return set().union(*(_names(item) for item in value.values()))
    if isinstance(value, tuple):
        return set().union(*(_names(item) for item in value))
    return set()


def _with_capitals(names: set[str]) -> set[str]:
    return names | {name[:1].upper() + name[1:] for name in names}


def _story_slots(holder: words.Words) -> set[str]:
    request = GenerationRequest(
        session_id=UUID(int=52), stage=GenesisStage.WORLDVIEW, user_input="a town"
    )
    return set(Story(request, holder).slots())


@pytest.mark.parametrize("holder", [words.ENGLISH, words.CHINESE], ids=["en", "zh"])
def test_every_genesis_pattern_names_a_slot_the_story_fills(holder: words.Words) -> None:
    allowed = _story_slots(holder) | _with_capitals(GENESIS_EXTRAS)
    for item in dataclasses.fields(holder):
        unknown = _names(getattr(holder, item.name)) - allowed
        assert not unknown, f"{item.name} names {unknown}"


@pytest.mark.parametrize("holder", [words.ENGLISH_CHAPTERS, words.CHINESE_CHAPTERS])
def test_every_chapter_pattern_names_a_slot_the_writer_fills(holder: Any) -> None:
    allowed = _with_capitals(CHAPTER_SLOTS)
    for item in dataclasses.fields(holder):
        unknown = _names(getattr(holder, item.name)) - allowed
        assert not unknown, f"{item.name} names {unknown}"


def test_both_languages_have_the_same_sections_and_word_lists() -> None:
    english, chinese = (vocabulary.document(lang, WRITER) for lang in ("en", "zh"))
    assert set(english) == set(chinese) == {"genesis", "chapters", "tone_moods"}
    read_en, read_zh = vocabulary.document("en"), vocabulary.document("zh")
    lexicon = {"_about", "reading", "continuity", "tagged", "splits"}
    assert set(read_en) == set(read_zh) == lexicon
    moods = set(words.ENGLISH_CHAPTERS.atmospheres)  # the default and the tones' atmospheres
    assert moods == set(words.CHINESE_CHAPTERS.atmospheres) and "plain" in moods
    assert set({**english["tone_moods"], **chinese["tone_moods"]}.values()) <= moods


def test_a_section_with_an_unknown_or_missing_key_is_refused() -> None:
    good = dict(vocabulary.document("en", WRITER)["chapters"])
    assert vocabulary.validate(words.ChapterWords, good) == words.ENGLISH_CHAPTERS
    with pytest.raises(ValidationError, match="hoks"):
        vocabulary.validate(words.ChapterWords, good | {"hoks": []})
    with pytest.raises(ValidationError, match="hooks"):
        vocabulary.validate(words.ChapterWords, {k: v for k, v in good.items() if k != "hooks"})


def test_a_fixed_bank_of_the_wrong_length_or_type_is_refused() -> None:
    good = dict(vocabulary.document("zh", WRITER)["genesis"])
    with pytest.raises(ValidationError, match="roles"):
        vocabulary.validate(words.Words, good | {"roles": ["主角", "反派", "导师"]})
    with pytest.raises(ValidationError, match="tones"):
        vocabulary.validate(words.Words, good | {"tones": "温暖"})


def test_a_reading_list_of_the_wrong_shape_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "侦探" in vocabulary.words("zh", "roles")
    assert vocabulary.phrases("en", "verb_leads")[0] == "discovers that"
    with pytest.raises(TypeError, match="verb_leads"):
        vocabulary.words("en", "verb_leads")
    with pytest.raises(TypeError, match="roles"):
        vocabulary.phrases("en", "roles")
