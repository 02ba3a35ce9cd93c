"""Every payload the genesis stage machine emits matches its model in the exported registry,
with no field the model does not declare (so `scribe schema export` tells consumers the truth)."""

from dataclasses import replace
from typing import Any
from uuid import uuid4

import pytest

from infinite_scribe.domain.codex import Codex, CodexEntry
from infinite_scribe.domain.commands import (
    AbandonSession,
    CommandIds,
    ConfirmStage,
    EditCodex,
    RequestConceptGeneration,
    RequestStageGeneration,
    RollbackToVersion,
    SubmitFeedback,
)
from infinite_scribe.domain.genesis import GenesisState, VersionTarget, created, decide
from infinite_scribe.domain.history import branched
from shared_types.enums import GenesisStage
from shared_types.event_payloads import EVENT_PAYLOADS

TARGET = VersionTarget(
    event_id=uuid4(),
    version_stage=GenesisStage.CONCEPT_SELECTION,
    state=GenesisState(session_id=uuid4(), user_id=uuid4(), last_result={"concepts": []}),
)


def _emitted() -> list[tuple[str, dict[str, Any]]]:
    user = uuid4()
    ids = CommandIds(command_id=uuid4(), novel_id=uuid4())
    first = created(user, {"idea": "x"})
    state = GenesisState(session_id=uuid4(), user_id=user)
    events = [(first.event_type, first.payload)]
    commands = [
        (
            state,
            RequestConceptGeneration(
                user_input="sea",
                preferences={"tone": "dark"},
                theme_preferences=["科幻", "悬疑"],
                style_preferences=["快节奏", "第一人称"],
            ),
        ),
        (replace(state, last_result={"concepts": []}), SubmitFeedback(feedback="more", details={})),
        (replace(state, current_stage=GenesisStage.WORLDVIEW), RequestStageGeneration()),
        (state, ConfirmStage(stage=GenesisStage.CONCEPT_SELECTION, data={"title": "T"})),
        (
            replace(state, current_stage=GenesisStage.PLOT_OUTLINE),
            ConfirmStage(stage=GenesisStage.PLOT_OUTLINE, data={"acts": []}),
        ),
        (state, AbandonSession(reason="done")),
        (state, RollbackToVersion(event_id=TARGET.event_id).resolved(TARGET)),
        (
            replace(state, codex=Codex((CodexEntry("person", "Ann", "hero"),)).as_json()),
            EditCodex.model_validate({"edits": [{"op": "rename", "name": "Ann", "to": "Eve"}]}),
        ),
        (
            replace(
                state,
                current_stage=GenesisStage.CHARACTERS,
                codex=Codex((CodexEntry("person", "Ann", "hero"),)).as_json(),
            ),
            ConfirmStage(
                stage=GenesisStage.CHARACTERS,
                data={"characters": [{"name": "Bo", "role": "mentor"}]},
            ),
        ),
    ]
    for current, command in commands:
        events += [(d.event_type, d.payload) for d in decide(current, command, ids)]
    branch = branched(user, uuid4(), TARGET, "B", {"idea": "x"}, uuid4())
    return events + [(d.event_type, d.payload) for d in branch]


EMITTED = _emitted()


def test_every_decided_event_type_is_registered() -> None:
    registered = {event_type for event_type, _ in EVENT_PAYLOADS}
    assert {event_type for event_type, _ in EMITTED} <= registered
    assert len({event_type for event_type, _ in EMITTED}) == 10


@pytest.mark.parametrize(("event_type", "payload"), EMITTED, ids=[e for e, _ in EMITTED])
def test_payload_matches_its_model_exactly(event_type: str, payload: dict[str, Any]) -> None:
    model = EVENT_PAYLOADS[(event_type, 1)]
    parsed = model.model_validate(payload)
    assert not parsed.model_extra, f"{event_type} emits undeclared fields {parsed.model_extra}"
