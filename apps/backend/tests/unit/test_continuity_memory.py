"""The story memory, the findings and the passage search, pure (issue 48); and the whole check
in memory through the consumer's use case (OfflineBook): rollback, waiver, redelivery, fold."""

import uuid

import pytest

from infinite_scribe.domain import passages
from infinite_scribe.domain.chapters import FINDING_WAIVED, ROLLED_BACK
from infinite_scribe.domain.novel import NovelBible
from infinite_scribe.domain.story_fold import fold_story
from infinite_scribe.domain.story_memory import (
    _add_range,
    _drop_range,
    blank,
    digest,
    view,
    with_chapter,
    without_chapter,
)
from tests.support.continuity_book import OfflineBook, check_book

BIBLE = NovelBible(
    title="x",
    characters={
        "characters": [
            {"name": "Mara Quinn", "description": "Mara Quinn has red hair."},
            {"name": "Ilya Brandt"},
        ]
    },
    worldview={"locations": [{"name": "Port Sable"}]},
)
LINE = "The lamps along the harbour wall guttered one by one as the tide came in."


def test_chapter_ranges_merge_and_split() -> None:
    ranges: list[list[int]] = []
    for chapter in (1, 2, 3, 7, 5, 6):
        ranges = _add_range(ranges, chapter)
    assert ranges == [[1, 3], [5, 7]]
    assert _drop_range(ranges, 6) == [[1, 3], [5, 5], [7, 7]]
    assert _drop_range(ranges, 1) == [[2, 3], [5, 7]]


def test_a_chapter_read_again_replaces_what_it_said() -> None:
    said = {
        "seen": ["Mara"],
        "facts": [{"kind": "status", "who": "Mara", "value": "dead", "quote": "q"}],
    }
    memory = with_chapter(blank(), 3, "e3", said, 10)
    assert view(memory)["characters"][0]["status"] == "dead"
    memory = with_chapter(memory, 3, "e3b", {"seen": ["Mara"], "facts": []}, 10)
    [mara] = view(memory)["characters"]
    assert (mara["status"], mara["chapters"], mara["evidence"]) == ("alive", [[3, 3]], [])
    gone = without_chapter(memory, 3)
    assert view(gone)["characters"][0]["status"] == "unknown"


def test_winnowing_finds_every_shared_passage_of_fifty_characters() -> None:
    other = f"Before. {LINE} After."
    assert len(LINE) >= passages.MIN_PASSAGE
    for cut in range(0, 20):
        text = f"{'x' * cut} {LINE[:50]} y"
        [found] = passages.shared(text, other)
        assert LINE[:50] in found.quote
    assert passages.shared("a" * 48 + " b", "a" * 48 + " c") == []  # 49 in common
    assert passages.shared("ab" * 30, "ab" * 30, same=True) == []  # a run overlapping itself


def test_a_run_shorter_than_fifty_characters_is_not_a_repetition() -> None:
    assert passages.shared(f"X {LINE[:45]} Y", f"Z {LINE[:45]} W") == []


async def test_each_kind_in_a_book_checked_in_memory() -> None:
    found = await check_book(
        BIBLE,
        [
            f"Ilya was killed at Port Sable. {LINE} Mara vowed to find the lost compass.",
            '"Go," said Ilya.',
            "Mara's blonde hair was wet.",
            f"Again: {LINE}",
            *["Rain."] * 9,
            "Rain, still.",
        ],
    )
    assert [(f["kind"], f["chapter"]) for f in found] == [
        ("dead_character_acts", 2),
        ("trait_changed", 3),
        ("repetition", 4),
        ("thread_overdue", 14),
    ]
    assert found[1]["evidence"][0] == {
        "chapter": 0,
        "event_id": None,
        "quote": "Mara Quinn has red hair.",
    }


async def test_rollback_waiver_redelivery_and_the_fold_agree() -> None:
    book = OfflineBook(BIBLE)
    death = await book.confirm(1, "Ilya was killed at Port Sable.")
    walk = await book.confirm(2, '"Go," said Ilya.')
    await book.confirm(3, "Mara's blonde hair was wet.")
    assert not await book.work.handle(walk)  # a redelivery: checked once
    _, hair = await book.findings()
    await book.record(book.event(FINDING_WAIVED, {"finding_id": hair["id"], "reason": "dyed"}))
    await book.record(book.event(ROLLED_BACK, {"chapters": {}, "removed": ["1"]}))
    statuses = {f["kind"]: (f["status"], f["reason"]) for f in await book.findings()}
    assert statuses == {
        "dead_character_acts": ("resolved", None),
        "trait_changed": ("waived", "dyed"),
    }
    events = [
        (e.event_type, e.payload)
        for e in book.db.tables.events
        if e.aggregate_type == "STORY_MEMORY"
    ]
    waivers = [e.payload for e in book.db.tables.events if e.event_type == FINDING_WAIVED]
    folded = fold_story(events, waivers)
    assert folded.memory == await book.memory()
    assert {f["id"]: f["status"] for f in folded.findings.values()} == {
        f["id"]: f["status"] for f in await book.findings()
    }
    assert folded.chapters == {2: str(walk.event_id), 3: folded.chapters[3]}
    assert str(death.event_id) not in folded.chapters.values()


