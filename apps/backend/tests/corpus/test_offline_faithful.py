# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""Issue 69: the offline writer keeps what the writer named, never makes text out of its own
fragments, never repeats itself, writes plot wishes as scenes, and its notes are the diff.

Every idea of tests/data/offline_ideas.json (written before the generator was changed) is
walked through the five Genesis stages, each first proposal confirmed, then a 30-chapter
outline (the plot stage's chapters, then outline batches) is drafted chapter by chapter.
bench/offline_quality.py reports the same measures as figures."""

import itertools
import json
import re
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from infinite_scribe.agents.llm.offline.chapters import open_notes, plan_beats, write_beat
from infinite_scribe.agents.llm.offline.generator import batch_chapters, draft
from infinite_scribe.agents.llm.offline.words import CHINESE, ENGLISH
from infinite_scribe.agents.llm.port import GenerationRequest
from infinite_scribe.agents.llm.prompts import prompt_echoes
from infinite_scribe.domain.chapter_brief import ChapterBrief, chapter_outline
from infinite_scribe.domain.codex import Codex, CodexEntry
from infinite_scribe.domain.genesis import STAGE_ORDER
from infinite_scribe.domain.novel import novel_bible
from infinite_scribe.domain.outline_plan import Batch
from infinite_scribe.domain.passages import shared
from infinite_scribe.domain.proposal_guard import Asked, check_stage
from infinite_scribe.domain.proposals import PROPOSAL_META
from infinite_scribe.text import segment
from infinite_scribe.text.reader import Known, read_chapter
from shared_types.enums import GenesisStage

#: Every idea of the corpus through every stage and a 30-chapter book (issue 75): `make test`.
pytestmark = pytest.mark.corpus

CORPUS = json.loads((Path(__file__).parents[1] / "data" / "offline_ideas.json").read_text())
IDEAS: list[dict[str, Any]] = CORPUS["ideas"]
WISHES: list[dict[str, Any]] = CORPUS["wishes"]
IDS = [idea["text"][:20] for idea in IDEAS]
#: Verbs of the templates and of the ideas: never in a place, a name or a title.
_VERBS = {
    "en": re.compile(
        r"\b(?:keeps|carry|carries|finds|hides|discovers|wants|leads|points|tells|breaks|loses"
        r"|learns|returns|faces|refuses|strikes|pays|comes|must|is|was)\b",
        re.I,
    ),
    "zh": re.compile(r"指向|掌管|掌控|追查|发现|带到|寻找|浮出|守着|找到|不许|收留|丢了|看见"),
}
_SENTENCE = re.compile(r"[^。！？!?.]+(?:[。！？!?.]+[”」\"]?|$)")
_QUOTE = re.compile(r"“([^”]{4,})”")


def _content(proposal: Any) -> dict[str, Any]:
    dumped: dict[str, Any] = proposal.model_dump(mode="json")
    return {key: value for key, value in dumped.items() if key not in PROPOSAL_META}


def _words(idea: dict[str, Any]) -> Any:
    return CHINESE if idea["language"] == "zh" else ENGLISH


@cache
def walked(index: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """(confirmed data, first proposals) of a writer who confirms every first proposal."""
    segment.warm()
    idea, session = IDEAS[index], UUID(int=index + 69)
    confirmed: dict[str, Any] = {}
    drafted: dict[str, Any] = {}
    for stage in STAGE_ORDER:
        if stage is GenesisStage.FINISHED:
            continue
        request = GenerationRequest(session, stage, dict(confirmed), user_input=idea["text"])
        drafted[stage.value] = content = _content(draft(request, _words(idea)))
        confirmed[stage.value] = content["concepts"][0] if "concepts" in content else content
    return confirmed, drafted


def _brief(index: int, number: int, chapters: list[Any], bible: Any, **extra: Any) -> Any:
    _, title, summary = chapters[number - 1]
    earlier = tuple(chapters[max(number - 6, 0) : number - 1])
    language = IDEAS[index]["language"]
    return ChapterBrief(UUID(int=index + 69), number, title, summary, language, bible,
                        earlier=earlier, **extra)  # fmt: skip


def _text(brief: ChapterBrief) -> str:
    beats = plan_beats(brief)
    return "\n\n".join(write_beat(brief, beats, index) for index in range(len(beats)))


@cache
def book(index: int, count: int = 30) -> tuple[Any, tuple[str, ...]]:
    """The bible and the first `count` chapters of the idea's book."""
    confirmed, _ = walked(index)
    idea = IDEAS[index]
    request = GenerationRequest(UUID(int=index + 69), GenesisStage.PLOT_OUTLINE, confirmed,
                                user_input=idea["text"])  # fmt: skip
    entries = [{"title": t, "summary": s} for _, t, s in chapter_outline(confirmed["PLOT_OUTLINE"])]
    more = batch_chapters(request, _words(idea), Batch(2, len(entries) + 1, 30 - len(entries)))
    bible = novel_bible(confirmed | {"PLOT_OUTLINE": {"chapters": [*entries, *more][:count]}})
    chapters = chapter_outline(bible.outline)
    return bible, tuple(_text(_brief(index, n, chapters, bible)) for n, _, _ in chapters)


def _codex(idea: dict[str, Any]) -> Codex:
    """The idea's codex as the corpus names it: the first name the hero, the rival's role."""
    rival = idea.get("rival")
    people = [
        CodexEntry("person", name, "hero" if not n else "rival" if name == rival else None)
        for n, name in enumerate(idea["names"])
    ]
    return Codex((*people, *(CodexEntry("place", place) for place in idea["places"])))


@pytest.mark.parametrize("index", range(len(IDEAS)), ids=IDS)
def test_every_named_item_is_kept_verbatim_where_it_belongs(index: int) -> None:
    """Issue 76 (issue 69 asked for every item at every stage, pasted as a list where the text
    did not tell it): the guard's codex checks pass at every stage (the hero in every concept,
    the story and the outline; the people in the cast, the rival under their own name; the
    places in the world), and the chapters name the hero."""
    idea = IDEAS[index]
    _, drafted = walked(index)
    asked = Asked(idea["language"])
    failed = {
        stage: check_stage(stage, content, _codex(idea), asked, prompt_echoes())
        for stage, content in drafted.items()
    }
    assert {stage: found for stage, found in failed.items() if found} == {}
    assert all(idea["names"][0] in chapter for chapter in book(index)[1][:3])


@pytest.mark.parametrize("index", range(len(IDEAS)), ids=IDS)
def test_the_writers_people_are_the_cast_under_their_own_names(index: int) -> None:
    """A named rival is the antagonist; no bank name stands in for a named person or passes
    for one ("Ada Voss" beside "Ada Eze")."""
    idea = IDEAS[index]
    confirmed, _ = walked(index)
    cast = [card["name"] for card in confirmed["CHARACTERS"]["characters"]]
    assert all(name in cast for name in idea["names"][:4]), cast
    if "rival" in idea:
        assert cast[1] == idea["rival"], cast
    strangers = [name for name in cast if name not in idea["names"]]
    for name in strangers:
        if idea["language"] == "en":
            assert not set(name.split()) & {w for n in idea["names"] for w in n.split()}, name
        else:
            assert all(name[0] != given[0] for given in idea["names"]), name


@pytest.mark.parametrize("index", range(len(IDEAS)), ids=IDS)
def test_no_place_name_or_title_is_a_fragment(index: int) -> None:
    """No location, name or title holds a verb of the templates or of the idea, a name of a
    person (as a place), or a phrase twice."""
    idea = IDEAS[index]
    confirmed, drafted = walked(index)
    places = [loc["name"] for loc in confirmed["WORLDVIEW"]["locations"]]
    names = [card["name"] for card in confirmed["CHARACTERS"]["characters"]]
    titles = [concept["title"] for concept in drafted["CONCEPT_SELECTION"]["concepts"]]
    stock = re.compile(r"What .+ Keeps|.+守着什么")  # the stock's one title with a verb
    for text in [*places, *names, *titles]:
        assert stock.fullmatch(text) or not _VERBS[idea["language"]].search(text), text
        assert not _twice(text, idea["language"]), text
    for place in places:
        assert not any(person in place for person in idea["names"]), place


def _twice(text: str, language: str) -> bool:
    if language == "zh":
        return any(text.count(text[i : i + 4]) > 1 for i in range(len(text) - 3))
    words = text.lower().split()
    pairs = list(itertools.pairwise(words))
    return len(pairs) != len(set(pairs))


@pytest.mark.parametrize("index", range(len(IDEAS)), ids=IDS)
def test_a_30_chapter_book_never_repeats_itself(index: int) -> None:
    """No sentence twice in a chapter, no paragraph in two chapters, no line of dialogue in
    two chapters, no rule of the world pasted as narration."""
    bible, chapters = book(index)
    rules = [rule.rstrip("。.") for rule in bible.worldview["rules"]]
    paragraphs: Counter[str] = Counter()
    lines: Counter[str] = Counter()
    for number, text in enumerate(chapters, start=1):
        said = Counter(s.strip() for s in _SENTENCE.findall(text) if len(s.strip()) > 6)
        assert [s for s, n in said.items() if n > 1] == [], number
        paragraphs.update({p.strip() for p in text.split("\n\n") if p.strip()})
        lines.update(set(_QUOTE.findall(text)))
        assert not [rule for rule in rules if rule in text], number
    assert [p for p, n in paragraphs.items() if n > 1] == []
    assert [line for line, n in lines.items() if n > 1] == []


@pytest.mark.parametrize("index", [0, 3, 11, 13], ids=[IDS[i] for i in (0, 3, 11, 13)])
def test_the_continuity_check_finds_few_repeated_passages_it_wrote(index: int) -> None:
    """The passages of 50+ characters the continuity check reports (domain/passages.py),
    in a chapter and against the three chapters before it: none in Chinese, a handful at
    most in English (decision 6902; 30 a chapter before)."""
    _, chapters = book(index)
    found = 0
    for number, text in enumerate(chapters):
        found += len(shared(text, text, True))
        found += sum(len(shared(text, other)) for other in chapters[max(number - 3, 0) : number])
    assert found <= (1 if IDEAS[index]["language"] == "zh" else 10), found


@pytest.mark.parametrize("wish", WISHES, ids=[wish["text"][:24] for wish in WISHES])
def test_a_plot_wish_is_written_as_a_scene(wish: dict[str, Any]) -> None:
    """A death, a return, a fight, a chase, an arrival, a meeting, a reveal or a confession
    becomes a scene with the characters it names, never pasted, never left as a note; a
    death is read as a death by the continuity reader (the story memory knows it), and the
    dead do not act after it."""
    index = wish["idea"]
    confirmed, _ = walked(index)
    bible = novel_bible(confirmed)
    brief = _brief(index, 2, chapter_outline(bible.outline), bible, wishes=wish["text"])
    text = _text(brief)
    assert open_notes(brief) == []
    assert all(name in text for name in wish["who"])
    assert wish["text"].rstrip("。.").lower() not in text.lower()
    if wish["kind"] == "death":
        cast = {card["name"]: card["name"] for card in bible.characters["characters"]}
        facts = read_chapter(wish["language"], text, Known(cast))["facts"]
        dead = {f["who"] for f in facts if f["kind"] == "status" and f["value"] == "dead"}
        assert dead == set(wish["who"]), facts
        # Nor do they act after it, in the paragraph of their death or later (issue 78).
        died = [i for i, f in enumerate(facts) if f["kind"] == "status" and f["value"] == "dead"]
        after = [f for f in facts[died[0] :] if f["kind"] == "act" and f["who"] in dead]
        assert after == [], after


def _revised(index: int, stage: GenesisStage, feedback: str) -> tuple[dict[str, Any], str]:
    confirmed, drafted = walked(index)
    earlier = STAGE_ORDER[: STAGE_ORDER.index(stage)]
    request = GenerationRequest(
        UUID(int=index + 69), stage, {s.value: confirmed[s.value] for s in earlier},
        user_input=IDEAS[index]["text"], feedback=feedback,
        previous_proposal=drafted[stage.value],
    )  # fmt: skip
    proposal = draft(request, _words(IDEAS[index]))
    return _content(proposal), proposal.revision_note or ""  # type: ignore[attr-defined]


RENAME = {
    "zh": ("把反派改成巡捕房的副探长顾远山", "顾远山"),
    "en": ("Rename the villain to Marcus Vale", "Marcus Vale"),
}


@pytest.mark.parametrize("index", [i for i, idea in enumerate(IDEAS) if "rival" in idea])
def test_a_villain_rename_changes_the_name_everywhere_and_the_note_says_so(index: int) -> None:
    idea = IDEAS[index]
    feedback, name = RENAME[idea["language"]]
    after, note = _revised(index, GenesisStage.CHARACTERS, feedback)
    assert after["characters"][1]["name"] == name
    assert idea["rival"] not in json.dumps(after, ensure_ascii=False)
    assert name in note and "没有体现" not in note and "Not shown" not in note


@pytest.mark.parametrize("index", [0, 5, 11, 16], ids=[IDS[i] for i in (0, 5, 11, 16)])
def test_a_revision_changes_only_what_was_asked(index: int) -> None:
    """A tone asked for changes the tones and nothing else of the concepts; a new hero keeps
    the story's title and themes; the themes of the concept chosen are the story's."""
    language = IDEAS[index]["language"]
    confirmed, drafted = walked(index)
    darker = "语气更黑暗一些" if language == "zh" else "Make it darker"
    after, note = _revised(index, GenesisStage.CONCEPT_SELECTION, darker)
    for old, new in zip(drafted["CONCEPT_SELECTION"]["concepts"], after["concepts"], strict=True):
        assert {key for key in old if old[key] != new[key]} <= {"tone"}
        assert new["tone"] in note
    hero = "主角改成一名年迈的飞船机械师" if language == "zh" else "Make the hero a blind pianist"
    after, _ = _revised(index, GenesisStage.STORY_CONCEPTION, hero)
    before = drafted["STORY_CONCEPTION"]
    assert (after["title"], after["themes"]) == (before["title"], before["themes"])
    assert before["themes"] == confirmed["CONCEPT_SELECTION"]["themes"]


@pytest.mark.parametrize(
    ("stage", "idea", "feedback", "check"),
    [
        (
            GenesisStage.STORY_CONCEPTION,
            "A pathologist in Oslo finds a stranger's heart in the wrong body.",
            "I'd like the main character to be a blind pianist, not a pathologist",
            lambda c: "blind pianist" in c["premise"] and "pathologist" not in c["premise"],
        ),
        (
            GenesisStage.WORLDVIEW,
            "A Mars colony in 2150: the oxygen ledger has been falsified.",
            None,
            lambda c: c["locations"][0]["name"] == "Mars colony",
        ),
        (
            GenesisStage.WORLDVIEW,
            "2150年的火星殖民地，一名女法医发现氧气配给记录被人篡改。",
            "主角改成一名年迈的飞船机械师",
            lambda c: (
                next(loc["name"] for loc in c["locations"]) == "火星殖民地"
                and not any("飞船" in loc["name"] for loc in c["locations"])
            ),
        ),
    ],
)
def test_the_held_out_requests_of_the_issue(
    stage: GenesisStage, idea: str, feedback: str | None, check: Any
) -> None:
    segment.warm()
    request = GenerationRequest(UUID(int=69), stage, {}, user_input=idea, feedback=feedback,
                                previous_proposal={} if feedback else None)  # fmt: skip
    words = CHINESE if re.search(r"[\u4e00-\u9fff]", idea) else ENGLISH
    assert check(_content(draft(request, words)))


@pytest.mark.parametrize("index", [0, 11])
def test_an_outline_entry_planned_before_a_death_never_has_the_dead_act(index: int) -> None:
    """Issue 78: the story memory says who died; an outline entry written before that ("the
    mentor urges the hero on") is not told as this chapter's event."""
    confirmed, _ = walked(index)
    bible = novel_bible(confirmed)
    cards = bible.characters["characters"]
    hero, dead = cards[0]["name"], cards[2]["name"]
    language = IDEAS[index]["language"]
    said = f"{dead}劝{hero}收手。" if language == "zh" else f"{dead} urged {hero} to stop."
    chapters = [(n, t, said if n == 2 else s) for n, t, s in chapter_outline(bible.outline)]
    brief = _brief(index, 2, chapters, bible, memory={"dead": [dead]})
    text = _text(brief)
    facts = read_chapter(language, text, Known({c["name"]: c["name"] for c in cards}))["facts"]
    assert [f for f in facts if f["kind"] == "act" and f["who"] == dead] == [], text
    alive = _brief(index, 2, chapters, bible, memory={})
    assert said.rstrip("。.") in _text(alive)  # the entry is told while they live
