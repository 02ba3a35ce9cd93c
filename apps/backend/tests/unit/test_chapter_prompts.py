"""Issue 39 with a model: the prompts ask for beats first (`{"beats": [...]}`), then prose per beat
(200-300 words) in the writer's language, with the bible's characters (names and roles), the
world's places, the summaries of the confirmed chapters before this one, the chapter's outline
entry and the writer's wishes or feedback in the context, as data."""

import asyncio
import json
import re
from dataclasses import replace

import pytest

from infinite_scribe.agents.llm.chapter_prompts import beats_messages, prose_messages
from infinite_scribe.agents.llm.prompts import prompt_version
from infinite_scribe.domain.chapter_brief import chapter_outline
from infinite_scribe.domain.codex import Codex, CodexEntry
from infinite_scribe.domain.novel import NovelBible
from tests.support.chapters import brief, genesis_bible, people, places

BOTH = pytest.mark.parametrize("language", ["zh", "en"])


@pytest.fixture(scope="module")
def bibles() -> dict[str, NovelBible]:
    return {language: asyncio.run(genesis_bible(language)) for language in ("zh", "en")}


def _json_blocks(text: str) -> list[object]:
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)\n```", text, re.S)]


@BOTH
def test_both_prompts_carry_the_bible_the_earlier_chapters_and_this_ones_entry(
    bibles: dict[str, NovelBible], language: str
) -> None:
    bible = bibles[language]
    given = brief(bible, language, 4, feedback="加入沙尘暴" if language == "zh" else "Add a storm")
    chapters = chapter_outline(bible.outline)
    for messages in (beats_messages(given), prose_messages(given, ["one", "two"], 1)):
        assert [message["role"] for message in messages] == ["system", "user"]
        user = messages[1]["content"]
        assert "${" not in user
        for name, role in people(bible):
            assert f'"name": "{name}"' in user and f'"role": "{role}"' in user
        assert all(place in user for place in places(bible))
        for _, _, summary in chapters[:3]:  # the confirmed chapters before chapter 4
            assert summary in user
        assert chapters[4][2] not in user  # not the ones after it
        assert chapters[3][2] in user  # this chapter's outline entry
        assert given.feedback in user
        language_name = "Chinese" if language == "zh" else "English"
        assert language_name in messages[0]["content"]


def test_only_the_earlier_chapters_the_brief_gives_are_in_the_context(
    bibles: dict[str, NovelBible],
) -> None:
    bible = bibles["en"]
    chapters = chapter_outline(bible.outline)
    given = brief(bible, "en", 4, earlier=(chapters[0], chapters[2]))  # 2 is not confirmed
    user = beats_messages(given)[1]["content"]
    assert chapters[0][2] in user and chapters[2][2] in user
    assert chapters[1][2] not in user


def test_the_beats_prompt_asks_for_a_json_list_and_the_prose_prompt_for_one_beat(
    bibles: dict[str, NovelBible],
) -> None:
    given = brief(bibles["en"], "en", 2)
    beats_user = beats_messages(given)[1]["content"]
    assert "`beats` list of a JSON object" in beats_user and "4 to 8 beats" in beats_user
    # No placeholder to copy: SmolLM2 planned chapters of "beat one", "beat two" (stop 87).
    assert "beat one" not in beats_user.lower()
    beats = ["Ada finds the ledger.", "Ada hides it."]
    prose_user = prose_messages(given, beats, 1)[1]["content"]
    assert "beat 2 among the 2 of the chapter's beats" in prose_user
    assert "two or three paragraphs" in prose_user
    # No phrase the guard refuses as an echo of the prompt (a small model says them back: the
    # engine lane of stop 87 was refused "200 to 500 words" three times over).
    assert "beat 2 of 2" not in prose_user and " words" not in prose_user
    assert beats in _json_blocks(prose_user) and "Ada hides it." in _json_blocks(prose_user)
    with pytest.raises(IndexError):
        prose_messages(given, beats, 2)


def test_a_revision_sends_the_previous_draft_and_the_feedback(
    bibles: dict[str, NovelBible],
) -> None:
    given = brief(bibles["zh"], "zh", 1, feedback="更紧张一些", previous_text="旧的草稿。")
    asked = _json_blocks(beats_messages(given)[1]["content"])[-1]
    assert asked == {"feedback": "更紧张一些", "previous_draft": "旧的草稿。"}
    first = replace(given, feedback=None, previous_text=None, wishes="多写苏晚")
    assert _json_blocks(beats_messages(first)[1]["content"])[-1] == {"wishes": "多写苏晚"}


def test_the_writers_text_is_data_never_template(bibles: dict[str, NovelBible]) -> None:
    odd = '${context} $number {0} ``` "quote"'
    given = brief(bibles["en"], "en", 1, wishes=odd)
    user = beats_messages(given)[1]["content"]
    assert {"wishes": odd} in _json_blocks(user)
    assert prompt_version().startswith("prompts-")  # the chapter templates are versioned too


def test_every_chapter_prompt_names_the_codex_first(bibles: dict[str, NovelBible]) -> None:
    codex = Codex((CodexEntry("person", "Effie Reid", "hero"),)).as_json()
    given = replace(brief(bibles["en"], "en", 2), codex=codex)
    for messages in (beats_messages(given), prose_messages(given, ["a", "b"], 1)):
        user = messages[1]["content"]
        assert user.startswith("## The writer's codex: fixed") and '"Effie Reid"' in user
    assert not beats_messages(brief(bibles["en"], "en", 2))[1]["content"].startswith("## The w")
