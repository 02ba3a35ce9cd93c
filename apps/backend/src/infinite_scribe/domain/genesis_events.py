"""The genesis session's event types (what the log says happened to a session), and which
event answers a generation for a stage. `domain/genesis.py` re-exports them."""

from shared_types.enums import GenesisStage

AGGREGATE_TYPE = "GENESIS_SESSION"
CREATED = "Genesis.Session.Created"
CONCEPT_GENERATION_REQUESTED = "Genesis.Session.ConceptGenerationRequested"
STAGE_GENERATION_REQUESTED = "Genesis.Session.StageGenerationRequested"
FEEDBACK_SUBMITTED = "Genesis.Session.FeedbackSubmitted"
STAGE_CONFIRMED = "Genesis.Session.StageConfirmed"
FINISHED = "Genesis.Session.Finished"
ABANDONED = "Genesis.Session.Abandoned"
#: History (issue 37, decision 3000): the session went back to one of its versions; a new
#: session started from a version of another (its first event, in place of Created).
ROLLED_BACK = "Genesis.Session.RolledBack"
BRANCHED = "Genesis.Session.Branched"
SESSION_STARTS = frozenset({CREATED, BRANCHED})
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
#: The writer stopped the running generation (CancelGeneration): clears the pending flag and
#: leaves any earlier proposal in place, as a failure does (decision 4003).
GENERATION_CANCELLED = "Genesis.Session.GenerationCancelled"
#: The writer asked for a proposal again, from its recorded inputs, with another model (issue
#: 55): a generation request like the others, answered by a proposal of the same stage.
REGENERATION_REQUESTED = "Genesis.Session.RegenerationRequested"
#: The writer corrected the codex (issue 76, `EditCodex`): the payload carries the whole codex
#: after the change (bounded), and a rename's names, which `evolve` renames everywhere. (The
#: codex read from the idea rides on the first proposal's event, a stage's on its confirm.)
CODEX_UPDATED = "Genesis.Session.CodexUpdated"
#: The request events an agent answers (the worker ignores every other event type).
GENERATION_REQUEST_EVENTS = frozenset(
    {
        CONCEPT_GENERATION_REQUESTED,
        STAGE_GENERATION_REQUESTED,
        FEEDBACK_SUBMITTED,
        REGENERATION_REQUESTED,
    }
)


def proposal_event_for(stage: GenesisStage) -> str:
    """The event a proposal for `stage` is published as."""
    return CONCEPT_PROPOSED if stage is GenesisStage.CONCEPT_SELECTION else STAGE_CONTENT_PROPOSED


def failure_event_for(stage: GenesisStage) -> str:
    """The event a generation for `stage` that failed for good is published as."""
    if stage is GenesisStage.CONCEPT_SELECTION:
        return CONCEPT_GENERATION_FAILED
    return STAGE_GENERATION_FAILED


#: The command an event leaves pending until its generation ends (`evolve`).
PENDING_AFTER = {
    CONCEPT_GENERATION_REQUESTED: "RequestConceptGeneration",
    STAGE_GENERATION_REQUESTED: "RequestStageGeneration",
    FEEDBACK_SUBMITTED: "SubmitFeedback",
    REGENERATION_REQUESTED: "RegenerateProposal",
}
