"""Payload validation: what the database could not store is refused up front."""

import pytest
from pydantic import ValidationError

from infinite_scribe.application.command_service import REGISTRY
from infinite_scribe.domain.commands import ConfirmStage, RequestConceptGeneration, storable_json
from infinite_scribe.domain.errors import InvalidPayload, UnknownCommand

spec_for = REGISTRY.spec_for


def nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = {"k": value}
    return value


@pytest.mark.parametrize(
    "value", ["a\x00b", {"k\x00": 1}, "\ud800", 2**64, [-(2**63) - 1], nested(40)]
)
def test_unstorable_json_is_refused(value: object) -> None:
    with pytest.raises(ValueError):
        storable_json(value)


def test_storable_json_passes_ordinary_values() -> None:
    value = {"a": [1, 2.5, True, None, "text", {"b": -(2**63)}]}
    assert storable_json(value) is value


def test_confirm_stage_needs_a_known_stage() -> None:
    with pytest.raises(ValidationError):
        ConfirmStage.model_validate({"stage": "NOPE"})
    with pytest.raises(ValidationError):
        ConfirmStage.model_validate({"stage": "WORLDVIEW", "extra": 1})


def test_registry_errors() -> None:
    with pytest.raises(UnknownCommand):
        spec_for("LaunchRocket")
    with pytest.raises(InvalidPayload) as caught:
        spec_for("SubmitFeedback").parse({"feedback": ""})
    assert caught.value.details["errors"]
    assert spec_for("AbandonSession").parse(None) is not None


SPEC_EXAMPLE = {
    "command_type": "RequestConceptGeneration",
    "payload": {"theme_preferences": ["科幻", "悬疑"], "style_preferences": ["快节奏", "第一人称"]},
}


def test_the_story_2_2_request_example_is_accepted() -> None:
    payload = spec_for(SPEC_EXAMPLE["command_type"]).parse(SPEC_EXAMPLE["payload"])
    assert isinstance(payload, RequestConceptGeneration)
    assert payload.theme_preferences == ["科幻", "悬疑"]
    assert payload.style_preferences == ["快节奏", "第一人称"]


@pytest.mark.parametrize(
    "payload",
    [
        {"theme_preferences": ["科幻"], "colour": "blue"},  # unknown fields stay refused
        {"theme_preferences": [""]},
        {"theme_preferences": ["x" * 201]},
        {"style_preferences": ["a"] * 21},
        {"style_preferences": "快节奏"},
        {"theme_preferences": ["a\x00b"]},
    ],
)
def test_preferences_are_bounded(payload: dict[str, object]) -> None:
    with pytest.raises(InvalidPayload):
        spec_for("RequestConceptGeneration").parse(payload)
