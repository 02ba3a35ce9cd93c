"""The continuity check through a model (issue 48): the prompt shows the chapter and what was
said before of its characters; a finding is kept only with its proof (its quote in the
chapter, its evidence a sentence the memory holds) and joins the rules' findings where they said
nothing of that character and kind; a failing model leaves the rules' findings."""

import uuid
from typing import Any

from infinite_scribe.agents.continuity.model_review import parse_review, review_messages
from infinite_scribe.domain.continuity import from_model, review_facts
from infinite_scribe.domain.novel import NovelBible
from tests.support.continuity_book import OfflineBook

BIBLE = NovelBible(
    title="x",
    characters={
        "characters": [
            {"name": "Mara Quinn", "description": "Mara Quinn has red hair."},
            {"name": "Ilya Brandt"},
        ]
    },
)
WALKS = '"Go," said Ilya, and he opened the door.'


class Scripted:
    """A reviewer that answers what it is given, and remembers what it was shown."""

    def __init__(self, *replies: Any) -> None:
        self.replies = list(replies)
        self.shown: list[Any] = []

    async def __call__(self, language: str, chapter: int, text: str, facts: Any) -> Any:
        self.shown.append(facts)
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply


def test_a_reply_is_json_or_nothing() -> None:
    assert parse_review('```json\n[{"kind": "trait_changed"}]\n```') == [{"kind": "trait_changed"}]
    assert parse_review('{"findings": [{"kind": "x"}, 3]}') == [{"kind": "x"}]
    assert parse_review("Ilya is dead, so this is wrong.") == []
    assert parse_review('"just a string"') == []


def test_the_prompt_holds_the_chapter_and_the_facts() -> None:
    facts = [{"name": "Ilya Brandt", "facts": [{"kind": "status", "value": "dead"}]}]
    system, user = review_messages("zh", 7, "林舟推开门。", facts)
    assert "Chinese" in system["content"]
    assert "Chapter 7" in user["content"] and "林舟推开门。" in user["content"]
    assert '"value": "dead"' in user["content"]


async def test_a_model_finding_without_its_proof_is_dropped() -> None:
    book = OfflineBook(BIBLE)
    # Chapter 1 names nobody the book said anything of: the model is not asked about it.
    reviewer = Scripted(
        [
            {"kind": "dead_character_acts", "who": "Ilya Brandt", "quote": WALKS,
             "evidence_quote": "Ilya was killed at Port Sable."},
            {"kind": "dead_character_acts", "who": "Ilya Brandt", "quote": "Ilya danced.",
             "evidence_quote": "Ilya was killed at Port Sable."},
            {"kind": "trait_changed", "who": "Mara Quinn", "quote": WALKS,
             "evidence_quote": "Mara had green hair once."},
            {"kind": "timeline", "who": "Mara Quinn", "quote": WALKS, "evidence_quote": "x"},
        ],
    )  # fmt: skip
    book.work.reviewer = reviewer
    await book.confirm(1, "Ilya was killed at Port Sable.")
    await book.confirm(2, WALKS)
    [found] = await book.findings()
    assert (found["kind"], found["quote"], found["who"]) == (
        "dead_character_acts",
        WALKS,
        "Ilya Brandt",
    )
    assert found["evidence"][0]["quote"] == "Ilya was killed at Port Sable."
    shown = {c["name"]: c["facts"] for c in reviewer.shown[0]}
    assert shown["Ilya Brandt"][0]["value"] == "dead"
    assert len(reviewer.shown) == 1


async def test_a_failing_model_leaves_the_rules_findings() -> None:
    book = OfflineBook(BIBLE)
    book.work.reviewer = Scripted(TimeoutError("model down"))
    await book.confirm(1, "Ilya was killed at Port Sable.")
    await book.confirm(2, WALKS)
    assert [f["kind"] for f in await book.findings()] == ["dead_character_acts"]


#: A dead man's smoke in his chair: no act the rules' words hold, a model may still see it.
SMOKE = "That night the smoke curled from Ilya's chair, his pipe still warm."


async def test_a_model_that_finds_nothing_leaves_the_rules_findings() -> None:
    """A small model that sees nothing (SmolLM2 on the blind set: recall 0) hides nothing."""
    book = OfflineBook(BIBLE)
    book.work.reviewer = Scripted([])
    await book.confirm(1, "Ilya was killed at Port Sable.")
    await book.confirm(2, WALKS)
    assert [(f["kind"], f["who"]) for f in await book.findings()] == [
        ("dead_character_acts", "Ilya Brandt")
    ]


async def test_the_models_proven_finding_joins_the_rules_once_per_character_and_kind() -> None:
    book = OfflineBook(BIBLE)
    again = {"kind": "dead_character_acts", "who": "Ilya Brandt", "quote": WALKS,
             "evidence_quote": "Ilya was killed at Port Sable."}  # fmt: skip
    book.work.reviewer = Scripted([again], [again | {"quote": SMOKE}])
    await book.confirm(1, "Ilya was killed at Port Sable.")
    await book.confirm(2, WALKS)  # the rules found it: the model's is not a second
    await book.confirm(3, SMOKE)  # the rules did not: the model's, with its proof
    found = [(f["chapter"], f["quote"]) for f in await book.findings()]
    assert found == [(2, WALKS), (3, SMOKE)]


def test_facts_shown_are_those_said_before_the_chapter() -> None:
    memory: dict[str, Any] = {
        "characters": {
            "Mara": {"aliases": [], "chapters": [], "facts": [
                {"kind": "trait", "attribute": "hair", "value": "red", "chapter": 1, "quote": "a"},
                {"kind": "trait", "attribute": "hair", "value": "grey", "chapter": 5, "quote": "b"},
            ]},
        },
        "places": {},
        "threads": {},
    }  # fmt: skip
    [mara] = review_facts(memory, 3, ["Mara", "Nobody"])
    assert [f["value"] for f in mara["facts"]] == ["red"]
    said = [{"kind": "trait_changed", "who": "Mara", "quote": "q", "evidence_quote": "b"}]
    assert from_model(uuid.uuid4(), memory, (3, None), said, "q") == []  # said after: no proof
