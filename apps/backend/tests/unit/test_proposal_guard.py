# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""Issue 76: each check of the guard (domain/proposal_guard.py) fails on what it is for and
passes a proposal that keeps to it; the bad answers the issue saw from a real model are each
refused; the reason the writer reads names the codes, in their language."""

from typing import Any

import pytest

from infinite_scribe.agents.llm.prompts import prompt_echoes
from infinite_scribe.domain import proposal_guard as guard
from infinite_scribe.domain.codex import ORIGIN, Codex, CodexEntry
from infinite_scribe.domain.proposal_guard import Asked, check_chapter, check_stage, reason

CODEX = Codex(
    (
        CodexEntry("person", "Isobel", "hero"),
        CodexEntry("person", "Mr Dunbar", "mentor"),
        CodexEntry("person", "the Collector", "rival"),
        CodexEntry("place", "Leith"),
        CodexEntry("time", "Hogmanay", "deadline"),
    )
)
EN = Asked("en")


def _concepts(*loglines: str) -> dict[str, Any]:
    return {
        "concepts": [
            {"title": f"Title {n}", "logline": text, "themes": ["debt"]}
            for n, text in enumerate(loglines)
        ]
    }


GOOD_CONCEPTS = _concepts(
    "Isobel pawns her mother's ring in Leith and has until Hogmanay to buy it back.",
    "A ledger Isobel was never meant to read names every debtor of the harbour.",
    "Isobel apprentices herself to the Collector to learn where the ledgers go.",
)


def _codes(found: list[guard.Failed]) -> list[str]:
    return [failed.code for failed in found]


def test_a_proposal_that_keeps_to_the_codex_passes_every_stage() -> None:
    stages = {
        "CONCEPT_SELECTION": GOOD_CONCEPTS,
        "STORY_CONCEPTION": {
            "premise": "Isobel, a pawnbroker's apprentice in Leith, owes a debt.",
            "synopsis": "Isobel has until Hogmanay to clear her mother's debt.",
            "conflicts": ["Isobel against the Collector"],
        },
        "WORLDVIEW": {
            "setting": "Leith in winter.",
            "rules": ["Debts pass to the children."],
            "locations": [{"name": "Leith", "description": "The harbour town."}],
        },
        "CHARACTERS": {
            "characters": [
                {"name": "Isobel", "role": "protagonist", "description": "d", "motivation": "m"},
                {
                    "name": "the Collector",
                    "role": "antagonist",
                    "description": "d",
                    "motivation": "m",
                },
                {"name": "Mr Dunbar", "role": "mentor", "description": "d", "motivation": "m"},
            ]
        },
        "PLOT_OUTLINE": {
            "acts": [
                {
                    "title": "One",
                    "summary": "Isobel runs out of time before Hogmanay.",
                    "chapters": [{"title": "The ring", "summary": "Isobel pawns the ring."}],
                }
            ]
        },
    }
    assert {stage: check_stage(stage, c, CODEX, EN) for stage, c in stages.items()} == {
        stage: [] for stage in stages
    }


def test_a_concept_that_does_not_name_the_hero_fails() -> None:
    bad = _concepts(*[c["logline"] for c in GOOD_CONCEPTS["concepts"][:2]], "A stranger arrives.")
    assert _codes(check_stage("CONCEPT_SELECTION", bad, CODEX, EN)) == [guard.HERO_MISSING]


def test_options_that_repeat_each_other_fail() -> None:
    same = _concepts(*["Isobel finds a ring in Leith."] * 3)
    assert guard.REPEATED_OPTIONS in _codes(check_stage("CONCEPT_SELECTION", same, CODEX, EN))


_LONG_IDEA = (
    "In Leith, where the tide bells ring at dusk and the harbour guild controls every lantern "
    "on the quays, a young lamplighter called Isobel discovers that the Collector has been "
    "smuggling stolen children aboard grain ships bound for Riga, and she must expose him "
    "before Hogmanay with help from a retired smuggler who owes her mother an old debt"
)
_WISH = "Add a storm at sea and a betrayal."


def test_options_told_apart_by_their_own_words_not_the_writers() -> None:
    """Issue 76's walk: three revised concepts each restating a long idea and the feedback's
    wish, each with a turn of its own, were refused as repeats of each other."""
    said = _concepts(
        *(
            f"{_LONG_IDEA}; {turn}. {_WISH}"
            for turn in (
                "the nearer she comes, the harder he pushes back",
                "telling the truth would cost her every last friend",
                "someone erases traces while time runs short",
            )
        )
    )
    asked = Asked("en", said=f"{_LONG_IDEA}.\n{_WISH}")
    assert check_stage("CONCEPT_SELECTION", said, CODEX, asked) == []
    assert guard.REPEATED_OPTIONS in _codes(check_stage("CONCEPT_SELECTION", said, CODEX, EN))


def test_options_that_only_say_the_writers_words_again_repeat_each_other() -> None:
    said = _concepts(*(f"{_LONG_IDEA}, {end}." for end in ("she runs", "she hides", "she waits")))
    asked = Asked("en", said=_LONG_IDEA)
    assert guard.REPEATED_OPTIONS in _codes(check_stage("CONCEPT_SELECTION", said, CODEX, asked))


def test_the_options_asked_for_are_counted() -> None:
    assert _codes(check_stage("CONCEPT_SELECTION", GOOD_CONCEPTS, CODEX, Asked("en", options=4)))
    assert not check_stage("CONCEPT_SELECTION", GOOD_CONCEPTS, CODEX, Asked("en", options=3))


def test_a_story_without_the_hero_or_the_deadline_fails() -> None:
    story = {"premise": "A harbour town.", "synopsis": "Debts.", "conflicts": ["Money"]}
    codes = _codes(check_stage("STORY_CONCEPTION", story, CODEX, EN))
    assert codes == [guard.HERO_MISSING, guard.DEADLINE_MISSING]


def test_a_world_without_the_codex_place_fails() -> None:
    world = {
        "setting": "A city.",
        "rules": ["r"],
        "locations": [{"name": "Glasgow", "description": "d"}],
    }
    assert _codes(check_stage("WORLDVIEW", world, CODEX, EN)) == [guard.PLACE_MISSING]


def test_a_place_someone_only_comes_from_need_not_be_in_the_world() -> None:
    """Issue 76: "Mr Dunbar from Glasgow" names him; it does not move the story to Glasgow."""
    codex = CODEX.with_entries((*CODEX.entries, CodexEntry("place", "Glasgow", ORIGIN)))
    world = {"setting": "Leith's docks.", "rules": ["r"], "locations": []}
    assert _codes(check_stage("WORLDVIEW", world, codex, EN)) == []
    codex = CODEX.with_entries((*CODEX.entries, CodexEntry("place", "Glasgow")))
    assert _codes(check_stage("WORLDVIEW", world, codex, EN)) == [guard.PLACE_MISSING]


def test_a_cast_of_one_stranger_fails_for_every_person_the_writer_named() -> None:
    """The model's cast of one character named "theoritical mystery"."""
    cast = {
        "characters": [
            {
                "name": "theoritical mystery",
                "role": "protagonist",
                "description": "d",
                "motivation": "m",
            }
        ]
    }
    codes = _codes(check_stage("CHARACTERS", cast, CODEX, EN))
    assert codes.count(guard.HERO_MISSING) == 1 and guard.RIVAL_RENAMED in codes
    assert guard.PERSON_MISSING in codes and guard.ROLE_INVENTED in codes


