"""The chat messages a model writes a chapter from (issue 39): beats first, then prose per
beat, with the bible in the context (templates `agents/prompts/chapter_*.md`).

Long text is planned, then written section by section (a single call stops near 2,000
words): `beats_messages` asks for the chapter's beats as a JSON list, `prose_messages` for one
beat's prose (200-300 words). Both carry the bible's characters (names and roles), the world's
places, the summaries of the confirmed chapters before this one, the chapter's outline entry
and the writer's wishes or feedback, as JSON blocks the system prompt says are data
(`string.Template` substitution never interprets them, as in agents/llm/prompts.py).
"""

from collections.abc import Mapping
from typing import Any

from infinite_scribe.agents.llm.prompts import codex_block, load_template, prompt_json
from infinite_scribe.domain.chapter_brief import ChapterBrief

_LANGUAGES = {"zh": "Chinese (简体中文)", "en": "English"}
#: What of a revised draft goes back to the model: its end is cut, not the prompt's rules.
_MAX_PREVIOUS = 12_000
_MAX_ITEMS = 50


def _cards(value: Any, *keys: str) -> list[dict[str, Any]]:
    """The entries of a bible list (characters, locations) with the given keys only."""
    items = value if isinstance(value, list) else []
    return [
        {key: item.get(key) for key in keys if item.get(key) is not None}
        for item in items[:_MAX_ITEMS]
        if isinstance(item, Mapping)
    ]


def _asked(brief: ChapterBrief) -> dict[str, Any]:
    asked: dict[str, Any] = {"wishes": brief.wishes, "feedback": brief.feedback}
    if brief.feedback is not None and brief.previous_text:
        # A revision: the draft the feedback is about, so the model keeps what it did not name.
        asked["previous_draft"] = brief.previous_text[:_MAX_PREVIOUS]
    # The guard's one retry (issue 76): what the previous draft failed, for this one to pass.
    asked["refused_because"] = list(brief.failed_checks)
    return {key: value for key, value in asked.items() if value}


def _context(brief: ChapterBrief) -> str:
    bible = brief.bible
    book = {
        "title": bible.title,
        "logline": bible.logline,
        "theme": bible.theme,
        "writing_style": bible.writing_style,
        "story": bible.story,
        "world": {key: value for key, value in bible.worldview.items() if key != "locations"},
        "relationships": bible.characters.get("relationships"),
    }
    characters = _cards(
        bible.characters.get("characters"), "name", "role", "description", "motivation", "arc"
    )
    earlier = [
        {"number": number, "title": title, "summary": summary}
        for number, title, summary in brief.earlier
        if number < brief.number
    ]
    return load_template("chapter_context").substitute(
        bible=prompt_json({key: value for key, value in book.items() if value}),
        characters=prompt_json(characters),
        places=prompt_json(_cards(bible.worldview.get("locations"), "name", "description")),
        earlier=prompt_json(earlier),
        memory=prompt_json(dict(brief.memory)),
        chapter=prompt_json(
            {"number": brief.number, "title": brief.title, "summary": brief.summary}
        ),
        asked=prompt_json(_asked(brief)),
    )


def _system(brief: ChapterBrief) -> dict[str, str]:
    language = _LANGUAGES.get(brief.language, _LANGUAGES["en"])
    text = load_template("chapter_system").substitute(language=language)
    return {"role": "system", "content": text.strip()}


def beats_messages(brief: ChapterBrief) -> list[dict[str, str]]:
    """The messages asking for the chapter's beats (a JSON list of sentences)."""
    user = load_template("chapter_beats").substitute(number=brief.number, context=_context(brief))
    return [_system(brief), {"role": "user", "content": codex_block(brief.codex) + user.strip()}]


def prose_messages(brief: ChapterBrief, beats: list[str], index: int) -> list[dict[str, str]]:
    """The messages asking for beat `index`'s prose (200-300 words, the writer's language)."""
    if not 0 <= index < len(beats):
        raise IndexError(f"beat {index} of {len(beats)}")
    user = load_template("chapter_prose").substitute(
        number=brief.number,
        beat_number=index + 1,
        beat_count=len(beats),
        beats=prompt_json(beats),
        beat=prompt_json(beats[index]),
        context=_context(brief),
    )
    return [_system(brief), {"role": "user", "content": codex_block(brief.codex) + user.strip()}]
