"""The genesis stage machine, pure: `decide(state, command) -> events`, `evolve(state, event)`.

A session walks CONCEPT_SELECTION -> STORY_CONCEPTION -> WORLDVIEW -> CHARACTERS ->
PLOT_OUTLINE -> FINISHED. The snapshot in `genesis_sessions` is `replay(events)`.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID

from infinite_scribe.domain.commands import (
    AbandonSession,
    CommandIds,
    CommandPayload,
    ConfirmStage,
    RequestConceptGeneration,
    RequestStageGeneration,
    SubmitFeedback,
)
from infinite_scribe.domain.errors import InvalidPayload, InvalidState, StageTooLarge
from infinite_scribe.domain.event_size import jsonb_text_size
from infinite_scribe.domain.proposals import PROPOSAL_META
from infinite_scribe.domain.renaming import renamed
from shared_types.enums import GenesisStage, GenesisStatus

AGGREGATE_TYPE = "GENESIS_SESSION"
#: The most a confirmed stage's data may hold, as its JSONB text (docs/hostile-input.md): a
#: whole bible is four stages, well under a megabyte, so every export of it renders in ~1 s.
STAGE_MAX_BYTES = 256 * 1024

CREATED = "Genesis.Session.Created"
CONCEPT_GENERATION_REQUESTED = "Genesis.Session.ConceptGenerationRequested"
STAGE_GENERATION_REQUESTED = "Genesis.Session.StageGenerationRequested"
FEEDBACK_SUBMITTED = "Genesis.Session.FeedbackSubmitted"
STAGE_CONFIRMED = "Genesis.Session.StageConfirmed"
FINISHED = "Genesis.Session.Finished"
ABANDONED = "Genesis.Session.Abandoned"
#: Written by the agent worker: a proposal for the current stage; clears the pending flag and
#: becomes `last_result`, which makes SubmitFeedback allowed.
CONCEPT_PROPOSED = "Genesis.Session.Concept.Proposed"
STAGE_CONTENT_PROPOSED = "Genesis.Session.StageContent.Proposed"
PROPOSAL_EVENTS = frozenset({CONCEPT_PROPOSED, STAGE_CONTENT_PROPOSED})
#: Written by the agent worker when a generation failed for good: clears the pending flag (the
#: writer may ask again) and leaves any earlier proposal in place.
CONCEPT_GENERATION_FAILED = "Genesis.Session.ConceptGeneration.Failed"
STAGE_GENERATION_FAILED = "Genesis.Session.StageGeneration.Failed"
GENERATION_FAILED_EVENTS = frozenset({CONCEPT_GENERATION_FAILED, STAGE_GENERATION_FAILED})
#: The request events an agent answers (the worker ignores every other event type).
GENERATION_REQUEST_EVENTS = frozenset(
    {CONCEPT_GENERATION_REQUESTED, STAGE_GENERATION_REQUESTED, FEEDBACK_SUBMITTED}
)


def proposal_event_for(stage: GenesisStage) -> str:
    """The event a proposal for `stage` is published as."""
    return CONCEPT_PROPOSED if stage is GenesisStage.CONCEPT_SELECTION else STAGE_CONTENT_PROPOSED


def failure_event_for(stage: GenesisStage) -> str:
    """The event a generation for `stage` that failed for good is published as."""
    if stage is GenesisStage.CONCEPT_SELECTION:
        return CONCEPT_GENERATION_FAILED
    return STAGE_GENERATION_FAILED


STAGE_ORDER = (
    GenesisStage.CONCEPT_SELECTION,
    GenesisStage.STORY_CONCEPTION,
    GenesisStage.WORLDVIEW,
    GenesisStage.CHARACTERS,
    GenesisStage.PLOT_OUTLINE,
    GenesisStage.FINISHED,
)
GENERATION_STAGES = frozenset(STAGE_ORDER[1:5])


def next_stage(stage: GenesisStage) -> GenesisStage:
    if stage is GenesisStage.FINISHED:
        raise InvalidState("The session is finished")
    return STAGE_ORDER[STAGE_ORDER.index(stage) + 1]


@dataclass(frozen=True)
class GenesisState:
    """A session as the stage machine sees it (equal to the `genesis_sessions` snapshot)."""

    session_id: UUID
    user_id: UUID
    status: GenesisStatus = GenesisStatus.IN_PROGRESS
    current_stage: GenesisStage = GenesisStage.CONCEPT_SELECTION
    confirmed_data: Mapping[str, Any] = field(default_factory=dict)
    pending_command_type: str | None = None
    last_result: Mapping[str, Any] | None = None
    novel_id: UUID | None = None
    version: int = 0

    @property
    def is_pending(self) -> bool:
        return self.pending_command_type is not None


@dataclass(frozen=True)
class Decided:
    """An event decided by the machine: its type and payload (the application adds ids)."""

    event_type: str
    payload: dict[str, Any]


def created(user_id: UUID, initial_user_input: Mapping[str, Any] | None) -> Decided:
    return Decided(
        CREATED,
        {"user_id": str(user_id), "initial_user_input": dict(initial_user_input or {})},
    )


def _require_in_progress(state: GenesisState) -> None:
    if state.status is not GenesisStatus.IN_PROGRESS:
        raise InvalidState(f"The session is {state.status.value}; no command is accepted")


def _require_not_busy(state: GenesisState, command_type: str) -> None:
    # The same type pending is the partial unique index's case (DUPLICATE_COMMAND); a different
    # async command pending means the agents are busy with something else.
    if state.pending_command_type not in (None, command_type):
        raise InvalidState(f"{state.pending_command_type} is still being processed")


def decide(state: GenesisState, command: CommandPayload, ids: CommandIds) -> list[Decided]:
    """The events `command` causes in `state`, or InvalidState when it is not allowed now."""
    _require_in_progress(state)
    stage = state.current_stage
    command_type = type(command).__name__
    match command:
        case RequestConceptGeneration():
            if stage is not GenesisStage.CONCEPT_SELECTION:
                raise InvalidState(f"Concepts are generated in CONCEPT_SELECTION, not {stage}")
            _require_not_busy(state, command_type)
            return [Decided(CONCEPT_GENERATION_REQUESTED, _request(command, stage))]
        case RequestStageGeneration():
            if stage not in GENERATION_STAGES:
                raise InvalidState(f"Stage content cannot be generated in {stage}")
            if command.stage is not None and command.stage is not stage:
                raise InvalidState(f"The current stage is {stage}, not {command.stage}")
            _require_not_busy(state, command_type)
            return [Decided(STAGE_GENERATION_REQUESTED, _request(command, stage))]
        case SubmitFeedback():
            if state.last_result is None:
                raise InvalidState(f"No proposal exists yet for {stage}")
            _require_not_busy(state, command_type)
            payload = {"stage": stage.value, "feedback": command.feedback}
            return [Decided(FEEDBACK_SUBMITTED, payload | {"details": command.details})]
        case ConfirmStage():
            if command.stage is not stage:
                raise InvalidState(f"The current stage is {stage}, not {command.stage}")
            following = next_stage(stage)
            data = bounded(confirmed_choice(state, command))
            events = [
                Decided(
                    STAGE_CONFIRMED,
                    {"stage": stage.value, "data": data, "next_stage": following.value}
                    | ({} if command.choice is None else {"choice": command.choice}),
                )
            ]
            if following is GenesisStage.FINISHED:
                events.append(Decided(FINISHED, {"novel_id": str(ids.novel_id)}))
            return events
        case AbandonSession():
            return [Decided(ABANDONED, {"reason": command.reason, "stage": stage.value})]
    raise InvalidState(f"{command_type} is not a genesis command")


#: What a proposal says about itself rather than the story; left out of confirmed data.
_PROPOSAL_META = PROPOSAL_META


def options_of(stage: GenesisStage, proposal: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The options a writer chooses from: the concepts of CONCEPT_SELECTION, else the one
    proposal (without its `source` and `note`)."""
    if not proposal:
        return []
    if stage is GenesisStage.CONCEPT_SELECTION:
        concepts = proposal.get("concepts")
        if not isinstance(concepts, list):
            return []
        return [dict(item) for item in concepts if isinstance(item, Mapping)]
    return [{key: value for key, value in proposal.items() if key not in _PROPOSAL_META}]


