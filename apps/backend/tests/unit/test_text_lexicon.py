# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""Issue 75: the readers' words are one lexicon per language (text/data/<language>.json),
validated at load; the segmenter gives jieba its tagged words and known splits at load."""

from typing import Any

import pytest
from pydantic import ValidationError

from infinite_scribe.text import rules, segment, vocabulary
from infinite_scribe.text.vocabulary import Lexicon


@pytest.mark.parametrize("language", vocabulary.LANGUAGES)
def test_each_language_is_one_validated_lexicon(language: str) -> None:
    lexicon = vocabulary.lexicon(language)
    assert lexicon.continuity == rules.data()[language]
    assert "roles" in lexicon.reading


def test_a_lexicon_of_the_wrong_shape_is_refused() -> None:
    good: dict[str, Any] = vocabulary.document("zh")
    Lexicon.model_validate(good)
    with pytest.raises(ValidationError):
        Lexicon.model_validate(good | {"readings": {}})  # an unknown section
    with pytest.raises(ValidationError):
        Lexicon.model_validate(good | {"tagged": {"大连": 1}})  # a tag is a word
    with pytest.raises(ValidationError):
        Lexicon.model_validate(good | {"splits": "大连"})  # a split is a list of parts


def test_the_segmenter_tags_the_lexicons_words_from_the_start() -> None:
    tagged = vocabulary.lexicon("zh").tagged
    assert tagged, "the lexicon gives the segmenter at least one word"
    for word, tag in tagged.items():
        assert (word, tag) in segment.tagged(f"宣统二年的{word}，一个码头工人"), word
    assert ("大连", "ns") in segment.tagged("宣统二年的大连")  # the dictionary says an adverb


def test_the_segmenter_cuts_the_lexicons_known_splits_so() -> None:
    for parts in vocabulary.lexicon("zh").splits:
        assert segment.words("".join(parts)) == parts


def test_a_short_text_is_cut_once_and_each_reader_gets_its_own_list() -> None:
    """An idea is cut by each of its readers (five times for one codex): a short text is cut
    once and remembered, a bounded number of them; a chapter is never kept."""
    idea = "民国十年的苏州，绣娘林秋月要在端午前绣完一幅百鸟朝凤图。"
    first = segment.tagged(idea)
    first.pop()  # a reader's own list: what it does to it changes no other reader's
    before = segment._remembered.cache_info()
    assert segment.tagged(idea) == [*first, ("。", "x")]
    after = segment._remembered.cache_info()
    assert after.hits == before.hits + 1 and after.maxsize == segment._REMEMBERED <= 64
    long_text = idea * (segment.SHORT // len(idea) + 1)
    segment.tagged(long_text)
    assert segment._remembered.cache_info().currsize == after.currsize  # not kept
