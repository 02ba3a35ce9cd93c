"""CancelGeneration on a novel (issue 77): a chapter draft or revision being written is
stopped; the novel is no longer pending and the application's supersede part cancels the
task; with nothing running the command is refused (409) and changes nothing."""

import uuid

import pytest

from infinite_scribe.application.chapter_commands import NovelCommands
from infinite_scribe.domain.chapter_commands import NOVEL_PAYLOAD_MODELS
from infinite_scribe.domain.chapters import (
    DRAFT_CANCELLED,
    DRAFT_REQUESTED,
    FEEDBACK_SUBMITTED,
    NovelState,
    decide,
    evolve,
)
from infinite_scribe.domain.commands import CancelGeneration
from infinite_scribe.domain.errors import NothingToCancel

OUTLINE = ((1, "一", "s"), (2, "二", "s"))


def _novel() -> NovelState:
    return NovelState(uuid.uuid4(), uuid.uuid4(), outline=OUTLINE, version=3)


@pytest.mark.parametrize(
    ("requested", "command_type"),
    [(DRAFT_REQUESTED, "RequestChapterDraft"), (FEEDBACK_SUBMITTED, "SubmitChapterFeedback")],
)
def test_a_draft_or_revision_being_written_is_cancelled(requested: str, command_type: str) -> None:
    writing = evolve(_novel(), requested, {"chapter": 2, "wishes": None, "feedback": "x"})
    decided = decide(writing, CancelGeneration(reason="not this"))
    assert [d.event_type for d in decided] == [DRAFT_CANCELLED]
    payload = decided[0].payload
    assert payload == {"chapter": 2, "command_type": command_type, "reason": "not this"}
    after = evolve(writing, DRAFT_CANCELLED, payload)
    assert not after.is_pending and after.version == writing.version + 1
    # The supersede part cancels the running task (the sync command's type names it).
    write = NovelCommands().parts(writing, after, [], "CancelGeneration")
    assert write.supersede is not None and write.supersede.session_id == writing.novel_id


def test_nothing_running_is_refused() -> None:
    with pytest.raises(NothingToCancel):
        decide(_novel(), CancelGeneration())


def test_the_novels_commands_accept_it_and_refuse_a_long_reason() -> None:
    model = NOVEL_PAYLOAD_MODELS["CancelGeneration"]
    assert model.model_validate({}).reason is None
    with pytest.raises(ValueError):
        model.model_validate({"reason": "x" * 1001})
