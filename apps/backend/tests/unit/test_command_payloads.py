"""Payload validation: what the database could not store is refused up front."""

import pytest
from pydantic import ValidationError

from infinite_scribe.application.command_service import spec_for
from infinite_scribe.domain.commands import ConfirmStage, storable_json
from infinite_scribe.domain.errors import InvalidPayload, UnknownCommand


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
