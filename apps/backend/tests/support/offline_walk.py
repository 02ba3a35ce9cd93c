"""Every stage of the offline writer walked in process, each stage's first proposal confirmed
(the walk the codex tests and the walked ideas' tests share), and one stage's revisions."""

from dataclasses import replace
from typing import Any
from uuid import UUID, uuid4

from infinite_scribe.agents.llm.offline.generator import OfflineGenerator, draft
from infinite_scribe.agents.llm.offline.words import CHINESE, ENGLISH
from infinite_scribe.agents.llm.port import GenerationRequest
from infinite_scribe.domain.codex import grown
from infinite_scribe.domain.genesis import STAGE_ORDER
from infinite_scribe.domain.language import HAN
from infinite_scribe.domain.renaming import renamed_everywhere
from infinite_scribe.text.codex_reading import feedback_people, offered_edits, read_codex
from shared_types.enums import GenesisStage

META = ("source", "note", "feedback_applied", "stage")


async def walk_stages(idea: str, codex: dict[str, Any]) -> dict[str, Any]:
    """Every stage's first proposal confirmed, each generated from the codex and the idea
    with the codex's names, as the worker asks (agents/generation.py)."""
    confirmed: dict[str, Any] = {}
    session = uuid4()
    renames = codex.get("renames") or {}
    for stage in STAGE_ORDER:
        if stage is GenesisStage.FINISHED:
            continue
        request = GenerationRequest(
            session_id=session,
            stage=stage,
            confirmed_data=dict(confirmed),
            user_input=renamed_everywhere(idea, renames),
            codex=codex,
        )
        proposal = (await OfflineGenerator().generate(request)).model_dump(mode="json")
        content = {key: value for key, value in proposal.items() if key not in META}
        confirmed[stage.value] = content["concepts"][0] if "concepts" in content else content
    return confirmed


def revisions(idea: str, stage: GenesisStage, *feedbacks: str) -> list[dict[str, Any]]:
    """The first draft of `stage`, then a revision for each feedback in turn, the codex grown
    by the people each one adds and the edits it offers passed on, as the worker does."""
    codex = read_codex(idea)
    words = CHINESE if HAN.search(idea) else ENGLISH
    request = GenerationRequest(UUID(int=99), stage, {}, user_input=idea, codex=codex.as_json())
    drafts = [draft(request, words).model_dump(mode="json")]
    for number, feedback in enumerate(feedbacks):
        offered = offered_edits(feedback, codex)
        codex = grown(codex.as_json(), feedback_people(feedback, codex), f"event-{number}")
        request = replace(
            request,
            feedback=feedback,
            previous_proposal=drafts[-1],
            codex=codex.as_json(),
            offered_edits=offered,
        )
        drafts.append(draft(request, words).model_dump(mode="json"))
    return drafts
