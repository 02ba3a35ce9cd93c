"""The story memory's one `evolve` (issue 70; issue 71 P4, P5), pure: the status of a finding
is computed there alone (found, settled, waived for good, the first reason kept), a purged
stream is a tombstone, the live check and the fold agree, and a redelivery costs one read."""

from typing import Any
from uuid import UUID

from infinite_scribe.agents.continuity.bible import read_bible, read_for
from infinite_scribe.domain.chapters import FINDING_WAIVED
from infinite_scribe.domain.continuity import ranked
from infinite_scribe.domain.novel import NovelBible
from infinite_scribe.domain.story_fold import (
    ChapterVersion,
    StoryState,
    checked,
    decide_checked,
    evolve,
    fold_story,
    ranked_findings,
    seeded,
)
from infinite_scribe.domain.story_memory import CHAPTER_CHECKED, PURGED, SEEDED, thread_id
from tests.support.continuity_book import OfflineBook

BIBLE = NovelBible(
    title="x",
    characters={"characters": [{"name": "Mara Quinn", "description": "Mara Quinn has red hair."}]},
)
FOUND = {"id": "f1", "kind": "trait_changed", "chapter": 2, "quote": "q", "evidence": []}


def _after(*events: tuple[str, dict[str, Any]]) -> StoryState:
    state = StoryState()
    for event_type, payload in events:
        state = evolve(state, event_type, payload)
    return state


def test_a_finding_opens_settles_opens_again_and_a_waiver_is_final() -> None:
    seed = (SEEDED, seeded("en", {}, 1))
    found = (CHAPTER_CHECKED, checked(2, "e2", {}, [FOUND]))
    settled = (CHAPTER_CHECKED, checked(2, "e3", {}, [], ["f1"]))
    state = _after(seed, found)
    assert (state.version, state.findings["f1"]["status"]) == (2, "open")
    assert _after(seed, found, settled).findings["f1"]["status"] == "resolved"
    assert _after(seed, found, settled, found).findings["f1"]["status"] == "open"
    first = (FINDING_WAIVED, {"finding_id": "f1", "reason": None})
    second = (FINDING_WAIVED, {"finding_id": "f1", "reason": "later"})
    waived = _after(seed, found, first, second, settled, found)
    assert (waived.findings["f1"]["status"], waived.findings["f1"]["reason"]) == ("waived", None)
    assert waived.version == 4  # the novel's waivers do not count in the memory stream
    # Applied where they happened or after the whole stream: the same state.
    folded = fold_story([seed, found, settled, found], [first[1], second[1]])
    assert folded.findings == waived.findings and folded.memory == waived.memory


def test_a_purged_stream_is_a_tombstone_whatever_its_erased_payloads() -> None:
    erased = [(SEEDED, {}), (CHAPTER_CHECKED, {}), (PURGED, {"reason": "user"})]
    folded = fold_story(erased, [{"finding_id": "f1"}])
    assert (folded.version, folded.purged, folded.memory, dict(folded.findings)) == (
        3,
        True,
        None,
        {},
    )
    assert _after(*erased) == folded


async def test_the_live_check_stores_what_the_fold_computes_and_a_redelivery_reads_once() -> None:
    book = OfflineBook(BIBLE)
    await book.confirm(1, "Mara's red hair was wet.")
    blonde = await book.confirm(2, "Mara's blonde hair was wet.")
    [hair] = await book.findings()
    await book.record(book.event(FINDING_WAIVED, {"finding_id": hair["id"]}))
    await book.record(book.event(FINDING_WAIVED, {"finding_id": hair["id"], "reason": "x"}))
    stream = [
        (e.event_type, e.payload) for e in book.db.tables.events if e.aggregate_type != "NOVEL"
    ]
    waivers = [e.payload for e in book.db.tables.events if e.event_type == FINDING_WAIVED]
    folded = fold_story(stream, waivers)
    assert list(folded.findings.values()) == await book.findings()
    waived = folded.findings[hair["id"]]
    assert (waived["status"], waived["reason"]) == ("waived", None)

    calls: list[str] = []

    def reader(*args: Any) -> dict[str, Any]:
        calls.append("read")
        return read_for(*args)

    def seeder(*args: Any) -> Any:
        calls.append("seed")
        return read_bible(*args)

    # The finding as the novel's own events say (a second waiver is refused from them).
    from tests.support.memory.story_memory import MemoryStory

    stored = MemoryStory(book.db.tables)
    found = await stored.finding(book.novel_id, hair["id"])
    assert found is not None and found["status"] == "waived"
    assert await stored.finding(book.novel_id, book.user_id) is None
    book.work.reader, book.work.seeder = reader, seeder
    assert not await book.work.handle(blonde)  # handled before: the ledger says so first
    assert calls == []


ZH_BIBLE = NovelBible(
    title="苏州河",
    characters={
        "characters": [
            {"name": "林舟", "description": "林舟是一名侦探。他很沉默。"},
            {"name": "顾南", "role": "反派"},
        ]
    },
    outline={"chapters": [{"title": "一", "summary": "开端", "foreshadowing": "一把旧钥匙"}]},
)


