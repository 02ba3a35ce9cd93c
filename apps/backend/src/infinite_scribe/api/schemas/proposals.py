"""Proposals as clients see them: one typed model per stage, discriminated by `stage`.

A session's `last_result` and a generation task's `result` are the proposal the agents wrote
for a stage (domain/proposals.py) with that `stage` added, so a client (or a generated client)
can tell which model it holds. At run time they are served as stored (validated when the agent
wrote them); the schema documents the shape.
"""

from typing import Annotated, Any, Literal, Union

from pydantic import Field, GetCoreSchemaHandler, GetJsonSchemaHandler, TypeAdapter, create_model
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from infinite_scribe.domain.proposals import PROPOSAL_MODELS, Proposal
from shared_types.enums import GenesisStage


def _typed(stage: GenesisStage, model: type[Proposal]) -> type[Proposal]:
    camel = "".join(word.capitalize() for word in stage.value.split("_"))
    return create_model(
        f"{camel}Proposal",
        __base__=model,
        __doc__=f"{stage.value}: {model.__doc__ or ''}".strip(),
        stage=(Literal[stage.value], ...),  # type: ignore[arg-type]
    )


#: One model per proposing stage: `ConceptSelectionProposal`, `StoryConceptionProposal`, ...
STAGE_PROPOSALS = tuple(_typed(stage, model) for stage, model in PROPOSAL_MODELS.items())
StageProposal = Annotated[
    Union[STAGE_PROPOSALS],  # type: ignore[valid-type]  # noqa: UP007 - built at import
    Field(discriminator="stage"),
]
_STAGE_PROPOSAL = TypeAdapter(StageProposal)


class _ProposalDocument:
    """A JSON object at run time, documented as the discriminated union of stage proposals."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.dict_schema(core_schema.str_schema(), core_schema.any_schema())

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return handler(_STAGE_PROPOSAL.core_schema)


#: The type of `last_result` and a task's `result`.
ProposalDocument = Annotated[dict[str, Any], _ProposalDocument]


def with_stage(proposal: dict[str, Any] | None, stage: str | None) -> dict[str, Any] | None:
    """The proposal as served: its stage added (None stays None)."""
    if proposal is None or stage is None:
        return proposal
    return {"stage": stage, **proposal}
