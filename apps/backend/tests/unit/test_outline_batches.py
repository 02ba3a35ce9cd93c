"""An outline of many chapters in batches (issue 54, decision 5404): the plan splits the book
between the acts and asks for each act's chapters a batch at a time; every part is kept as it
arrives, and a generation that failed resumes at the first missing part without asking for a
kept one again; the writer's next request with the same inputs finds the parts too."""

import uuid
from typing import Any

import pytest

from infinite_scribe.agents.llm.gate import ModelGate
from infinite_scribe.agents.llm.offline.stream import StreamingOffline
from infinite_scribe.agents.llm.port import (
    DraftCallback,
    GenerationRequest,
    ProviderUnavailable,
)
from infinite_scribe.agents.outline_batches import OutlineParts, batched_outline, outline_size
from infinite_scribe.application.agent_work import Job
from infinite_scribe.application.ports.tasks import TaskRecord
from infinite_scribe.domain.genesis import STAGE_GENERATION_REQUESTED, GenesisState
from infinite_scribe.domain.outline_plan import BATCH, OutlinePlan, shares, wanted_chapters
from infinite_scribe.domain.proposals import Proposal
from shared_types import EventEnvelope, GenesisStage
from tests.support.memory.adapters import MemoryDatabase, MemoryTaskQueries

SESSION, USER = uuid.uuid4(), uuid.uuid4()
SKELETON = {
    "acts": [
        {"title": f"Act {a}", "summary": "s", "chapters": [{"title": "t", "summary": "c"}] * 3}
        for a in (1, 2, 3)
    ]
}


@pytest.mark.parametrize(
    ("value", "wanted"),
    [(None, None), (True, None), ("300", None), (30, None), (31, 31), (300, 300), (10**6, 2000)],
)
def test_only_more_chapters_than_a_reply_holds_take_batches(value: Any, wanted: int | None) -> None:
    assert wanted_chapters({} if value is None else {"chapters": value}) == wanted


@pytest.mark.parametrize("total", [31, 100, 301, 2000])
@pytest.mark.parametrize("counts", [[3, 3, 3], [30, 1, 1], [1], [5, 0, 9, 2, 30]])
def test_the_book_is_split_between_the_acts_every_act_gets_a_chapter(
    total: int, counts: list[int]
) -> None:
    split = shares(counts, total)
    assert sum(split) == total and min(split) >= 1 and len(split) == len(counts)


def test_the_plan_asks_for_each_acts_chapters_a_batch_at_a_time_in_book_order() -> None:
    plan = OutlinePlan(SKELETON, 100)
    assert plan.shares == [34, 33, 33]
    asked = []
    while (batch := plan.next_batch()) is not None:
        asked.append((batch.act, batch.first, batch.count))
        brief = plan.brief(batch)
        assert len(brief.recent) == min(5, batch.first - 1) and len(brief.acts) == 3
        plan.add(batch, [{"title": f"{n}", "summary": "x"} for n in range(BATCH + 5)])
    assert asked == [(0, 4, 30), (0, 34, 1), (1, 38, 30), (2, 71, 30)]
    assert plan.chapters == 100
    with pytest.raises(ValueError, match="empty"):
        plan.add((asked and plan.next_batch()) or _batch(), [])


def _batch() -> Any:
    return OutlinePlan(SKELETON, 100).next_batch()


class Flaky(StreamingOffline):
    """The offline generator as a provider whose `fail_at`-th model call fails once."""

    def __init__(self, fail_at: int | None = None) -> None:
        super().__init__(0)
        self.calls, self.fail_at = 0, fail_at

    def _count(self) -> None:
        self.calls += 1
        if self.calls == self.fail_at:
            raise ProviderUnavailable("the model server went away")

    async def generate(
        self, request: GenerationRequest, draft: DraftCallback | None = None
    ) -> Proposal:
        self._count()
        return await super().generate(request, draft)

    async def outline_chapters(self, request: Any, brief: Any, draft: Any = None) -> Any:
        self._count()
        return await super().outline_chapters(request, brief, draft)


def _job(tasks: MemoryTaskQueries, chapters: int) -> tuple[Job, GenerationRequest]:
    payload = {"stage": "PLOT_OUTLINE", "preferences": {"chapters": chapters}}
    request = EventEnvelope(
        event_type=STAGE_GENERATION_REQUESTED,
        aggregate_type="GENESIS_SESSION",
        aggregate_id=str(SESSION),
        payload=payload,
    )
    task = TaskRecord(uuid.uuid4(), "t", "RUNNING", uuid.uuid4(), USER, SESSION, uuid.uuid4(), 0)
    job = Job(request, task, GenesisStage.PLOT_OUTLINE, GenesisState(SESSION, USER), {}, ("c1",))
    generation = GenerationRequest(
        SESSION, GenesisStage.PLOT_OUTLINE, preferences={"chapters": chapters}
    )
    return job, generation


async def test_a_failed_generation_resumes_at_the_first_missing_part() -> None:
    tasks = MemoryTaskQueries(MemoryDatabase())
    job, request = _job(tasks, 100)
    assert outline_size(request) == 100
    provider = Flaky(fail_at=3)  # the skeleton, a batch, then the model goes away
    gate = ModelGate(provider, max_concurrency=1, max_retries=0)
    parts = OutlineParts(tasks, job, 100, "m")
    with pytest.raises(ProviderUnavailable):
        await batched_outline(gate, request, parts, None)
    assert sorted(await parts.load()) == [0, 1]

    # The writer's next request: another id, the same inputs, the same parts.
    again, _ = _job(tasks, 100)
    resumed = OutlineParts(tasks, again, 100, "m")
    assert resumed.plan == parts.plan
    outline = await batched_outline(gate, request, resumed, None)
    assert provider.calls == 3 + 3  # the three failed-over calls, then only the missing three
    acts = outline.model_dump()["acts"]
    assert [len(act["chapters"]) for act in acts] == [34, 33, 33]
    titles = [c["title"] for act in acts for c in act["chapters"]]
    assert titles[3:5] == ["Chapter 4", "Chapter 5"] and titles[-1] == "Chapter 100"
    await resumed.forget()
    assert await resumed.load() == {}
    other = OutlineParts(tasks, _job(tasks, 120)[0], 120, "m")
    assert other.plan != parts.plan  # another size is another plan
