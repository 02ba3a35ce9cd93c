"""The continuity check in the agent worker, end to end (issue 48): the API, the relay, the
broker and a real worker with the offline writer. A chapter confirmed as the writer edited it
is checked by the worker's consumer; its finding reaches the API, the writer waives it with a
novel command, and the waiver reaches the findings too. Hostile waivers change nothing."""

import asyncio
import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from infinite_scribe.settings.settings import Settings
from tests.support.agent_stack import agent_stack, client, model_stack, stack_settings, wait_task
from tests.support.chapter_api import error_code, novel_command
from tests.support.continuity import NOVELS, finished

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

DIES = "The storm broke at midnight. Ilya was killed in the storm at Port Sable."
WALKS = 'Morning came grey over the water. "Go," said Ilya, and he opened the door.'


async def _confirmed(http: httpx.AsyncClient, novel_id: uuid.UUID, chapter: int, text: str) -> None:
    """Drafted by the offline writer, then confirmed as the writer rewrote it."""
    reply = await novel_command(http, novel_id, "RequestChapterDraft", {"chapter": chapter})
    assert reply.status_code == 202, reply.text
    assert (await wait_task(http, reply.json()["task_id"]))["status"] == "COMPLETED"
    confirm = await novel_command(
        http, novel_id, "ConfirmChapter", {"chapter": chapter, "text": text}
    )
    assert confirm.status_code == 200, confirm.text


