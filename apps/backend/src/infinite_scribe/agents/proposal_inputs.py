"""What a proposal is generated from, kept beside it (issue 55), and a replay from it.

The worker records the generation request as the provider got it and, for a model, the chat
messages it sent (reported by the adapter on the generation's meter, `port.report_messages`;
the offline generator sends none); the prompt view shows them as they were.
A regeneration (`Genesis.Session.RegenerationRequested`) names a recorded proposal and a
model: the worker generates from the recorded request with that model, so the two proposals
differ by the model alone.
"""

import hashlib
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from infinite_scribe.agents.llm.port import GenerationRequest, LLMProvider, UnknownModel
from shared_types.enums import GenesisStage

#: A model request's seed is under this: a signed 32-bit int, which every server takes.
SEEDS = 2**31
#: The fields of `GenerationRequest` as they are recorded (a tuple is recorded as a list).
_FIELDS = (
    "confirmed_data",
    "user_input",
    "preferences",
    "theme_preferences",
    "style_preferences",
    "feedback",
    "previous_proposal",
    "codex",
    "seed",
)


def request_record(request: GenerationRequest) -> dict[str, Any]:
    """`request` as JSON (what `proposal_inputs.request` holds)."""
    fields = {name: getattr(request, name) for name in _FIELDS}
    fields["theme_preferences"] = list(request.theme_preferences)
    fields["style_preferences"] = list(request.style_preferences)
    fields["confirmed_data"] = dict(request.confirmed_data)
    fields["preferences"] = dict(request.preferences)
    fields["codex"] = dict(request.codex)
    return {"session_id": str(request.session_id), "stage": request.stage.value, **fields}


def request_seed(
    stage: GenesisStage, words: str | None, feedback: str | None, version: int | None
) -> int:
    """What a model samples a request by (decision 7603): a digest of what it asks (the stage,
    the writer's words, a revision's feedback) and where it stands (the session's version when
    it was asked), never of an id: the same asks draw the same on any run (a walk on the engine,
    a bug report, reproduce), and asking again stands later and draws anew."""
    key = "\x1f".join((stage.value, words or "", feedback or "", str(version or 0)))
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % SEEDS


def request_from(record: Mapping[str, Any]) -> GenerationRequest:
    """The request a record was made from (a replay generates from it)."""
    return GenerationRequest(
        session_id=UUID(str(record["session_id"])),
        stage=GenesisStage(record["stage"]),
        confirmed_data=dict(record.get("confirmed_data") or {}),
        user_input=record.get("user_input"),
        preferences=dict(record.get("preferences") or {}),
        theme_preferences=tuple(record.get("theme_preferences") or ()),
        style_preferences=tuple(record.get("style_preferences") or ()),
        feedback=record.get("feedback"),
        previous_proposal=record.get("previous_proposal"),
        codex=dict(record.get("codex") or {}),
        seed=record.get("seed"),  # None in a record made before it was kept
    )


def provider_for(
    default: LLMProvider, models: Mapping[str, LLMProvider], model: str | None
) -> LLMProvider:
    """The provider a generation runs on: a regeneration's named model, else the worker's."""
    if model is None:
        return default
    found = models.get(model)
    if found is None:
        raise UnknownModel(f"No model {model!r} here; models: {', '.join(sorted(models))}")
    return found