async def test_every_bible_character_has_evidence_and_a_rename_is_followed() -> None:
    from infinite_scribe.domain.story_memory import view

    book = OfflineBook(ZH_BIBLE)
    await book.confirm(1, "林舟走进了房间。顾南站在门口。")
    shown = {c["name"]: c for c in view(await book.memory())["characters"]}
    assert shown["林舟"]["evidence"] == [
        {"chapter": 0, "event_id": None, "quote": "林舟是一名侦探。"}
    ]
    assert shown["顾南"]["evidence"] == [{"chapter": 0, "event_id": None, "quote": "反派"}]
    [thread] = (await book.memory())["threads"].values()
    thread_id = next(iter((await book.memory())["threads"]))
    # The writer renames the villain (a Genesis finished anew: the novel's version moves).
    cards = [dict(ZH_BIBLE.characters["characters"][0]), {"name": "顾远山", "role": "反派"}]
    renamed = NovelBible(title="苏州河", characters={"characters": cards}, outline=ZH_BIBLE.outline)
    book.db.tables.novels[book.novel_id] = {"bible": renamed, "version": 2}
    await book.confirm(2, "顾远山死了。林舟看着他。")
    memory = await book.memory()
    shown = {c["name"]: c for c in view(memory)["characters"]}
    assert set(shown) == {"林舟", "顾远山"}
    villain = shown["顾远山"]
    assert (villain["aliases"], villain["status"], villain["chapters"]) == (
        ["顾南"],
        "dead",
        [[1, 2]],
    )
    assert list(memory["threads"]) == [thread_id] and thread["text"] == "一把旧钥匙"
    seeds = [e for e in book.db.tables.events if e.event_type == SEEDED]
    assert [e.payload["bible_version"] for e in seeds] == [1, 2]
    await book.confirm(3, "林舟走了。")  # the same bible: not read again
    assert len([e for e in book.db.tables.events if e.event_type == SEEDED]) == 2
    stream = [
        (e.event_type, e.payload) for e in book.db.tables.events if e.aggregate_type != "NOVEL"
    ]
    assert fold_story(stream, []).memory == await book.memory()


def test_a_quote_is_cut_on_sentence_or_word_boundaries() -> None:
    from infinite_scribe.domain.continuity import quoted

    text = (
        "They walked on with their heads down. The lamps guttered one by one as the tide came in. T"
    )
    cut = quoted(text, "ith their heads down. The lamps guttered one by one as the tide came in. T")
    assert cut == "The lamps guttered one by one as the tide came in."
    words = quoted(text, "ith their heads down. The lamps gutt")
    assert words == "their heads down. The lamps"
    chinese = "林舟走进了房间。他看着窗外的雨，想起了很多年前的那个夜晚，灯光一盏一盏地熄灭了。顾南"  # noqa: RUF001
    assert quoted(chinese, chinese[3:]) == chinese[8:-2]
    assert quoted("elsewhere", "not in the text at all") == "not in the text at all"
    assert len(quoted(text * 20, (text * 20).strip(), limit=120)) <= 120


_NOVEL = UUID(int=7)
_VOW = {
    "kind": "thread",
    "text": "find the key",
    "quote": "She swore to find the key.",
    "due_chapter": 2,
}


def _seeded_with(*checks: tuple[int, dict[str, Any]]) -> StoryState:
    state = _after((SEEDED, seeded("en", {}, 1)))
    for chapter, read in checks:
        state = evolve(state, CHAPTER_CHECKED, checked(chapter, f"e{chapter}", read))
    return state


def test_a_checks_decision_adds_the_threads_it_leaves_overdue_and_ranks_what_it_found() -> None:
    """Issue 75: the story memory decides in the domain; the application only gathers."""
    state = _seeded_with((1, {"facts": [_VOW]}))
    later = ChapterVersion(5, "e5", "Nothing of keys.", {})
    found, said = ranked_findings(state, _NOVEL, later, [FOUND])
    assert [f["kind"] for f in found] == [f["kind"] for f in ranked([*found])]
    assert {f["kind"] for f in found} == {"trait_changed", "thread_overdue"}
    [thread] = said["threads"].values()
    assert thread["resolved_chapter"] is None
    paid = {"kind": "payoff", "thread": thread_id(1, _VOW["text"]), "quote": "The key turned."}
    paying = ChapterVersion(5, "e5", "The key turned.", {"facts": [paid]})
    found, said = ranked_findings(state, _NOVEL, paying, [])
    assert found == [] and [t["resolved_chapter"] for t in said["threads"].values()] == [5]
    taken_back = ChapterVersion(5, "e6", None, None)  # no text: nothing is overdue by it
    assert ranked_findings(state, _NOVEL, taken_back, [])[0] == []
    early = ChapterVersion(2, "e2", "Nothing yet.", {})  # not 3 chapters past its due one
    assert ranked_findings(state, _NOVEL, early, [])[0] == []


def test_a_checks_decision_settles_what_its_chapter_no_longer_says_and_says_its_budget() -> None:
    state = evolve(_seeded_with(), CHAPTER_CHECKED, checked(2, "e2", {}, [FOUND]))
    again = ChapterVersion(2, "e3", "Another version.", {})
    _, said = ranked_findings(state, _NOVEL, again, [])
    payload = decide_checked(state, again, [], said)
    assert (payload["resolved"], "incomplete" in payload) == (["f1"], False)
    kept = decide_checked(state, again, [FOUND], said, incomplete=True)
    assert (kept["resolved"], kept["findings"], kept["incomplete"]) == ([], [FOUND], "budget")
    other = ChapterVersion(3, "e4", "A later chapter.", {})
    assert decide_checked(state, other, [], said)["resolved"] == []  # not its chapter's
