"""Genesis as a writer walks it: Chinese preferences, option 2 of the concepts, one round of
feedback (the prompt the model received keeps the writer's wishes), every stage confirmed by
choice, and the novel, as JSON and as Markdown, carrying every confirmed stage.

Real API, outbox, relay, broker and agent worker; the model is the fake LLM server (a real HTTP
server speaking the OpenAI protocol, answering in the language the prompt asks for)."""

import re
import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from infinite_scribe.domain.proposals import PROPOSAL_META
from infinite_scribe.settings.settings import Settings
from tests.support.agent_stack import agent_stack, client, model_stack, stack_settings, wait_task

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

WISHES = {"theme_preferences": ["科幻", "悬疑"], "style_preferences": ["快节奏", "第一人称"]}
STAGES = ["STORY_CONCEPTION", "WORLDVIEW", "CHARACTERS", "PLOT_OUTLINE"]
NOVEL_FIELDS = {
    "STORY_CONCEPTION": "story",
    "WORLDVIEW": "worldview",
    "CHARACTERS": "characters",
    "PLOT_OUTLINE": "outline",
}
HAN = re.compile(r"[\u4e00-\u9fff]")


async def send(http: httpx.AsyncClient, sid: str, command_type: str, payload: Any) -> Any:
    reply = await http.post(
        f"/api/v1/genesis/sessions/{sid}/commands",
        json={"command_type": command_type, "payload": payload},
    )
    assert reply.status_code in (200, 202), reply.text
    if reply.status_code == 202:
        task = await wait_task(http, reply.json()["task_id"])
        assert task["status"] == "COMPLETED", task
        return task["result"]
    return reply.json()


def without_meta(proposal: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in proposal.items() if k not in ("stage", *PROPOSAL_META)}


async def test_a_writer_walks_genesis_to_a_novel(
    settings: Settings, clean_db: asyncpg.Pool
) -> None:
    async with model_stack(settings) as stack:
        llm, http = stack.llm, stack.http
        sid = (await http.post("/api/v1/genesis/sessions")).json()["session_id"]
        concepts = await send(http, sid, "RequestConceptGeneration", WISHES)
        assert concepts["stage"] == "CONCEPT_SELECTION" and len(concepts["concepts"]) >= 2
        assert HAN.search(concepts["concepts"][1]["title"])  # in the writer's language

        revised = await send(http, sid, "SubmitFeedback", {"feedback": "更黑暗一些"})
        revision_prompt = llm.requests[-1].prompt
        assert "更黑暗一些" in revision_prompt and "## Revision" in revision_prompt
        for wish in ("科幻", "悬疑", "快节奏", "第一人称", "Chinese (简体中文)"):
            assert wish in revision_prompt, wish
        assert revised["concepts"] != concepts["concepts"]

        chosen = revised["concepts"][1]  # the writer picks option 2
        await send(http, sid, "ConfirmStage", {"stage": "CONCEPT_SELECTION", "choice": 1})
        confirmed = {}
        for stage in STAGES:
            proposal = await send(http, sid, "RequestStageGeneration", {"stage": stage})
            assert proposal["stage"] == stage
            # The writer's wishes reach the later stages too.
            assert "科幻" in llm.requests[-1].prompt
            await send(http, sid, "ConfirmStage", {"stage": stage, "choice": 0})
            confirmed[stage] = without_meta(proposal)

        state = (await http.get(f"/api/v1/genesis/sessions/{sid}/state")).json()
        assert state["status"] == "COMPLETED"
        assert state["confirmed_data"]["CONCEPT_SELECTION"] == chosen
        novel_id = state["novel_id"]
        novel = (await http.get(f"/api/v1/novels/{novel_id}")).json()
        markdown = await http.get(f"/api/v1/novels/{novel_id}", headers={"Accept": "text/markdown"})

    _check_novel(novel, markdown.status_code, markdown.text, chosen, confirmed)


def _check_novel(
    novel: dict[str, Any],
    status: int,
    markdown: str,
    chosen: dict[str, Any],
    confirmed: dict[str, Any],
) -> None:
    # The story stage may retitle the novel; else the chosen concept's title stands.
    title = confirmed["STORY_CONCEPTION"].get("title") or chosen["title"]
    assert (novel["title"], novel["logline"]) == (title, chosen["logline"])
    # The story's writing_style (the writer's style wishes, issue 38) wins over the tone.
    style = confirmed["STORY_CONCEPTION"].get("writing_style") or chosen["tone"]
    assert novel["writing_style"] == style
    for stage, field in NOVEL_FIELDS.items():
        assert novel[field] == confirmed[stage], stage
    chapters = [c for act in novel["outline"]["acts"] for c in act["chapters"]]
    assert novel["target_chapters"] == len(chapters) > 0
    assert status == 200 and markdown.startswith(f"# {title}\n")
    for text in [chosen["logline"], *(c["summary"] for c in chapters)]:
        assert text in markdown
    for person in novel["characters"]["characters"]:
        assert person["name"] in markdown and person["motivation"] in markdown
    assert novel["worldview"]["setting"] in markdown


async def test_the_idea_given_at_creation_shapes_the_first_concepts(
    settings: Settings, clean_db: asyncpg.Pool
) -> None:
    """Issue 29: `initial_user_input` is the writer's first wish. A concept request with an
    empty payload (the console's button) gets concepts in the idea's language, using it; the
    model's prompt carries the idea and the themes."""
    idea = "一位守灯塔的老人在雾夜里收到来自未来的信"
    initial = {"idea": idea, "themes": ["奇幻", "悬疑"]}
    async with model_stack(settings) as stack:
        llm, http = stack.llm, stack.http
        created = await http.post("/api/v1/genesis/sessions", json={"initial_user_input": initial})
        sid = created.json()["session_id"]
        await send(http, sid, "RequestConceptGeneration", {})
        prompt = llm.requests[-1].prompt
        assert idea in prompt and "奇幻" in prompt and "简体中文" in prompt
    offline = stack_settings(settings)  # the offline generator everyone sees first
    async with agent_stack(offline) as server, client(server, offline, uuid.uuid4()) as http:
        created = await http.post("/api/v1/genesis/sessions", json={"initial_user_input": initial})
        sid = created.json()["session_id"]
        concepts = (await send(http, sid, "RequestConceptGeneration", {}))["concepts"]
        assert all(HAN.search(str(concept)) for concept in concepts), concepts
        assert any("灯塔" in str(concept) for concept in concepts), concepts