async def _findings_until(
    http: httpx.AsyncClient, novel_id: uuid.UUID, wanted: Any, within: float = 30
) -> list[dict[str, Any]]:
    """The findings once `wanted(findings)` holds (the check runs after the confirmation)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        found: list[dict[str, Any]] = (await http.get(f"{NOVELS}/{novel_id}/findings")).json()[
            "findings"
        ]
        if wanted(found):
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"findings never became what was wanted: {found}")
        await asyncio.sleep(0.1)


async def test_the_worker_checks_a_confirmed_chapter_and_the_writer_waives_its_finding(
    settings: Settings, clean_db: asyncpg.Pool
) -> None:
    config = stack_settings(settings)
    async with agent_stack(config) as server, client(server, config, uuid.uuid4()) as http:
        novel_id = await finished(http)
        await _confirmed(http, novel_id, 1, DIES)
        await _confirmed(http, novel_id, 2, WALKS)
        [found] = await _findings_until(http, novel_id, lambda f: len(f) == 1)
        assert (found["kind"], found["chapter"], found["status"]) == (
            "dead_character_acts",
            2,
            "open",
        )
        waive = {"finding_id": found["id"], "reason": "Ilya faked his death; chapter 9 says so"}
        reply = await novel_command(http, novel_id, "WaiveFinding", waive)
        assert reply.status_code == 200, reply.text
        [waived] = await _findings_until(http, novel_id, lambda f: f[0]["status"] == "waived")
        assert waived["reason"] == waive["reason"]
        again = await novel_command(http, novel_id, "WaiveFinding", waive)
        assert (again.status_code, error_code(again)) == (409, "INVALID_STATE")
        unknown = {"finding_id": str(uuid.uuid4())}
        missing = await novel_command(http, novel_id, "WaiveFinding", unknown)
        assert (missing.status_code, error_code(missing)) == (404, "NOT_FOUND")
        for bad in ({}, {"finding_id": "nope"}, {"finding_id": found["id"], "reason": "x" * 1001}):
            refused = await novel_command(http, novel_id, "WaiveFinding", bad)
            assert refused.status_code == 422, (bad, refused.text)
        history = (await http.get(f"{NOVELS}/{novel_id}/history")).json()
        assert [v["kind"] for v in history["chapters"][1]["versions"]][-1] == "edited"


async def test_another_writer_reads_no_memory_and_no_findings(
    settings: Settings, clean_db: asyncpg.Pool, http: httpx.AsyncClient
) -> None:
    novel_id = await finished(http)
    async with httpx.AsyncClient(base_url=str(http.base_url), timeout=30) as anonymous:
        assert (await anonymous.get(f"{NOVELS}/{novel_id}/memory")).status_code == 401
    from tests.conftest import make_token

    other = {"Authorization": f"Bearer {make_token(settings, uuid.uuid4())}"}
    for path in ("memory", "findings"):
        reply = await http.get(f"{NOVELS}/{novel_id}/{path}", headers=other)
        assert (reply.status_code, error_code(reply)) == (404, "NOT_FOUND")
    empty = (await http.get(f"{NOVELS}/{novel_id}/memory")).json()
    assert (empty["version"], empty["characters"]) == (0, [])
    for params in ({"status": "lost"}, {"limit": 0}, {"limit": 201}, {"cursor": "1:x"}):
        reply = await http.get(f"{NOVELS}/{novel_id}/findings", params=params)
        assert reply.status_code == 422, (params, reply.text)


async def test_the_next_chapters_prompt_carries_what_the_book_remembers(
    settings: Settings, clean_db: asyncpg.Pool
) -> None:
    import json

    from tests.support.fake_llm import Reply

    async with model_stack(settings) as stack:
        llm, http = stack.llm, stack.http
        novel_id = await finished(http)
        llm.script(Reply.text(json.dumps(["Ilya dies"])), Reply.text("A storm."))
        await _confirmed(http, novel_id, 1, DIES)
        deadline = asyncio.get_running_loop().time() + 30
        while (await http.get(f"{NOVELS}/{novel_id}/memory")).json()["version"] < 2:
            assert asyncio.get_running_loop().time() < deadline, "chapter 1 never checked"
            await asyncio.sleep(0.1)
        llm.reset()
        llm.script(Reply.text(json.dumps(["Mara alone"])), Reply.text("Mara sails."))
        await _confirmed(http, novel_id, 2, "Mara sailed alone.")
        [beats, _] = [seen.prompt for seen in llm.requests]
        section = beats.split("What the book remembers")[1]
        remembered = json.loads(section.split("```json")[1].split("```")[0])
        assert remembered["dead"] == ["Ilya Brandt"]
        assert {c["name"]: c["status"] for c in remembered["characters"]}["Ilya Brandt"] == "dead"


async def test_through_a_model_a_finding_is_kept_only_with_its_proof(
    settings: Settings, clean_db: asyncpg.Pool
) -> None:
    import json

    from tests.support.fake_llm import Reply

    review = [
        {"kind": "dead_character_acts", "who": "Ilya Brandt", "quote": WALKS.split(" ", 5)[-1],
         "evidence_quote": "Ilya was killed in the storm at Port Sable."},
        {"kind": "dead_character_acts", "who": "Ilya Brandt", "quote": "Ilya sang at the feast.",
         "evidence_quote": "Ilya was killed in the storm at Port Sable."},
    ]  # fmt: skip
    async with model_stack(settings) as stack:
        llm, http = stack.llm, stack.http
        novel_id = await finished(http)
        llm.script(Reply.text(json.dumps(["Ilya dies"])), Reply.text("A storm."))
        await _confirmed(http, novel_id, 1, DIES)  # names nobody the book knew of yet
        llm.script(
            Reply.text(json.dumps(["Ilya walks"])),
            Reply.text("Ilya walks."),
            Reply.text(json.dumps(review)),
        )
        await _confirmed(http, novel_id, 2, WALKS)
        # One finding: the rules found Ilya acting too, so the model's proven one about the same
        # character and kind is not a second (it joins only what the rules did not find), and
        # its unproven one ("sang at the feast") is dropped.
        [found] = await _findings_until(http, novel_id, lambda f: len(f) == 1)
        assert (found["kind"], found["who"]) == ("dead_character_acts", "Ilya Brandt")
        assert found["quote"] in WALKS and found["evidence"][0]["chapter"] == 1
        asked = llm.requests[-1].prompt
        assert "continuity editor" in asked and WALKS in asked