def test_a_cast_member_invented_in_the_mentors_role_fails() -> None:
    cards = [
        {"name": "Isobel", "role": "protagonist", "description": "d", "motivation": "m"},
        {"name": "the Collector", "role": "antagonist", "description": "d", "motivation": "m"},
        {"name": "Mr Dunbar", "role": "ally", "description": "d", "motivation": "m"},
        {"name": "Aunt Jean", "role": "mentor", "description": "d", "motivation": "m"},
    ]
    found = check_stage("CHARACTERS", {"characters": cards}, CODEX, EN)
    assert found == [guard.Failed(guard.ROLE_INVENTED, "characters[3]", "Mr Dunbar")]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("4.7", guard.JUNK_TEXT),
        ("{{", guard.JUNK_TEXT),
        # A template's slot left in (SmolLM2, stop 88): a bracketed name of snake_case words.
        ("His hometown of [hometown_landmark] is ruled by the rich.", guard.JUNK_TEXT),
        ("...seven eyes 24-", guard.JUNK_TEXT),
        ("### Chapter 2: beat 3 of 11", guard.PROMPT_ECHO),
        ("Write it in 200 to 300 words.", guard.PROMPT_ECHO),
        ("Reply with the prose alone.", guard.PROMPT_ECHO),
        # A placeholder where a text belongs: a part's name and its number, nothing told.
        ("beat one", guard.JUNK_TEXT),
        ("Chapter 3.", guard.JUNK_TEXT),
        ("第二拍", guard.JUNK_TEXT),
        ("场景三", guard.JUNK_TEXT),
        ("Also in the story: Leith, Hogmanay, a ring.", guard.PASTED_SCAFFOLD),
        ("故事里还有：顾南、巡捕房、除夕。", guard.PASTED_SCAFFOLD),
    ],
)
def test_junk_echoes_and_pasted_lists_fail_in_any_field(text: str, code: str) -> None:
    world = {
        "setting": "Leith.",
        "rules": ["r"],
        "locations": [{"name": "Leith", "description": "d"}],
        "history": text,
    }
    assert _codes(check_stage("WORLDVIEW", world, Codex(), EN)) == [code]
    ok = {**world, "history": "Leith burned in 1544 and was built again."}
    assert check_stage("WORLDVIEW", ok, Codex(), EN) == []


