"""The writer's standing wishes: what they gave at creation (or a branch inherited) and what
their generation requests asked for, folded for a prompt (issues 29 and 37), pure."""

from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID

from infinite_scribe.domain.genesis import (
    BRANCHED,
    CONCEPT_GENERATION_REQUESTED,
    CREATED,
    ROLLED_BACK,
    STAGE_CONFIRMED,
    STAGE_GENERATION_REQUESTED,
    STAGE_ORDER,
)
from shared_types.enums import GenesisStage

#: The events a prompt is built from: the writer's wishes and the confirmed stages.
PROMPT_SOURCES = (
    CREATED,
    BRANCHED,
    CONCEPT_GENERATION_REQUESTED,
    STAGE_GENERATION_REQUESTED,
    STAGE_CONFIRMED,
    ROLLED_BACK,
)

#: What the writer asks for in a generation request (the fields a prompt shows as wishes).
WISH_FIELDS = ("user_input", "theme_preferences", "style_preferences", "preferences")
#: The payload fields `writer_wishes` and `prompt_inputs` read: a source is read with these
#: only (a confirmation's data and a rollback's copy of the state are never read, issue 54).
PROMPT_KEYS = ("stage", "confirmed_by", "initial_user_input", *WISH_FIELDS)


#: Keys of a session's free-form `initial_user_input` read as the writer's idea, themes and
#: styles (the first present wins): what clients send at creation (`{"idea": ...}`).
_INITIAL_KEYS = {
    "user_input": ("user_input", "idea", "text", "prompt", "premise", "description", "theme"),
    "theme_preferences": ("theme_preferences", "themes", "genres", "genre"),
    "style_preferences": ("style_preferences", "styles", "style", "tone"),
}
#: Longest initial idea and most themes/styles a generation reads (bounded prompts).
_MAX_IDEA_CHARS, _MAX_CHOICES = 2000, 7


def initial_wishes(initial_user_input: Mapping[str, Any]) -> dict[str, Any]:
    """The writer's wishes in what they gave when they created the session (issue 29): the
    idea, themes and styles under their usual names, `preferences` as given."""
    wishes: dict[str, Any] = {}
    for field_name, keys in _INITIAL_KEYS.items():
        value = next((initial_user_input[k] for k in keys if initial_user_input.get(k)), None)
        if field_name == "user_input" and isinstance(value, str):
            wishes[field_name] = value.strip()[:_MAX_IDEA_CHARS]
        elif field_name != "user_input" and value:
            items = [value] if isinstance(value, str) else value
            if isinstance(items, list):
                texts = [str(item)[:100] for item in items if isinstance(item, str | int | float)]
                wishes[field_name] = texts[:_MAX_CHOICES]
    if isinstance(initial_user_input.get("preferences"), Mapping):
        wishes["preferences"] = dict(initial_user_input["preferences"])
    return {key: value for key, value in wishes.items() if value}


def writer_wishes(
    requests: Iterable[tuple[str, Mapping[str, Any]]], stage: GenesisStage
) -> dict[str, Any]:
    """The writer's standing wishes for `stage` from the session's creation and generation
    requests (oldest first): what they gave at creation, under the idea, themes and styles of
    the latest concept request, and its preferences with those of the latest request for
    `stage` over them. A revision or a later stage carries them, so the writer never has to
    repeat what they asked for."""
    initial: Mapping[str, Any] = {}
    concept: Mapping[str, Any] = {}
    for_stage: Mapping[str, Any] = {}
    for event_type, payload in requests:
        if event_type in (CREATED, BRANCHED):
            initial = initial_wishes(payload.get("initial_user_input") or {})
        if event_type == CONCEPT_GENERATION_REQUESTED:
            concept = payload
        if event_type in (CONCEPT_GENERATION_REQUESTED, STAGE_GENERATION_REQUESTED) and (
            payload.get("stage") == stage.value
        ):
            for_stage = payload
    wishes = {key: value for key, value in initial.items() if key != "preferences"}
    wishes |= {key: concept[key] for key in WISH_FIELDS if concept.get(key)}
    preferences = (
        dict(initial.get("preferences") or {})
        | dict(concept.get("preferences") or {})
        | dict(for_stage.get("preferences") or {})
    )
    if preferences:
        wishes["preferences"] = preferences
    return wishes


def prompt_inputs(
    sources: Iterable[tuple[UUID, str, Mapping[str, Any]]],
    stage: GenesisStage,
    confirmed: Mapping[str, Any],
    request_id: UUID,
) -> list[str]:
    """The event ids a prompt for `stage` used (a proposal's provenance): the confirmation of
    each stage in `confirmed` (carried over by a rollback or a branch), the events the writer's
    wishes came from, and the request itself (a revision's feedback, or the generation
    request)."""
    confirmed_by: dict[str, str] = {}
    wishes: dict[str, str] = {}
    for event_id, event_type, payload in sources:
        if event_type == STAGE_CONFIRMED:
            confirmed_by[str(payload.get("stage"))] = str(event_id)
        elif event_type in (ROLLED_BACK, BRANCHED):
            confirmed_by = {str(k): str(v) for k, v in (payload.get("confirmed_by") or {}).items()}
        if event_type in (CREATED, BRANCHED) and initial_wishes(
            payload.get("initial_user_input") or {}
        ):
            wishes["initial"] = str(event_id)
        elif event_type == CONCEPT_GENERATION_REQUESTED:
            wishes["concept"] = str(event_id)
        elif event_type == STAGE_GENERATION_REQUESTED and payload.get("stage") == stage.value:
            wishes["stage"] = str(event_id)
    stages = [s.value for s in STAGE_ORDER if s.value in confirmed and s.value in confirmed_by]
    found = [*(confirmed_by[s] for s in stages), *wishes.values(), str(request_id)]
    return list(dict.fromkeys(found))  # in order, once each
