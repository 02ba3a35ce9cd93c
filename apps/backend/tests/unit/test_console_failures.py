"""Which failure the session page shows (issue 38): the latest answer to a request, until the
writer asks again, gets a proposal or confirms; with what they had typed for that request."""

from typing import Any

from infinite_scribe.api.console.failures import last_failure
from infinite_scribe.domain.genesis import (
    CONCEPT_GENERATION_FAILED,
    CONCEPT_GENERATION_REQUESTED,
    CONCEPT_PROPOSED,
    FEEDBACK_SUBMITTED,
    STAGE_GENERATION_FAILED,
    STAGE_GENERATION_REQUESTED,
)

PAUSED = "Genesis.Session.FlowPaused"


def event(kind: str, **payload: Any) -> dict[str, Any]:
    return {"event_type": kind, "payload": payload}


def test_a_failed_concept_request_gives_back_what_was_typed() -> None:
    asked = event(
        CONCEPT_GENERATION_REQUESTED,
        theme_preferences=["科幻", "悬疑"],
        style_preferences=["冷峻"],
        user_input="火星",
    )
    failed = event(CONCEPT_GENERATION_FAILED, error_code="LLM_UNAVAILABLE")
    found = last_failure([asked, failed, event(PAUSED)])
    assert found is not None and found.kind == "request" and found.code == "LLM_UNAVAILABLE"
    assert found.fields == {"themes": "科幻, 悬疑", "styles": "冷峻", "text": "火星"}
    assert "无法连接到模型" in found.reason("zh") and "reached" in found.reason("en")


def test_a_failed_revision_and_a_failed_stage_request() -> None:
    feedback = event(FEEDBACK_SUBMITTED, feedback="更黑暗")
    timeout = event(STAGE_GENERATION_FAILED, error_code="LLM_TIMEOUT")
    found = last_failure([feedback, timeout])
    assert found is not None and found.kind == "feedback" and found.fields == {"feedback": "更黑暗"}
    stage = event(STAGE_GENERATION_REQUESTED, stage="WORLDVIEW", preferences={"notes": "风暴"})
    found = last_failure([stage, event(STAGE_GENERATION_FAILED, error_code="X")])
    assert found is not None and found.fields["text"] == "风暴" and "failed" in found.reason("en")


def test_no_failure_once_the_writer_moved_on() -> None:
    failed = event(CONCEPT_GENERATION_FAILED, error_code="LLM_UNAVAILABLE")
    assert last_failure([]) is None
    assert last_failure([failed, event(CONCEPT_GENERATION_REQUESTED)]) is None
    assert last_failure([failed, event(CONCEPT_PROPOSED)]) is None
    assert last_failure([failed]) is not None  # its request is older than the events read
