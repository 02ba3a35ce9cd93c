"""Every stage of the offline writer walked in process, each stage's first proposal confirmed
(the walk the codex tests and the walked ideas' tests share)."""

from typing import Any
from uuid import uuid4

from infinite_scribe.agents.llm.offline.generator import OfflineGenerator
from infinite_scribe.agents.llm.port import GenerationRequest
from infinite_scribe.domain.genesis import STAGE_ORDER
from infinite_scribe.domain.renaming import renamed_everywhere
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