@pytest.mark.parametrize(
    "text",
    [
        "Chapter 3 opens on the quay at dawn.",  # a part's name in a told sentence
        "The letter was written in Chinese, and no one in Leith could read it.",
        "One beat of the drum, then silence.",
        "第三章里，顾南回到了码头。",
    ],
)
def test_a_part_named_or_a_language_in_a_told_sentence_passes(text: str) -> None:
    world = {
        "setting": "Leith.",
        "rules": ["r"],
        "locations": [{"name": "Leith", "description": "d"}],
    }
    assert check_stage("WORLDVIEW", {**world, "history": text}, Codex(), EN) == []


def test_a_chapter_titled_by_its_number_alone_passes_and_its_summary_does_not() -> None:
    chapter = {"title": "第1章", "summary": "沈青在码头捡到铜钥匙。"}
    outline = {"acts": [{"title": "第一幕", "summary": "沈青。", "chapters": [chapter]}]}
    assert check_stage("PLOT_OUTLINE", outline, Codex(), Asked("zh")) == []
    chapter["summary"] = "第1章"
    assert _codes(check_stage("PLOT_OUTLINE", outline, Codex(), Asked("zh"))) == [guard.JUNK_TEXT]


def test_the_chapters_asked_for_are_counted() -> None:
    chapters = [{"title": f"C{n}", "summary": f"Isobel acts, part {n}."} for n in range(7)]
    outline = {"acts": [{"title": "A", "summary": "Isobel.", "chapters": chapters}]}
    assert _codes(check_stage("PLOT_OUTLINE", outline, Codex(), Asked("en", chapters=3))) == [
        guard.WRONG_COUNT
    ]
    assert check_stage("PLOT_OUTLINE", outline, Codex(), Asked("en", chapters=7)) == []