def confirmed_choice(state: GenesisState, command: ConfirmStage) -> dict[str, Any]:
    """The data a ConfirmStage confirms: the chosen option with `data`'s fields over it, or
    `data` alone; InvalidPayload (422) saying what is missing otherwise."""
    stage = state.current_stage
    if command.choice is None:
        if not command.data:
            raise _missing(
                "choice",
                f"Nothing to confirm for {stage}: send `choice` (an option of the current "
                "proposal, 0-based) or `data`",
            )
        return dict(command.data)
    options = options_of(stage, state.last_result)
    if not options:
        raise _missing(
            "choice",
            f"{stage} has no proposal to choose from yet: request one, or confirm `data`",
        )
    if command.choice >= len(options):
        raise _missing(
            "choice",
            f"choice {command.choice} is out of range: the proposal has {len(options)} "
            f"option(s), 0 to {len(options) - 1}",
        )
    return renamed(options[command.choice], options[command.choice] | dict(command.data or {}))


def bounded(data: dict[str, Any]) -> dict[str, Any]:
    """`data`, when its JSONB text fits STAGE_MAX_BYTES; StageTooLarge (413) otherwise. Why: the
    exports, the console's page and the bible's history render every confirmed stage, and
    their cost grows with it (a 1.7 MB bible took 23 s to render; issue 41)."""
    size = jsonb_text_size(data)
    if size > STAGE_MAX_BYTES:
        raise StageTooLarge(size, STAGE_MAX_BYTES)
    return data


