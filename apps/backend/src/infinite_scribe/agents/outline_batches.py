"""A PLOT_OUTLINE of more chapters than one model reply holds, written in batches that resume
(issue 54, decision 5404).

The stage's own call gives the acts and their first chapters (part 0); each act is then extended
a batch at a time (`domain/outline_plan.py`). Every part is kept as it arrives
(`outline_parts`, under the session and a digest of what the prompt is built from), so the
worker's next attempt, a redelivered request, or the writer's next request with the same inputs
starts at the first missing part and never asks for a part again.
"""

import functools
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from infinite_scribe.agents.llm.gate import ModelGate
from infinite_scribe.agents.llm.port import DraftCallback, GenerationRequest, InvalidOutput
from infinite_scribe.application.agent_work import Job
from infinite_scribe.application.ports.tasks import OutlinePart, TaskQueries
from infinite_scribe.domain.outline_plan import OutlinePlan, wanted_chapters
from infinite_scribe.domain.proposals import PlotOutlineProposal, Proposal
from shared_types.enums import GenesisStage


class OutlineParts:
    """One plan's parts: what a batched outline of this job has kept so far."""

    def __init__(self, tasks: TaskQueries, job: Job, total: int, model: str | None) -> None:
        self.tasks, self.job, self.total = tasks, job, total
        self.plan = plan_of(job, total, model)

    async def load(self) -> dict[int, dict[str, Any]]:
        return await self.tasks.outline_parts(self.job.task.session_id, self.plan)

    async def save(self, part: int, content: Mapping[str, Any], chapters: int) -> None:
        progress = round(min(99.0, 100 * chapters / self.total), 2)
        task = self.job.task
        kept = OutlinePart(task.session_id, self.plan, part, content, task.task_id, progress)
        await self.tasks.save_outline_part(kept)

    async def forget(self) -> None:
        await self.tasks.forget_outline(self.job.task.session_id, self.plan)


def plan_of(job: Job, total: int, model: str | None) -> str:
    """What the parts are kept under: the stage, the size, the model and what the prompt is
    built from (the confirmations' and the wishes' events, the request's own words), not the
    request's id, so the writer's next request with the same inputs finds them."""
    sources = [source for source in job.sources if source != str(job.request.event_id)]
    said = {key: value for key, value in job.inputs.items() if key != "stage"}
    key = [job.stage.value, total, model, sources, said, dict(job.wishes)]
    text = json.dumps(key, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def outline_size(request: GenerationRequest) -> int | None:
    """The chapters a PLOT_OUTLINE request asks for when they take batches (None: one call)."""
    if request.stage is not GenesisStage.PLOT_OUTLINE:
        return None
    return wanted_chapters(request.preferences)


async def batched_outline(
    gate: ModelGate,
    request: GenerationRequest,
    parts: OutlineParts,
    draft: DraftCallback | None,
) -> Proposal:
    """The whole outline: the kept parts, and a model call for each missing one."""
    writer = gate.outline_writer
    if writer is None:
        raise InvalidOutput(f"{gate.name} writes no outline in batches", retryable=False)
    kept = await parts.load()
    skeleton = kept.get(0)
    if skeleton is None:
        skeleton = (await gate.generate(request, draft)).model_dump(mode="json")
        await parts.save(0, skeleton, 0)
    plan = OutlinePlan(skeleton, parts.total)
    number = 1
    while (batch := plan.next_batch()) is not None:
        found = kept.get(number)
        if found is None:
            asked = functools.partial(writer.outline_chapters, request, plan.brief(batch), draft)
            chapters = await gate.run(asked)
            found = {"chapters": chapters}
            await parts.save(number, found, plan.chapters + len(chapters))
        try:
            plan.add(batch, found.get("chapters") or [])
        except ValueError as error:
            raise InvalidOutput(str(error)) from error
        number += 1
    return PlotOutlineProposal.model_validate(plan.outline())
