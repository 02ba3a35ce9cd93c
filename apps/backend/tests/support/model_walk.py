"""A writer's walk through a real model (issue 68), over the HTTP API: an idea through the five
Genesis stages (each proposal asked for, then its first option confirmed) and the first
chapters (drafted, then confirmed), with the session's and the novel's live streams followed,
so every draft the model streams is seen and the first one timed. Used by the local engine's
lane (tests/e2e/test_local_engine_lane.py) and its benchmark (bench/model_walk.py)."""

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from httpx_sse import aconnect_sse

SESSIONS = "/api/v1/genesis/sessions"
NOVELS = "/api/v1/novels"
STAGES = ["CONCEPT_SELECTION", "STORY_CONCEPTION", "WORLDVIEW", "CHARACTERS", "PLOT_OUTLINE"]
#: The chapters a walk drafts: an outline needs at least this many.
MIN_CHAPTERS = 2


@dataclass
class Step:
    """One generation: a stage's proposal or a chapter's draft."""

    name: str
    task_id: str
    seconds: float
    #: From the 202 to the first `draft` event on the stream (None: no draft came).
    first_draft: float | None
    drafts: int
    result: dict[str, Any]
    #: The guard's refusals the writer read before this proposal came (each: its message).
    refusals: list[str] = field(default_factory=list)


@dataclass
class Walk:
    session_id: str
    novel_id: str | None = None
    steps: list[Step] = field(default_factory=list)
    #: Chapters the writer added to the model's outline (see `_confirmation`).
    writer_chapters: int = 0

    def step(self, name: str) -> Step:
        return next(step for step in self.steps if step.name == name)


class Drafts:
    """The `draft` events of one stream, by task: how many, and when the first came."""

    def __init__(self) -> None:
        self.first: dict[str, float] = {}
        self.count: dict[str, int] = {}
        self.texts: dict[str, str] = {}

    def seen(self, data: dict[str, Any]) -> None:
        task = str(data.get("task_id"))
        self.first.setdefault(task, time.monotonic())
        self.count[task] = self.count.get(task, 0) + 1
        self.texts[task] = str(data.get("text", ""))


@contextlib.asynccontextmanager
async def followed(http: httpx.AsyncClient, context_id: str) -> AsyncIterator[Drafts]:
    """The context's live stream read in the background while the block runs."""
    drafts = Drafts()
    opened = asyncio.Event()

    async def read() -> None:
        params = {"context_id": context_id}
        async with aconnect_sse(http, "GET", "/api/v1/events/stream", params=params) as source:
            assert source.response.status_code == 200, await source.response.aread()
            opened.set()
            async for sse in source.aiter_sse():
                if sse.event == "draft":
                    drafts.seen(json.loads(sse.data))

    reader = asyncio.create_task(read())
    await asyncio.wait_for(opened.wait(), 30)
    try:
        yield drafts
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
            await reader


async def finished_task(http: httpx.AsyncClient, task_id: str, within: float) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while True:
        body: dict[str, Any] = (await http.get(f"/api/v1/tasks/{task_id}")).json()
        if body.get("status") in ("COMPLETED", "FAILED", "CANCELLED"):
            return body
        assert time.monotonic() < deadline, f"task {task_id} not finished: {body}"
        await asyncio.sleep(0.1)


#: How often a writer asks again after a generation failed with a reason they can read (the
#: guard's refusal, "Ask again, or change the request"; a reply cut at the token limit): a 135M
#: model's stage fails so at times, twice in a row with the agent's own retry; a larger model
#: seldom does. Each ask draws anew (decision 7603); the lane's concepts took 4 here (stop 88),
#: so there is room for an engine whose numbers draw otherwise.
ASKS = 6
#: The failures a writer reads and asks again after (any other fails the walk at once).
ASK_AGAIN = frozenset({"PROPOSAL_REFUSED", "LLM_INVALID_OUTPUT"})


async def generate(
    http: httpx.AsyncClient,
    name: str,
    path: str,
    command: dict[str, Any],
    drafts: Drafts,
    within: float,
) -> Step:
    """Send an asynchronous command and wait for its task, which must complete (asked again
    as `completed` does)."""
    started = time.monotonic()
    task, refusals = await completed(http, path, command, within)
    task_id = str(task["task_id"])
    seconds = time.monotonic() - started
    first = drafts.first.get(task_id)
    latency = None if first is None else first - started
    count = drafts.count.get(task_id, 0)
    return Step(name, task_id, seconds, latency, count, task.get("result") or {}, refusals)


