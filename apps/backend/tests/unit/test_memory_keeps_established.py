"""The memory keeps what was established (issue 78): a trait said against an earlier one is a
finding, not the memory's new value; the value changes only when the writer waives that finding
or the chapter says the trait changed. The live check and the fold agree either way."""

from infinite_scribe.domain.chapters import FINDING_WAIVED
from infinite_scribe.domain.novel import NovelBible
from infinite_scribe.domain.story_fold import fold_story
from infinite_scribe.domain.story_memory import digest, view
from tests.support.continuity_book import OfflineBook

BIBLE = NovelBible(
    title="x",
    characters={"characters": [{"name": "Mara Quinn", "description": "Mara Quinn has red hair."}]},
)


def _mara(memory: dict) -> dict:
    return next(c for c in view(memory)["characters"] if c["name"] == "Mara Quinn")


async def _folded(book: OfflineBook) -> dict:
    events = [
        (e.event_type, e.payload) for e in book.db.tables.events if e.aggregate_type != "NOVEL"
    ]
    waivers = [e.payload for e in book.db.tables.events if e.event_type == FINDING_WAIVED]
    return fold_story(events, waivers).memory or {}


async def test_a_contradicting_trait_is_a_finding_and_the_memory_keeps_the_established_one() -> (
    None
):
    book = OfflineBook(BIBLE)
    await book.confirm(1, "Mara's blonde hair was wet.")
    [hair] = await book.findings()
    assert (hair["kind"], hair["was"], hair["value"]) == ("trait_changed", "red", "blond")
    memory = await book.memory()
    mara = _mara(memory)
    assert mara["traits"]["hair"] == "red"
    assert [e["quote"] for e in mara["evidence"]] == ["Mara Quinn has red hair."]
    assert digest(memory, 2, "Mara")["characters"][0]["traits"] == {"hair": "red"}
    # Said again later: still against what was established, found again.
    await book.confirm(2, "Mara's blonde hair was dry.")
    assert [f["chapter"] for f in await book.findings()] == [1, 2]
    assert _mara(await book.memory())["traits"]["hair"] == "red"
    assert await _folded(book) == await book.memory()


async def test_the_writer_waiving_the_finding_adopts_the_new_value() -> None:
    book = OfflineBook(BIBLE)
    await book.confirm(1, "Mara's blonde hair was wet.")
    [hair] = await book.findings()
    await book.record(book.event(FINDING_WAIVED, {"finding_id": hair["id"], "reason": "dyed"}))
    memory = await book.memory()
    assert _mara(memory)["traits"]["hair"] == "blonde"  # the writer's word
    assert digest(memory, 2, "Mara")["characters"][0]["traits"] == {"hair": "blond"}
    # Now established: blond again is nothing, and the chapter read again stays waived.
    await book.confirm(2, "Mara's blonde hair was dry.")
    await book.confirm(1, "Mara's blonde hair was wet.")
    assert [f["status"] for f in await book.findings()] == ["waived"]
    assert _mara(await book.memory())["traits"]["hair"] == "blonde"
    # The waiver folded after the whole stream: the same memory.
    assert await _folded(book) == await book.memory()


async def test_a_chapter_that_says_the_trait_changed_is_adopted() -> None:
    book = OfflineBook(BIBLE)
    await book.confirm(1, "Mara dyed her hair blonde. Mara's blonde hair was wet.")
    assert await book.findings() == []
    assert _mara(await book.memory())["traits"]["hair"] == "blonde"