def test_english_text_for_a_chinese_writer_fails_and_chinese_text_passes() -> None:
    story = {
        "premise": "A harbour town at the end of winter.",
        "synopsis": "Debts.",
        "conflicts": ["c"],
    }
    assert _codes(check_stage("STORY_CONCEPTION", story, Codex(), Asked("zh"))) == [
        guard.WRONG_LANGUAGE
    ]
    zh = {
        "premise": "冬天将尽的港口小城里，一笔旧债浮出水面。",
        "synopsis": "旧债。",
        "conflicts": ["债"],
    }
    assert check_stage("STORY_CONCEPTION", zh, Codex(), Asked("zh")) == []
    assert _codes(check_stage("STORY_CONCEPTION", zh, Codex(), EN)) == [guard.WRONG_LANGUAGE]


SENTENCE = "Isobel counted the coins twice and still came up short."


def test_a_sentence_said_twice_in_a_chapter_fails() -> None:
    text = f"{SENTENCE} The lamp guttered. {SENTENCE}"
    assert _codes(check_chapter(text, [], Codex(), "en")) == [guard.REPEATED_SENTENCE]
    assert check_chapter(f"{SENTENCE} The lamp guttered.", [], Codex(), "en") == []


def test_a_sentence_said_a_third_time_in_the_book_fails() -> None:
    text = f"{SENTENCE} The lamp guttered in the window of the shop."
    assert check_chapter(text, [], Codex(), "en", book=[SENTENCE]) == []
    book = [SENTENCE, f"Later. {SENTENCE}"]
    assert _codes(check_chapter(text, [], Codex(), "en", book=book)) == [guard.REPEATED_SENTENCE]


def test_the_beats_pasted_as_a_block_fail_and_a_beat_told_among_its_details_passes() -> None:
    beats = ["Isobel pawns the ring at the Leith shop.", "Mr Dunbar warns her about the Collector."]
    pasted = " ".join(beats) + " Then the night came down over the harbour."
    assert _codes(check_chapter(pasted, beats, Codex(), "en")) == [guard.PASTED_SCAFFOLD]
    told = f"{beats[0]} Rain ran off the awning. {beats[1]} The bell rang twice."
    assert check_chapter(told, beats, Codex(), "en") == []


def test_a_chapter_echoing_the_prompt_fails() -> None:
    text = "### Chapter 2: beat 3 of 11\n\nIsobel walked to the harbour in 200 to 300 words."
    assert guard.PROMPT_ECHO in _codes(check_chapter(text, [], Codex(), "en"))


#: The product's prompts' words (agents/prompts/*.md), as the worker's guard holds them.
ECHOES = prompt_echoes()


@pytest.mark.parametrize(
    "said",
    [
        "The beat to write now:\n\nIsobel walked down to the harbour.",  # a heading, as a line
        "The chapter's beats\nIsobel walked down to the harbour.",
        "Isobel walked on. Give the prose alone: no title, no notes, no code.",  # an instruction
    ],
)
def test_the_prompts_own_words_said_back_fail(said: str) -> None:
    assert guard.PROMPT_ECHO in _codes(check_chapter(said, [], Codex(), "en", echoes=ECHOES))
    story = {"title": "The Pawn", "synopsis": said}
    assert guard.PROMPT_ECHO in _codes(check_stage("STORY_CONCEPTION", story, Codex(), EN, ECHOES))


def test_a_prompts_words_inside_a_sentence_of_the_story_are_the_storys() -> None:
    told = "She said the beat to write now was slow. The chapter's beats were hers alone."
    assert check_chapter(told, [], Codex(), "en", echoes=ECHOES) == []


def test_the_reason_names_the_codes_in_the_writers_language() -> None:
    failed = [guard.Failed(guard.HERO_MISSING, "concepts[0]", "沈青")]
    assert "[GUARD_HERO_MISSING]" in reason(failed, "zh") and "主角沈青" in reason(failed, "zh")
    assert reason(failed, "en").startswith("The proposal was not shown")