def _missing(field_name: str, message: str) -> InvalidPayload:
    loc = ["body", "payload", field_name]
    return InvalidPayload(message, errors=[{"loc": loc, "msg": message, "type": "value_error"}])


def _request(
    command: RequestConceptGeneration | RequestStageGeneration, stage: GenesisStage
) -> dict[str, Any]:
    payload = command.model_dump(mode="json", exclude_none=True)
    return payload | {"stage": stage.value}


def evolve(state: GenesisState, event_type: str, payload: Mapping[str, Any]) -> GenesisState:
    """Apply one event; unknown event types leave the state as it was (forward compatible)."""
    version = state.version + 1
    if event_type == CONCEPT_GENERATION_REQUESTED:
        return replace(state, pending_command_type="RequestConceptGeneration", version=version)
    if event_type == STAGE_GENERATION_REQUESTED:
        return replace(state, pending_command_type="RequestStageGeneration", version=version)
    if event_type == FEEDBACK_SUBMITTED:
        return replace(state, pending_command_type="SubmitFeedback", version=version)
    if event_type in PROPOSAL_EVENTS:
        if payload.get("stage", state.current_stage.value) != state.current_stage.value:
            return replace(state, version=version)  # a late proposal for a confirmed stage
        result = payload.get("result", payload.get("content", {}))
        proposal = dict(result) if isinstance(result, Mapping) else {"content": result}
        return replace(state, pending_command_type=None, last_result=proposal, version=version)
    if event_type in GENERATION_FAILED_EVENTS:
        return replace(state, pending_command_type=None, version=version)
    if event_type == STAGE_CONFIRMED:
        stage = GenesisStage(payload["stage"])
        confirmed = dict(state.confirmed_data) | {stage.value: payload.get("data", {})}
        return replace(
            state,
            current_stage=next_stage(stage),
            confirmed_data=confirmed,
            pending_command_type=None,
            last_result=None,
            version=version,
        )
    if event_type == FINISHED:
        return replace(
            state,
            status=GenesisStatus.COMPLETED,
            current_stage=GenesisStage.FINISHED,
            novel_id=UUID(str(payload["novel_id"])),
            version=version,
        )
    if event_type == ABANDONED:
        return replace(
            state, status=GenesisStatus.ABANDONED, pending_command_type=None, version=version
        )
    return replace(state, version=version)


def replay(
    session_id: UUID, events: Iterable[tuple[str, Mapping[str, Any]]]
) -> GenesisState | None:
    """Fold a session's events (oldest first, starting with Created) into its state."""
    state: GenesisState | None = None
    for event_type, payload in events:
        if state is None:
            if event_type != CREATED:
                raise ValueError(f"session {session_id} does not start with {CREATED}")
            state = GenesisState(session_id=session_id, user_id=UUID(str(payload["user_id"])))
            state = replace(state, version=1)
            continue
        state = evolve(state, event_type, payload)
    return state


#: What the writer asks for in a generation request (the fields a prompt shows as wishes).
WISH_FIELDS = ("user_input", "theme_preferences", "style_preferences", "preferences")


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
        if event_type == CREATED:
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
