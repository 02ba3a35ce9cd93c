"""The memory shows values in the writer's language (issue 78): the word the book said
("乌黑", "auburn"), else the lexicon's word for the value in the novel's language; the check
still compares normalised values (金色 is blond)."""

import uuid
from typing import Any

from infinite_scribe.application.ports.story import StoredMemory
from infinite_scribe.application.story import StoryReads
from infinite_scribe.domain.novel import NovelBible
from infinite_scribe.domain.story_memory import view
from tests.support.continuity_book import OfflineBook

ZH = NovelBible(
    title="灯塔",
    characters={"characters": [{"name": "林舟", "description": "林舟有一头乌黑的短发。"}]},
)


def _traits(memory: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in view(memory)["characters"] if c["name"] == name)["traits"]


async def test_a_chinese_memory_shows_the_writers_words() -> None:
    book = OfflineBook(ZH)
    await book.confirm(1, "林舟有一头金色的短发。")
    [hair] = await book.findings()
    assert (hair["was"], hair["value"]) == ("black", "blond")  # compared normalised
    assert _traits(await book.memory(), "林舟") == {"hair": "乌黑"}


class _Queries:
    def __init__(self, memory: dict[str, Any]) -> None:
        self.stored = StoredMemory(uuid.uuid4(), 3, memory)

    async def memory(self, novel_id: uuid.UUID, user_id: uuid.UUID) -> StoredMemory:
        return self.stored


async def test_a_value_remembered_without_its_word_is_shown_in_the_novels_language() -> None:
    fact = {"kind": "trait", "attribute": "hair", "value": "blond", "chapter": 1, "quote": "q"}
    older = {"kind": "trait", "attribute": "age", "value": 30, "chapter": 1, "quote": "q"}
    card = {"aliases": [], "chapters": [[1, 1]], "facts": [fact, older]}
    memory = {"language": "zh", "characters": {"林舟": card}, "places": {}, "threads": {}}
    shown = await StoryReads(_Queries(memory)).memory(uuid.uuid4(), uuid.uuid4())  # type: ignore[arg-type]
    assert shown["characters"][0]["traits"] == {"hair": "金", "age": 30}
    english = memory | {"language": "en"}
    shown = await StoryReads(_Queries(english)).memory(uuid.uuid4(), uuid.uuid4())  # type: ignore[arg-type]
    assert shown["characters"][0]["traits"] == {"hair": "blond", "age": 30}
