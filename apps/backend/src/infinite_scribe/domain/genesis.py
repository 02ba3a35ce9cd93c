"""The genesis stage machine, pure: `decide(state, command) -> events`, `evolve(state, event)`.

A session walks CONCEPT_SELECTION -> STORY_CONCEPTION -> WORLDVIEW -> CHARACTERS ->
PLOT_OUTLINE -> FINISHED. The snapshot in `genesis_sessions` is `replay(events)`.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID

from infinite_scribe.domain.codex_edits import codex_edited, codex_fields
from infinite_scribe.domain.codex_stages import extended
from infinite_scribe.domain.commands import (
    AbandonSession,
    CancelGeneration,
    CommandIds,
    CommandPayload,
    ConfirmStage,
    EditCodex,
    RegenerateProposal,
    RequestConceptGeneration,
    RequestStageGeneration,
    RollbackToVersion,
    SubmitFeedback,
)
from infinite_scribe.domain.confirmation import bounded, confirmed_choice, how_confirmed
from infinite_scribe.domain.errors import (
    GenerationPending,
    InvalidState,
    InvalidVersion,
    NothingToCancel,
)
from infinite_scribe.domain.genesis_events import (
    ABANDONED as ABANDONED,
    AGGREGATE_TYPE as AGGREGATE_TYPE,
    BRANCHED as BRANCHED,
    CODEX_UPDATED as CODEX_UPDATED,
    CONCEPT_GENERATION_FAILED as CONCEPT_GENERATION_FAILED,
    CONCEPT_GENERATION_REQUESTED as CONCEPT_GENERATION_REQUESTED,
    CONCEPT_PROPOSED as CONCEPT_PROPOSED,
    CREATED as CREATED,
    FEEDBACK_SUBMITTED as FEEDBACK_SUBMITTED,
    FINISHED as FINISHED,
    GENERATION_CANCELLED as GENERATION_CANCELLED,
    GENERATION_FAILED_EVENTS as GENERATION_FAILED_EVENTS,
    GENERATION_REQUEST_EVENTS as GENERATION_REQUEST_EVENTS,
    PENDING_AFTER as PENDING_AFTER,
    PROPOSAL_EVENTS as PROPOSAL_EVENTS,
    REGENERATION_REQUESTED as REGENERATION_REQUESTED,
    ROLLED_BACK as ROLLED_BACK,
    SESSION_STARTS as SESSION_STARTS,
    STAGE_CONFIRMED as STAGE_CONFIRMED,
    STAGE_CONTENT_PROPOSED as STAGE_CONTENT_PROPOSED,
    STAGE_GENERATION_FAILED as STAGE_GENERATION_FAILED,
    STAGE_GENERATION_REQUESTED as STAGE_GENERATION_REQUESTED,
    failure_event_for as failure_event_for,
    proposal_event_for as proposal_event_for,
)
from infinite_scribe.domain.guards import require_not_busy, require_version
from shared_types.enums import GenesisStage, GenesisStatus

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
    #: A branch's origin: {"session_id", "event_id"} (+ "title" when one was given).
    branched_from: Mapping[str, Any] | None = None
    #: The writer's codex (`domain/codex.py`, issue 76) as `Codex.as_json()`; empty: none yet.
    codex: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_pending(self) -> bool:
        return self.pending_command_type is not None


@dataclass(frozen=True)
class VersionTarget:
    """A version a rollback or a branch goes to, resolved by the application from the event
    log: the state right after that event, and what the history says about it."""

    event_id: UUID
    #: The stage the version belongs to (where the history lists it).
    version_stage: GenesisStage
    state: "GenesisState"
    #: Stage value -> the event whose data the state's confirmed stage holds (provenance).
    confirmed_by: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Restored:
    """What a rollback or a branch brings back that its event does not carry: the confirmed
    stages and the last proposal (together they may be larger than one event may be)."""

    confirmed_data: Mapping[str, Any]
    last_result: Mapping[str, Any] | None

    def columns(self) -> dict[str, Any]:
        """As `session_restores` holds it, and as a resolved restore payload carries it."""
        last = self.last_result
        return {
            "confirmed_data": dict(self.confirmed_data),
            "last_result": None if last is None else dict(last),
        }


@dataclass(frozen=True)
class Decided:
    """An event decided by the machine: its type and payload (the application adds ids)."""

    event_type: str
    payload: dict[str, Any]
    #: A restore's state: written beside the event (`session_restores`), not in it, so the
    #: event names its version and stays small whatever the state's size (decision 5403).
    restored: Restored | None = None
    #: The event's id when decide names it (a codex entry points at its event); None: new.
    event_id: UUID | None = None

    def folded(self) -> Mapping[str, Any]:
        """The payload as `evolve` reads it (a restore's with its state resolved)."""
        return resolved(self.payload, self.restored)


def resolved(payload: Mapping[str, Any], restored: Restored | None) -> Mapping[str, Any]:
    """A restore's payload with the state its row holds (None: no row, the payload is either
    not a restore's or one written before decision 5403, which carries its state itself)."""
    return payload if restored is None else {**payload, **restored.columns()}


def created(user_id: UUID, initial_user_input: Mapping[str, Any] | None) -> Decided:
    return Decided(
        CREATED,
        {"user_id": str(user_id), "initial_user_input": dict(initial_user_input or {})},
    )


def decide(state: GenesisState, command: CommandPayload, ids: CommandIds) -> list[Decided]:
    """The events `command` causes in `state`, or InvalidState when it is not allowed now."""
    require_version(command, state.version, "session")
    if isinstance(command, RollbackToVersion):
        return rolled_back(state, command.target, ids)
    if state.status is not GenesisStatus.IN_PROGRESS:
        raise InvalidState(f"The session is {state.status.value}; no command is accepted")
    stage = state.current_stage
    command_type = type(command).__name__
    match command:
        case RequestConceptGeneration():
            if stage is not GenesisStage.CONCEPT_SELECTION:
                raise InvalidState(f"Concepts are generated in CONCEPT_SELECTION, not {stage}")
            require_not_busy(state.pending_command_type, command_type)
            return [Decided(CONCEPT_GENERATION_REQUESTED, _request(command, stage))]
        case RequestStageGeneration():
            if stage not in GENERATION_STAGES:
                raise InvalidState(f"Stage content cannot be generated in {stage}")
            if command.stage is not None and command.stage is not stage:
                raise InvalidState(f"The current stage is {stage}, not {command.stage}")
            require_not_busy(state.pending_command_type, command_type)
            return [Decided(STAGE_GENERATION_REQUESTED, _request(command, stage))]
        case SubmitFeedback():
            if state.last_result is None:
                raise InvalidState(f"No proposal exists yet for {stage}")
            require_not_busy(state.pending_command_type, command_type)
            payload = {"stage": stage.value, "feedback": command.feedback}
            return [Decided(FEEDBACK_SUBMITTED, payload | {"details": command.details})]
        case ConfirmStage():
            return confirmed(state, command, ids)
        case AbandonSession():
            return [Decided(ABANDONED, {"reason": command.reason, "stage": stage.value})]
        case CancelGeneration():
            return [cancelled(state, command)]
        case RegenerateProposal():
            return [regenerated(state, command)]
        case EditCodex():
            require_not_busy(state.pending_command_type, command_type)
            edited = codex_edited(state.codex, command, ids.event_id)
            return [Decided(CODEX_UPDATED, edited, event_id=ids.event_id)]
    raise InvalidState(f"{command_type} is not a genesis command")


def confirmed(state: GenesisState, command: ConfirmStage, ids: CommandIds) -> list[Decided]:
    """The stage confirmed as the command chose or edited it (and the session finished after
    PLOT_OUTLINE)."""
    stage = state.current_stage
    if command.stage is not stage:
        raise InvalidState(f"The current stage is {stage}, not {command.stage}")
    following = next_stage(stage)
    data = bounded(confirmed_choice(stage, state.last_result, command))
    taken = {"stage": stage.value, "data": data, "next_stage": following.value}
    how = how_confirmed(stage, state.last_result, command, data)
    codex = extended(state.codex, stage, data, ids.event_id)  # the cast, the locations
    taken |= {} if codex is None else {"codex": codex}
    events = [Decided(STAGE_CONFIRMED, {**taken, **how}, event_id=ids.event_id)]
    if following is GenesisStage.FINISHED:
        # Finishing again after a rollback updates the session's novel, not a new one.
        novel_id = state.novel_id or ids.novel_id
        events.append(Decided(FINISHED, {"novel_id": str(novel_id)}))
    return events


def regenerated(state: GenesisState, command: RegenerateProposal) -> Decided:
    """A generation request from a proposal's recorded inputs (`command.target`: its
    ProposalInput, None when the event is no proposal of this session with recorded inputs)."""
    recorded = command.target
    if recorded is None:
        raise InvalidVersion("The event is not a proposal of this session with recorded inputs")
    stage = state.current_stage
    if stage is GenesisStage.FINISHED:
        raise InvalidState("The session is finished: roll back to a stage to generate again")
    if recorded.request.get("stage") != stage.value:
        raise InvalidState(f"The proposal is of another stage than {stage}: roll back to it first")
    require_not_busy(state.pending_command_type, "RegenerateProposal")
    payload = {"stage": stage.value, "event_id": str(command.event_id), "model": command.model}
    return Decided(REGENERATION_REQUESTED, payload)


def cancelled(state: GenesisState, command: CancelGeneration) -> Decided:
    """The running generation stopped; the application's supersede part cancels its task."""
    if not state.is_pending:
        raise NothingToCancel("No generation is running for this session")
    payload = {"stage": state.current_stage.value, "command_type": state.pending_command_type}
    return Decided(GENERATION_CANCELLED, payload | {"reason": command.reason})


def rolled_back(
    state: GenesisState, target: VersionTarget | None, ids: CommandIds
) -> list[Decided]:
    """Back to `target`'s state as a new event (an in-progress or completed session; a
    completed one reopens, or finishes again at once when the version is a finished one)."""
    if target is None:
        raise InvalidVersion("The event is not a version of this session")
    if state.status is GenesisStatus.ABANDONED:
        raise InvalidState("The session is ABANDONED; it cannot be rolled back")
    if state.is_pending:
        # A late proposal would land on the restored state as if asked for: refuse instead.
        raise GenerationPending(
            f"{state.pending_command_type} is still being processed; wait for its proposal"
        )
    events = [Decided(ROLLED_BACK, version_payload(state, target), restored_of(target))]
    if target.state.current_stage is GenesisStage.FINISHED:
        novel_id = state.novel_id or ids.novel_id  # the session's novel is updated, not doubled
        events.append(Decided(FINISHED, {"novel_id": str(novel_id)}))
    return events


def version_payload(state: GenesisState, target: VersionTarget) -> dict[str, Any]:
    """What a RolledBack (or Branched) event carries: the version it goes back to, the stage
    it reopens and the events its confirmed stages came from; the state itself is its
    `Restored`, written beside it (decision 5403)."""
    return {
        "to_event_id": str(target.event_id),
        "to_stage": target.version_stage.value,
        "stage": target.state.current_stage.value,
        "confirmed_by": dict(target.confirmed_by),
        "from_stage": state.current_stage.value,
        "from_status": state.status.value,
        # The codex as it was then: small and bounded, so in the event (issue 76).
        "codex": dict(target.state.codex),
    }


def restored_of(target: VersionTarget) -> Restored:
    return Restored(target.state.confirmed_data, target.state.last_result)


def _request(
    command: RequestConceptGeneration | RequestStageGeneration, stage: GenesisStage
) -> dict[str, Any]:
    payload = command.model_dump(mode="json", exclude_none=True)
    return payload | {"stage": stage.value}


def evolve(state: GenesisState, event_type: str, payload: Mapping[str, Any]) -> GenesisState:
    """Apply one event; unknown event types leave the state as it was (forward compatible)."""
    version = state.version + 1
    if event_type in PENDING_AFTER:
        return replace(state, pending_command_type=PENDING_AFTER[event_type], version=version)
    if event_type in PROPOSAL_EVENTS:  # the first one carries the codex read from the idea
        state = replace(state, codex=payload.get("codex") or state.codex)
        if payload.get("stage", state.current_stage.value) != state.current_stage.value:
            return replace(state, version=version)  # a late proposal for a confirmed stage
        result = payload.get("result", payload.get("content", {}))
        proposal = dict(result) if isinstance(result, Mapping) else {"content": result}
        return replace(state, pending_command_type=None, last_result=proposal, version=version)
    if event_type in GENERATION_FAILED_EVENTS or event_type == GENERATION_CANCELLED:
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
            codex=payload.get("codex") or state.codex,  # a stage that named more (issue 76)
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
    if event_type == CODEX_UPDATED:
        changed = codex_fields(payload, state.confirmed_data, state.last_result)
        return replace(state, **changed, version=version)
    if event_type == ROLLED_BACK:
        return _restored(state, payload, version)
    if event_type == BRANCHED:  # a branch's first event: its whole state and its origin
        restored = _restored(state, payload, version)
        return replace(restored, branched_from=payload.get("branched_from"))
    return replace(state, version=version)


def _restored(state: GenesisState, payload: Mapping[str, Any], version: int) -> GenesisState:
    """The state a RolledBack or Branched event restores (the session's novel stays its own)
    from its payload as `resolved` (a reader that forgot its row would lose every stage)."""
    if "confirmed_data" not in payload:
        raise UnresolvedRestore("a restore's state was not read from session_restores")
    last = payload.get("last_result")
    return replace(
        state,
        status=GenesisStatus.IN_PROGRESS,
        current_stage=GenesisStage(payload["stage"]),
        confirmed_data=dict(payload.get("confirmed_data") or {}),
        pending_command_type=None,
        last_result=dict(last) if isinstance(last, Mapping) else None,
        version=version,
        codex=dict(payload.get("codex") or {}),  # none before issue 76
    )


class UnresolvedRestore(ValueError):
    """A restore folded without its row's state (a reader's bug, never a writer's)."""


def started(session_id: UUID, event_type: str, payload: Mapping[str, Any]) -> GenesisState:
    """A session's state after its first event (Created, or Branched from another session)."""
    state = GenesisState(session_id=session_id, user_id=UUID(str(payload["user_id"])))
    if event_type == BRANCHED:
        return evolve(state, event_type, payload)
    return replace(state, version=1)


def replay(
    session_id: UUID, events: Iterable[tuple[str, Mapping[str, Any]]]
) -> GenesisState | None:
    """Fold a session's events (oldest first, starting with Created or Branched) into its
    state."""
    state: GenesisState | None = None
    for event_type, payload in events:
        if state is None:
            if event_type not in SESSION_STARTS:
                raise ValueError(f"session {session_id} does not start with {CREATED}")
            state = started(session_id, event_type, payload)
            continue
        state = evolve(state, event_type, payload)
    return state
