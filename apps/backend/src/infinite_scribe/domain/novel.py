"""The novel a finished Genesis creates: its bible, drawn from the confirmed stages, pure.

Every confirmed stage is kept whole (story, worldview, characters, outline) so the novel is the
product of Genesis rather than a title; the scalar fields (title, logline, theme, style,
target chapters) are read from them with the writer's edits winning over the model's words.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from shared_types.enums import GenesisStage

UNTITLED = "Untitled novel"
_MAX_SCALAR = 500


@dataclass(frozen=True)
class NovelBible:
    """What a novel holds when Genesis finishes (the `novels` row's content columns)."""

    title: str
    logline: str | None = None
    theme: str | None = None
    writing_style: str | None = None
    target_chapters: int = 0
    story: dict[str, Any] = field(default_factory=dict)
    worldview: dict[str, Any] = field(default_factory=dict)
    characters: dict[str, Any] = field(default_factory=dict)
    outline: dict[str, Any] = field(default_factory=dict)
    #: The event that confirmed it (the Genesis session's last `Finished`, issue 78): what
    #: the story memory's facts from the bible point at. None where it is not known.
    source_event_id: str | None = None


def _stage(confirmed: Mapping[str, Any], stage: GenesisStage) -> dict[str, Any]:
    value = confirmed.get(stage.value)
    return dict(value) if isinstance(value, Mapping) else {}


def _text(key: str, *sources: Mapping[str, Any]) -> str | None:
    """The first non-blank text under `key` (a list of texts is joined), bounded."""
    for source in sources:
        value = source.get(key)
        if isinstance(value, list):
            value = ", ".join(item.strip() for item in value if isinstance(item, str))
        if isinstance(value, str) and value.strip():
            return value.strip()[:_MAX_SCALAR]
    return None


def chapter_count(outline: Mapping[str, Any]) -> int:
    """Chapters in an outline: those of its acts (the proposal's shape), or a flat list."""
    acts = outline.get("acts")
    if isinstance(acts, list):
        return sum(
            len(act["chapters"])
            for act in acts
            if isinstance(act, Mapping) and isinstance(act.get("chapters"), list)
        )
    chapters = outline.get("chapters")
    return len(chapters) if isinstance(chapters, list) else 0


def bible_content(bible: NovelBible) -> dict[str, Any]:
    """What the bible says, part by part (a finish's content in the history): its parts as
    they are, not deep-copied (a bible of large stages, issue 49); not where it came from."""
    return {f.name: getattr(bible, f.name) for f in fields(bible) if f.name != "source_event_id"}


def novel_bible(confirmed: Mapping[str, Any]) -> NovelBible:
    """The bible of a novel from a session's `confirmed_data` (stage value -> data)."""
    concept = _stage(confirmed, GenesisStage.CONCEPT_SELECTION)
    story = _stage(confirmed, GenesisStage.STORY_CONCEPTION)
    outline = _stage(confirmed, GenesisStage.PLOT_OUTLINE)
    return NovelBible(
        title=_text("title", story, concept) or UNTITLED,
        logline=_text("logline", concept, story) or _text("premise", story),
        theme=_text("theme", story, concept) or _text("themes", story, concept),
        writing_style=_text("writing_style", story, concept) or _text("tone", concept, story),
        target_chapters=chapter_count(outline),
        story=story,
        worldview=_stage(confirmed, GenesisStage.WORLDVIEW),
        characters=_stage(confirmed, GenesisStage.CHARACTERS),
        outline=outline,
    )