async def completed(
    http: httpx.AsyncClient, path: str, body: dict[str, Any], within: float, asks: int = ASKS
) -> tuple[dict[str, Any], list[str]]:
    """POST `body` to `path` (an asynchronous command) and wait for its task, which must
    complete; a task that failed with a reason the writer can read (ASK_AGAIN: its code and its
    message) is asked for again, as the writer is told to, up to ASKS times. The task, and the
    failures read on the way."""
    refusals: list[str] = []
    for _ in range(asks):
        reply = await http.post(path, json=body)
        assert reply.status_code == 202, reply.text
        task = await finished_task(http, str(reply.json()["task_id"]), within)
        if not _failed_with_a_reason(task):
            break
        refusals.append(f"{task['error']['code']}: {task['error']['message']}")
    assert task["status"] == "COMPLETED", (path, task, refusals)
    return task, refusals


def _failed_with_a_reason(task: dict[str, Any]) -> bool:
    """A task that failed saying why in words (a guard refusal names each failed check)."""
    error = task.get("error") or {}
    if task["status"] != "FAILED" or error.get("code") not in ASK_AGAIN:
        return False
    message = str(error.get("message"))
    assert message.strip(), task
    if error["code"] == "PROPOSAL_REFUSED":
        assert "[GUARD_" in message, task
    return True


def _stage_command(stage: str, preferences: dict[str, Any]) -> dict[str, Any]:
    if stage == STAGES[0]:
        return {"command_type": "RequestConceptGeneration", "payload": {"preferences": preferences}}
    return {"command_type": "RequestStageGeneration", "payload": {"stage": stage}}


async def walk_genesis(
    http: httpx.AsyncClient,
    idea: str,
    within: float = 300,
    stages: list[str] = STAGES,
    preferences: dict[str, Any] | None = None,
) -> Walk:
    """The idea through the five stages (or the first `stages`), each proposal's first
    option confirmed, the concept asked for with the writer's `preferences`; the novel's id
    once all five are."""
    created = await http.post(SESSIONS, json={"initial_user_input": {"idea": idea}})
    assert created.status_code == 201, created.text
    walk = Walk(str(created.json()["session_id"]))
    commands = f"{SESSIONS}/{walk.session_id}/commands"
    async with followed(http, walk.session_id) as drafts:
        for stage in stages:
            command = _stage_command(stage, preferences or {})
            step = await generate(http, stage, commands, command, drafts, within)
            walk.steps.append(step)
            payload = _confirmation(walk, stage, step.result)
            confirm = {"command_type": "ConfirmStage", "payload": payload}
            confirmed = await http.post(commands, json=confirm)
            assert confirmed.status_code == 200, confirmed.text
    if stages == STAGES:
        state = (await http.get(f"{SESSIONS}/{walk.session_id}/state")).json()
        assert state["status"] == "COMPLETED", state
        walk.novel_id = str(state["novel_id"])
    return walk


def _confirmation(walk: Walk, stage: str, proposal: dict[str, Any]) -> dict[str, Any]:
    """The first option as proposed; an outline of fewer than MIN_CHAPTERS chapters (a small
    model writes one at times) gets the writer's own chapter added, as a writer would."""
    acts = proposal.get("acts") if stage == "PLOT_OUTLINE" else None
    if not isinstance(acts, list) or sum(len(act["chapters"]) for act in acts) >= MIN_CHAPTERS:
        return {"stage": stage, "choice": 0}
    extra = {"title": "The storm", "summary": "The storm reaches the island."}
    acts[-1]["chapters"].append(extra)
    walk.writer_chapters += 1
    return {"stage": stage, "data": {"acts": acts}}


async def draft_chapter(
    http: httpx.AsyncClient, walk: Walk, chapter: int, drafts: Drafts, within: float = 300
) -> Step:
    """Chapter `chapter` drafted by the model (its task finished), not yet confirmed."""
    path = f"{NOVELS}/{walk.novel_id}/commands"
    command = {"command_type": "RequestChapterDraft", "payload": {"chapter": chapter}}
    step = await generate(http, f"chapter {chapter}", path, command, drafts, within)
    walk.steps.append(step)
    return step


async def confirm_chapter(
    http: httpx.AsyncClient, novel_id: str, chapter: int, text: str | None = None
) -> None:
    payload: dict[str, Any] = {"chapter": chapter} | ({"text": text} if text else {})
    reply = await http.post(
        f"{NOVELS}/{novel_id}/commands",
        json={"command_type": "ConfirmChapter", "payload": payload},
    )
    assert reply.status_code == 200, reply.text


async def chapter_text(http: httpx.AsyncClient, novel_id: str, chapter: int) -> str:
    novel = (await http.get(f"{NOVELS}/{novel_id}")).json()
    found = next(c for c in novel["chapters"] if c["number"] == chapter)
    return str(found.get("text") or "")
