# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""The writer's codex edits (issue 76): decided as one CodexUpdated event, folded by `evolve`
(a rename renamed everywhere, nothing else), refused cleanly when they name nothing."""

from dataclasses import replace
from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError

from infinite_scribe.domain import genesis
from infinite_scribe.domain.codex import Codex, CodexEntry
from infinite_scribe.domain.commands import CommandIds, EditCodex
from infinite_scribe.domain.errors import InvalidEdit, InvalidState
from infinite_scribe.domain.event_names import validate_event_name
from infinite_scribe.domain.renaming import renamed_everywhere
from shared_types.enums import GenesisStage

CODEX = Codex(
    (
        CodexEntry("person", "Isobel Reid", "hero", ("a pawnbroker's apprentice",)),
        CodexEntry("person", "Mr Dunbar", "rival"),
        CodexEntry("person", "Ann"),
        CodexEntry("place", "Leith"),
        CodexEntry("time", "Hogmanay", "deadline"),
    )
)
CONFIRMED = {
    "CONCEPT_SELECTION": {"logline": "Isobel Reid races Mr Dunbar to Leith before Hogmanay."},
    "CHARACTERS": {
        "characters": [
            {"name": "Isobel Reid", "role": "protagonist", "description": "Annabel's friend"},
            {"name": "Mr Dunbar", "relationships": ["Isobel Reid's rival"]},
            {"name": "Ann", "description": "Ann, who knows Annabel"},
        ]
    },
}
PROPOSAL = {"chapters": [{"title": "Leith", "summary": "Isobel Reid meets Ann at Leith."}]}


def _state(**changes: Any) -> genesis.GenesisState:
    state = genesis.GenesisState(
        session_id=uuid4(),
        user_id=uuid4(),
        current_stage=GenesisStage.PLOT_OUTLINE,
        confirmed_data=CONFIRMED,
        last_result=PROPOSAL,
        version=7,
        codex=CODEX.as_json(),
    )
    return replace(state, **changes)


def _ids() -> CommandIds:
    return CommandIds(command_id=uuid4(), novel_id=uuid4())


def _edit(state: genesis.GenesisState, *edits: dict[str, Any]) -> genesis.GenesisState:
    command = EditCodex.model_validate({"edits": list(edits)})
    decided = genesis.decide(state, command, _ids())
    assert [d.event_type for d in decided] == [genesis.CODEX_UPDATED]
    return genesis.evolve(state, decided[0].event_type, decided[0].folded())


def test_the_event_name_passes_the_vocabulary() -> None:
    assert validate_event_name(genesis.CODEX_UPDATED) == "Genesis.Session.CodexUpdated"


def test_a_rename_renames_that_person_everywhere_and_nothing_else() -> None:
    after = _edit(_state(), {"op": "rename", "name": "Ann", "to": "Morag"})
    chars = after.confirmed_data["CHARACTERS"]["characters"]
    assert chars[2] == {"name": "Morag", "description": "Morag, who knows Annabel"}
    assert chars[0]["description"] == "Annabel's friend"  # not inside another word
    assert after.last_result == {
        "chapters": [{"title": "Leith", "summary": "Isobel Reid meets Morag at Leith."}]
    }
    codex = Codex.from_json(after.codex)
    assert codex.named("Ann") is None
    entry = codex.named("Morag")
    assert entry is not None and entry.source == "edit" and entry.event_id is not None
    assert after.confirmed_data["CONCEPT_SELECTION"] == CONFIRMED["CONCEPT_SELECTION"]
    assert after.version == 8


def test_a_chinese_rename_is_made_inside_running_text() -> None:
    state = _state(
        codex=Codex((CodexEntry("person", "韩小川", "hero"),), "zh").as_json(),
        confirmed_data={"STORY_CONCEPTION": {"premise": "韩小川在苏州送快递，韩小川说"}},
        last_result=None,
    )
    after = _edit(state, {"op": "rename", "name": "韩小川", "to": "顾南"})
    assert after.confirmed_data == {"STORY_CONCEPTION": {"premise": "顾南在苏州送快递，顾南说"}}
    assert after.last_result is None


def test_a_role_change_changes_that_role_only() -> None:
    after = _edit(_state(), {"op": "set_role", "name": "Ann", "role": "mentor"})
    codex = Codex.from_json(after.codex)
    assert [(e.name, e.role) for e in codex.entries] == [
        ("Isobel Reid", "hero"),
        ("Mr Dunbar", "rival"),
        ("Ann", "mentor"),
        ("Leith", None),
        ("Hogmanay", "deadline"),
    ]
    assert after.confirmed_data == CONFIRMED and after.last_result == PROPOSAL


def test_the_rival_role_moves_from_whoever_held_it() -> None:
    after = _edit(_state(), {"op": "set_role", "name": "Ann", "role": "rival"})
    codex = Codex.from_json(after.codex)
    assert codex.rival is not None and codex.rival.name == "Ann"
    assert codex.named("Mr Dunbar") == CODEX.entries[1].__class__("person", "Mr Dunbar")


def test_add_remove_and_not_a_name() -> None:
    after = _edit(
        _state(),
        {"op": "add", "kind": "object", "name": "the ledger", "words": ["brass-bound"]},
        {"op": "remove", "name": "Leith"},
        {"op": "not_a_name", "name": "Hogmanay"},
    )
    codex = Codex.from_json(after.codex)
    assert [e.name for e in codex.entries] == ["Isobel Reid", "Mr Dunbar", "Ann", "the ledger"]
    assert codex.not_names == ("Hogmanay",)
    assert after.confirmed_data == CONFIRMED


def test_two_renames_of_one_name_rename_from_the_first_to_the_last() -> None:
    after = _edit(
        _state(),
        {"op": "rename", "name": "Ann", "to": "Morag"},
        {"op": "rename", "name": "Morag", "to": "Effie"},
    )
    assert after.confirmed_data["CHARACTERS"]["characters"][2]["name"] == "Effie"


@pytest.mark.parametrize(
    "edit",
    [
        {"op": "rename", "name": "Nobody", "to": "Someone"},
        {"op": "rename", "name": "Ann", "to": "Mr Dunbar"},
        {"op": "remove", "name": "Nobody"},
        {"op": "add", "kind": "person", "name": "Ann"},
        {"op": "set_role", "name": "Nobody", "role": "hero"},
    ],
)
def test_an_edit_that_names_nothing_is_refused(edit: dict[str, Any]) -> None:
    with pytest.raises(InvalidEdit):
        genesis.decide(_state(), EditCodex.model_validate({"edits": [edit]}), _ids())


@pytest.mark.parametrize(
    "payload",
    [
        {"edits": []},
        {"edits": [{"op": "rename", "name": "Ann"}]},
        {"edits": [{"op": "explode", "name": "Ann"}]},
        {"edits": [{"op": "rename", "name": "Ann", "to": "   "}]},
        {"edits": [{"op": "rename", "name": "Ann", "to": "x" * 101}]},
        {"edits": [{"op": "rename", "name": "Ann", "to": "a\x00b"}]},
        {"edits": [{"op": "add", "kind": "planet", "name": "Mars"}]},
        {"edits": [{"op": "remove", "name": "Ann"}] * 21},
        {"edits": [{"op": "set_role", "name": "Ann", "role": "<script>"}]},
    ],
)
def test_bad_shapes_are_refused_by_the_payload_model(payload: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        EditCodex.model_validate(payload)


def test_refused_while_a_generation_runs_and_before_the_codex_is_read() -> None:
    command = EditCodex.model_validate({"edits": [{"op": "remove", "name": "Ann"}]})
    with pytest.raises(InvalidState):
        genesis.decide(_state(pending_command_type="SubmitFeedback"), command, _ids())
    with pytest.raises(InvalidState):
        genesis.decide(_state(codex={}), command, _ids())


def test_rollback_and_branch_carry_the_codex_of_their_version() -> None:
    state = _state()
    target = genesis.VersionTarget(uuid4(), GenesisStage.CHARACTERS, state)
    later = _edit(state, {"op": "remove", "name": "Ann"})
    (rolled,) = genesis.rolled_back(later, target, _ids())
    back = genesis.evolve(later, rolled.event_type, rolled.folded())
    assert back.codex == CODEX.as_json()


def test_renamed_everywhere_leaves_other_names_and_words() -> None:
    value = {"k": ["Ann Lee and Ann", 3, None, "Ann's", "Joanna", "Annabel", '"Ann"']}
    renamed = renamed_everywhere(value, {"Ann": "Eve", "Ann Lee": "Eve Lee"})
    assert renamed == {"k": ["Eve Lee and Eve", 3, None, "Eve's", "Joanna", "Annabel", '"Eve"']}
    assert renamed_everywhere('Say "O\'Neil"', {'"O\'Neil"': "x"}) == "Say x"
    assert renamed_everywhere("顾南站上，顾南说", {"顾南": "韩川"}) == "韩川站上，韩川说"


def test_the_codex_keeps_each_first_name_to_the_name_now() -> None:
    once = _edit(_state(), {"op": "rename", "name": "Ann", "to": "Morag"})
    assert Codex.from_json(once.codex).renames == {"Ann": "Morag"}
    twice = _edit(once, {"op": "rename", "name": "Morag", "to": "Effie"})
    assert Codex.from_json(twice.codex).renames == {"Ann": "Effie"}
    back = _edit(twice, {"op": "rename", "name": "Effie", "to": "Ann"})
    assert Codex.from_json(back.codex).renames == {}
    other = _edit(back, {"op": "remove", "name": "Leith"})
    assert Codex.from_json(other.codex).renames == {}