@pytest.mark.parametrize("chapter_status", ["DRAFTED", "CONFIRMED"])
async def test_a_rollback_to_a_draft_takes_the_chapter_out(chapter_status: str) -> None:
    book = OfflineBook(BIBLE)
    await book.confirm(1, "Ilya was killed at Port Sable.")
    back = {"chapters": {"1": {"status": chapter_status, "text": "Ilya slept."}}, "removed": []}
    await book.record(book.event(ROLLED_BACK, back))
    ilya = next(c for c in view(await book.memory())["characters"] if c["name"] == "Ilya Brandt")
    assert ilya["chapters"] == ([] if chapter_status == "DRAFTED" else [[1, 1]])
    assert ilya["status"] in ("alive", "unknown")


async def test_the_digest_tells_a_chapter_who_is_on_stage_who_is_dead_and_what_is_open() -> None:
    book = OfflineBook(BIBLE)
    await book.confirm(1, "Ilya was killed at Port Sable. Mara vowed to find the lost compass.")
    await book.confirm(2, "Mara's red hair was wet. Mara, 30 years old, waited.")
    memory = await book.memory()
    later = digest(memory, 3, "A chapter about the harbour")
    assert later["dead"] == ["Ilya Brandt"] and later["died"] == {"Ilya Brandt": 1}
    assert [(c["name"], c["status"]) for c in later["characters"]] == [
        ("Mara Quinn", "alive"),
        ("Ilya Brandt", "dead"),
    ]
    assert later["characters"][0]["traits"] == {"hair": "red", "age": 30}
    assert [t["text"] for t in later["threads"]] == ["find the lost compass"]
    # As of chapter 1, nothing before it: the bible's hair only, nobody dead, no thread yet.
    first = digest(memory, 1, "Mara at sea")
    assert (first["dead"], first["died"], first["threads"]) == ([], {}, [])
    assert first["characters"] == [
        {"name": "Mara Quinn", "status": "alive", "traits": {"hair": "red"}}
    ]
    far = digest(memory, 40, "nobody named")
    assert far["characters"] == [] and far["dead"] == ["Ilya Brandt"]
    assert digest(None, 3, "x") == {}


def test_the_prompt_carries_the_memory_and_the_offline_writer_leaves_the_dead_out() -> None:
    from infinite_scribe.agents.llm.chapter_prompts import beats_messages
    from infinite_scribe.agents.llm.offline.chapter_cast import read_cast
    from infinite_scribe.domain.chapter_brief import ChapterBrief

    remembered = {"dead": ["Ilya Brandt"], "characters": [], "threads": []}
    brief = ChapterBrief(uuid.uuid4(), 3, "Three", "The harbour", "en", BIBLE, memory=remembered)
    prompt = beats_messages(brief)[1]["content"]
    assert "What the book remembers" in prompt and '"Ilya Brandt"' in prompt.split("remembers")[1]
    names = [person.name for person in read_cast(brief).people]
    assert names == ["Mara Quinn"]
    everyone = read_cast(ChapterBrief(uuid.uuid4(), 3, "Three", "The harbour", "en", BIBLE))
    assert [p.name for p in everyone.people] == ["Mara Quinn", "Ilya Brandt"]


async def test_a_long_repeat_is_quoted_by_its_start_and_an_overdue_thread_is_said_once() -> None:
    book = OfflineBook(BIBLE)
    long_passage = " ".join(f"The tide turned at the {n}th bell of the harbour." for n in range(40))
    await book.confirm(1, f"Mara vowed to find the lost compass. {long_passage}")
    await book.confirm(2, long_passage)
    [repeat] = await book.findings()
    # Its start, at most 500 characters, cut where a sentence ends (never mid-word).
    assert 400 < len(repeat["quote"]) <= 500 and repeat["quote"].endswith("of the harbour.")
    assert repeat["length"] >= len(long_passage) - 1
    assert repeat["quote"] in long_passage and repeat["evidence"][0]["quote"] == repeat["quote"]
    for chapter in (14, 15, 16):
        await book.confirm(chapter, f"Rain over the harbour in chapter {chapter}.")
    overdue = [f for f in await book.findings() if f["kind"] == "thread_overdue"]
    assert [(f["chapter"], f["status"]) for f in overdue] == [(14, "open")]
    checked = [
        e.payload for e in book.db.tables.events if e.event_type == "Novel.Memory.ChapterChecked"
    ]
    assert [len(p["findings"]) for p in checked[-3:]] == [1, 0, 0]
