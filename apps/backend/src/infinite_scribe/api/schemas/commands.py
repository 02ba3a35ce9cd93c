"""The command request as clients see it in OpenAPI: one typed variant per command type, a
union discriminated on `command_type`, with examples (the Story 2.2 spec's request first).

At run time the body is parsed loosely (`command_type` + `payload`) and the payload is then
validated by the command's own model in the application (same models as the schema below), so
an unknown type is `UNKNOWN_COMMAND` and a bad payload lists the payload's errors, as before.
"""

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal, Union

from fastapi.openapi.models import Example
from pydantic import BaseModel, Field, GetJsonSchemaHandler, TypeAdapter, create_model
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from infinite_scribe.domain.commands import PAYLOAD_MODELS, CommandPayload


def typed_command(
    command_type: str, payload_model: type[CommandPayload], prefix: str = ""
) -> type[BaseModel]:
    """`{"command_type": "<type>", "payload": <its model>}`; `payload` may be left out when
    every field of the payload has a default (`prefix`: another aggregate's variant name)."""
    mode = "sync: 200 COMPLETED" if not payload_model.is_async else "async: 202 RECEIVED"
    required = any(field.is_required() for field in payload_model.model_fields.values())
    default: Any = ... if required else Field(default_factory=dict)
    return create_model(
        f"{prefix}{command_type}Command",
        __doc__=f"{command_type} ({mode}). {payload_model.__doc__ or ''}".strip(),
        command_type=(Literal[command_type], ...),  # type: ignore[arg-type]
        payload=(payload_model, default),
    )


class LooseCommand(BaseModel):
    """A command as it is parsed: its type and its payload, which the command's own payload
    model validates (see the command table). Documented as its aggregate's typed variants."""

    command_type: str = Field(min_length=1, max_length=100)
    payload: dict[str, Any] = Field(default_factory=dict)
    #: The discriminated union of the aggregate's variants (`typed_commands`).
    typed: ClassVar[TypeAdapter[Any]]

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # Document the discriminated union the application enforces instead of the loose
        # envelope it is parsed with.
        return handler(cls.typed.core_schema)


def typed_commands(
    payload_models: Mapping[str, type[CommandPayload]], prefix: str = ""
) -> TypeAdapter[Any]:
    """One variant per registered command type of an aggregate, so a new command type appears
    in the OpenAPI document without touching this module."""
    variants = tuple(typed_command(type_, model, prefix) for type_, model in payload_models.items())
    union = Annotated[
        Union[variants],  # type: ignore[valid-type]  # noqa: UP007 - built at import
        Field(discriminator="command_type"),
    ]
    return TypeAdapter(union)


class CommandRequest(LooseCommand):
    """A command for the session; see the variants for each type's payload."""

    typed = typed_commands(PAYLOAD_MODELS)


def command_example(summary: str, command_type: str, payload: dict[str, Any]) -> Example:
    """An example of a command request: `{"command_type": ..., "payload": ...}`."""
    return Example(summary=summary, value={"command_type": command_type, "payload": payload})


#: The request of the Story 2.2 spec (spec/story-2.2-summary.zh.md), sent as is by clients.
SPEC_EXAMPLE = {
    "command_type": "RequestConceptGeneration",
    "payload": {"theme_preferences": ["科幻", "悬疑"], "style_preferences": ["快节奏", "第一人称"]},
}

COMMAND_EXAMPLES: dict[str, Example] = {
    "spec": Example(summary="Ask for concepts (the Story 2.2 request)", value=SPEC_EXAMPLE),
    "concepts_free_text": command_example(
        "Ask for concepts from a free-text idea",
        "RequestConceptGeneration",
        {"user_input": "A lighthouse keeper who collects storms"},
    ),
    "stage_generation": command_example(
        "Ask for the current stage's content", "RequestStageGeneration", {"stage": "WORLDVIEW"}
    ),
    "feedback": command_example(
        "Answer the last proposal", "SubmitFeedback", {"feedback": "Darker, please"}
    ),
    "confirm": command_example(
        "Choose option 2 of the proposal and confirm the stage (sync, 200)",
        "ConfirmStage",
        {"stage": "CONCEPT_SELECTION", "choice": 1},
    ),
    "confirm_edited": command_example(
        "Choose an option and edit it before confirming",
        "ConfirmStage",
        {
            "stage": "CONCEPT_SELECTION",
            "choice": 0,
            "data": {"title": "Storm Keeper"},
        },
    ),
    "confirm_own": command_example(
        "Confirm the writer's own content (no proposal needed)",
        "ConfirmStage",
        {"stage": "WORLDVIEW", "data": {"setting": "A drowned city"}},
    ),
    "rollback": command_example(
        "Go back to a version of the history (sync, 200; docs/history.md)",
        "RollbackToVersion",
        {
            "event_id": "0b6f3c1e-6a55-4d3e-9a8e-2f6d2f0f7a11",
            "expected_version": 7,
        },
    ),
    "regenerate": command_example(
        "Generate a proposal again with another model (async, 202; issue 55)",
        "RegenerateProposal",
        {"event_id": "0b6f3c1e-6a55-4d3e-9a8e-2f6d2f0f7a11", "model": "offline"},
    ),
    "edit_codex": command_example(
        "Correct what you named: rename, set a role, add, remove (sync, 200; issue 76)",
        "EditCodex",
        {
            "edits": [
                {"op": "rename", "name": "Isobel Reid", "to": "Effie Reid"},
                {"op": "set_role", "name": "Mr Dunbar", "role": "rival"},
                {"op": "not_a_name", "name": "Make Isobel"},
            ]
        },
    ),
    "cancel": command_example(
        "Stop the running generation (sync, 200; 409 when none runs)",
        "CancelGeneration",
        {"reason": "Not this idea"},
    ),
    "abandon": command_example(
        "Abandon the session (sync, 200)", "AbandonSession", {"reason": "Starting over"}
    ),
}
