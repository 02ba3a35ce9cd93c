# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""A chapter draft read against the story memory before the writer sees it (issue 78): the
notes a draft's contradictions become (agents/continuity/draft_check.py) and how the guard
holds them (agents/guarded.py): asked again once, then shown, never refused."""

import asyncio
import uuid
from typing import Any

import pytest

from infinite_scribe.agents.continuity.bible import read_for
from infinite_scribe.agents.continuity.draft_check import draft_checker, memory_before
from infinite_scribe.agents.guarded import ProposalRefused, held
from infinite_scribe.domain.novel import NovelBible
from infinite_scribe.domain.proposal_guard import JUNK_TEXT, Failed
from infinite_scribe.domain.story_memory import with_chapter

NOVEL = uuid.uuid4()
BIBLE = NovelBible(
    title="Salt Harbour",
    characters={
        "characters": [
            {"name": "Mara Quinn", "description": "Mara Quinn has red hair."},
            {"name": "Ilya Brandt", "description": "An old doctor."},
        ]
    },
)
ZH_BIBLE = NovelBible(
    title="雾港",
    characters={"characters": [{"name": "林舟", "description": "林舟有一头乌黑的短发。"}]},
)


def test_before_any_chapter_the_bible_is_what_the_book_established() -> None:
    notes = draft_checker(NOVEL, None, BIBLE, 1, "en")
    [note] = notes("Mara Quinn's black hair was wet with rain.")
    assert note.code == "CONTINUITY_TRAIT_CHANGED" and note.where == "Mara Quinn"
    assert note.what == "hair: red -> black"
    assert note.finding is not None and note.finding["evidence"][0]["chapter"] == 0
    assert notes("Mara Quinn climbed the stairs.") == []
    assert notes("Mara Quinn's red hair was wet with rain.") == []


def test_a_death_confirmed_before_makes_a_dead_mans_act_a_note_in_his_words() -> None:
    before = memory_before(None, BIBLE, 2)
    read = read_for("en", "Ilya Brandt was killed in the storm.", before)
    memory = with_chapter(before, 1, str(uuid.uuid4()), read, 10)
    notes = draft_checker(NOVEL, memory, BIBLE, 2, "en")
    [note] = notes('"Go," said Ilya Brandt, and he opened the door.')
    assert (note.code, note.where) == ("CONTINUITY_DEAD_ACTS", "Ilya Brandt")
    assert "opened the door" in note.what
    assert note.said("en").startswith("Ilya Brandt died earlier in the book")
    # The chapter being drafted again is not its own evidence: chapter 1 redrafted.
    assert draft_checker(NOVEL, memory, BIBLE, 1, "en")('"Go," said Ilya Brandt.') == []


def test_a_chinese_note_is_said_in_chinese_words() -> None:
    [note] = draft_checker(NOVEL, None, ZH_BIBLE, 1, "zh")("林舟一头金色的短发在风里乱飞。")
    assert note.what == "头发：黑 → 金", note.what
    assert note.said("zh").startswith("林舟：本章与前文确立的不符")


def _producer(*drafts: str) -> tuple[list[tuple[str, ...]], Any]:
    asked: list[tuple[str, ...]] = []
    queue = list(drafts)

    async def produce(failed: tuple[str, ...]) -> str:
        asked.append(failed)
        return queue.pop(0)

    return asked, produce


def _check(text: str) -> list[Failed]:
    found = [Failed(JUNK_TEXT, "chapter", "{{")] if "{{" in text else []
    if "contradicts" in text:
        found.append(Failed("CONTINUITY_DEAD_ACTS", "Ilya", "he walked", {"kind": "x"}))
    return found


def test_a_note_is_asked_again_once_then_shown_beside_the_draft() -> None:
    asked, produce = _producer("contradicts", "contradicts still")
    shown, notes = asyncio.run(held(produce, _check, "en"))
    assert shown == "contradicts still" and [n.code for n in notes] == ["CONTINUITY_DEAD_ACTS"]
    assert asked[0] == () and asked[1][0].startswith("CONTINUITY_DEAD_ACTS: Ilya died")

    asked, produce = _producer("contradicts", "clean")
    assert asyncio.run(held(produce, _check, "en")) == ("clean", [])
    asked, produce = _producer("clean")
    assert asyncio.run(held(produce, _check, "en")) == ("clean", []) and asked == [()]


def test_only_a_failed_check_refuses_never_a_note() -> None:
    _, produce = _producer("contradicts", "{{ contradicts")
    with pytest.raises(ProposalRefused) as refused:
        asyncio.run(held(produce, _check, "en"))
    assert refused.value.checks == [JUNK_TEXT]


def test_a_note_says_a_look_in_the_writers_words_never_a_stored_value() -> None:
    """Stop 84 left it: a note read "hair: none -> red" (bald, as stored) and "hair: none ->
    length:short"; and a Chinese note named the attribute in English ("hair: none -> 黑")."""
    bald = NovelBible(
        title="Salt Harbour",
        characters={"characters": [{"name": "Mara Quinn", "description": "Mara Quinn is bald."}]},
    )
    notes = draft_checker(NOVEL, None, bald, 1, "en")
    [red] = notes("Mara Quinn pushed her red hair back.")
    assert red.what == "hair: bald -> red", red.what
    [cropped] = notes("Mara Quinn pushed her cropped hair back.")
    assert cropped.what == "hair: bald -> cropped", cropped.what
    zh = NovelBible(
        title="雾港", characters={"characters": [{"name": "林舟", "description": "林舟是个光头。"}]}
    )
    [black] = draft_checker(NOVEL, None, zh, 1, "zh")("林舟甩了甩乌黑的长发。")
    assert black.what == "头发：光头 → 黑", black.what
