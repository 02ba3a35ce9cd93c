"""What a ConfirmStage confirms, pure: the options a proposal offers, the chosen one with the
writer's fields over it (a rename carried through its texts), bounded in size, and how the
writer took it (as proposed, a choice, or edited). `genesis.decide` uses these."""

from collections.abc import Mapping
from typing import Any

from infinite_scribe.domain.commands import ConfirmStage
from infinite_scribe.domain.diff import changed_paths
from infinite_scribe.domain.errors import InvalidPayload, StageTooLarge
from infinite_scribe.domain.event_size import jsonb_text_size
from infinite_scribe.domain.proposals import PROPOSAL_META
from infinite_scribe.domain.renaming import renamed
from shared_types.enums import GenesisStage

#: The most a confirmed stage's data may hold, as its JSONB text (docs/hostile-input.md): a
#: whole bible is four stages, well under a megabyte, so every export of it renders in ~1 s.
STAGE_MAX_BYTES = 256 * 1024


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


def confirmed_choice(
    stage: GenesisStage, proposal: Mapping[str, Any] | None, command: ConfirmStage
) -> dict[str, Any]:
    """The data a ConfirmStage confirms: the chosen option with `data`'s fields over it, or
    `data` alone; InvalidPayload (422) saying what is missing otherwise."""
    if command.choice is None:
        if not command.data:
            raise _missing(
                "choice",
                f"Nothing to confirm for {stage}: send `choice` (an option of the current "
                "proposal, 0-based) or `data`",
            )
        return dict(command.data)
    options = options_of(stage, proposal)
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


def how_confirmed(
    stage: GenesisStage,
    proposal: Mapping[str, Any] | None,
    command: ConfirmStage,
    data: Mapping[str, Any],
) -> dict[str, Any]:
    """Whether the writer took the proposal as it was, chose one of its options, or edited
    it (`edited`: the paths that differ from the chosen option, or from the proposal)."""
    options = options_of(stage, proposal)
    chosen = command.choice if command.choice is not None else 0
    base = options[chosen] if chosen < len(options) else None
    edited = changed_paths(base, data)
    how = "edited" if edited or base is None else "as_proposed"
    if how == "as_proposed" and len(options) > 1:
        how = "choice"
    found = {"confirmation": how, "edited": edited}
    return found | ({} if command.choice is None else {"choice": command.choice})
