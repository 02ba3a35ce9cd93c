"""A feedback that renames a person by the name the codex has for them ("Rename Declan Furey to
Cathal Breen", "陈默改叫林舟"), whatever their role, is offered as the codex rename of that entry,
as the hero's and the rival's are (text/codex_reading.py `offered_edits`, the frames in
text/data/<language>.json `rename_frames`). The corpus is tests/data/change_requests.json's
`renames`. A name the codex has not, or something that is no person ("rename the chapter to
..."), is offered nothing, adds no one and asks the story reader for nothing: the revision's
note says the feedback was not understood."""

import json
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from infinite_scribe.agents.llm.offline.generator import draft
from infinite_scribe.agents.llm.offline.words import CHINESE, ENGLISH
from infinite_scribe.agents.llm.port import GenerationRequest
from infinite_scribe.domain.codex import Codex, grown
from infinite_scribe.domain.codex_edits import codex_edited
from infinite_scribe.domain.commands import EditCodex
from infinite_scribe.domain.proposals import Proposal
from infinite_scribe.text import reading_en, reading_zh
from infinite_scribe.text.codex_reading import feedback_people, offered_edits, read_codex
from shared_types.enums import GenesisStage

RENAMES: dict[str, Any] = json.loads(
    (Path(__file__).parents[1] / "data" / "change_requests.json").read_text("utf-8")
)["renames"]
CASES: list[dict[str, Any]] = RENAMES["cases"]
_IDS = [case["text"][:40] for case in CASES]


def _codex(case: dict[str, Any]) -> Codex:
    return read_codex(RENAMES["ideas"][case["language"]])


@pytest.mark.parametrize("case", CASES, ids=_IDS)
def test_a_person_renamed_by_name_is_offered_the_rename_of_their_entry(
    case: dict[str, Any],
) -> None:
    edits = offered_edits(case["text"], _codex(case))
    expected = [("rename", case["name"], case["to"])] if case["name"] else []
    assert [(e["op"], e["name"], e.get("to")) for e in edits] == expected
    if edits:  # in EditCodex's own shape: the writer sends it as offered
        EditCodex.model_validate({"edits": list(edits)})
        Proposal.model_validate({"offered_edits": list(edits)})


@pytest.mark.parametrize("case", CASES, ids=_IDS)
def test_a_rename_adds_no_one_and_asks_the_story_for_nothing(case: dict[str, Any]) -> None:
    """Neither name is a new person of the codex (the new one is the old one's, offered; an
    unknown old one is unsure), and no part of the story (the hero's name) is read from it."""
    assert feedback_people(case["text"], _codex(case)) == {}
    reader = reading_zh if case["language"] == "zh" else reading_en
    facts = reader.read_feedback(case["text"])
    parts = ("hero", "hero_name", "antagonist", "place", "time")
    assert {part: getattr(facts, part) for part in parts if getattr(facts, part)} == {}


_RENAMED = [case for case in CASES if case["name"]]


@pytest.mark.parametrize("case", _RENAMED, ids=[case["text"][:40] for case in _RENAMED])
def test_the_offered_rename_confirmed_renames_that_person_and_keeps_their_role(
    case: dict[str, Any],
) -> None:
    codex = _codex(case)
    edits = offered_edits(case["text"], codex)
    command = EditCodex.model_validate({"edits": list(edits)})
    after = Codex.from_json(codex_edited(codex.as_json(), command, UUID(int=1))["codex"])
    before, now = codex.named(case["name"]), after.named(case["to"])
    assert before is not None and now is not None and after.named(case["name"]) is None
    assert (now.kind, now.role, now.words) == (before.kind, before.role, before.words)
    assert [e.name for e in after.entries if e.name != case["to"]] == [
        e.name for e in codex.entries if e.name != case["name"]
    ]


_OFFERED = {"en": 'rename "{name}" to "{to}"', "zh": "把“{name}”改名为“{to}”"}
_UNSURE = {"en": "I could not tell what to change", "zh": "没能从这条反馈里看出要改什么"}


@pytest.mark.parametrize(
    "case",
    [case for case in CASES if case["text"].startswith(("Rename", "把"))],
    ids=[case["text"][:40] for case in CASES if case["text"].startswith(("Rename", "把"))],
)
def test_the_revision_note_says_the_rename_offered_or_the_feedback_not_understood(
    case: dict[str, Any],
) -> None:
    """As the worker reads a feedback (agents/generation.py `with_codex`): the people it adds
    and the edits it offers; the offline writer's revision then says which."""
    language, idea = case["language"], RENAMES["ideas"][case["language"]]
    codex = read_codex(idea)
    people, offered = feedback_people(case["text"], codex), offered_edits(case["text"], codex)
    stage, words = GenesisStage.CHARACTERS, CHINESE if language == "zh" else ENGLISH
    first = GenerationRequest(uuid4(), stage, {}, user_input=idea, codex=codex.as_json())
    before = draft(first, words).model_dump(mode="json")
    again = GenerationRequest(
        first.session_id,
        stage,
        {},
        user_input=idea,
        feedback=case["text"],
        previous_proposal=before,
        codex=grown(codex.as_json(), people, "event-1").as_json(),
        offered_edits=offered,
    )
    note = draft(again, words).revision_note or ""
    if case["name"]:
        assert _OFFERED[language].format(name=case["name"], to=case["to"]) in note, note
    else:
        assert note.startswith(_UNSURE[language]), note
