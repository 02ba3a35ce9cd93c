# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""Chapters written by the agent worker (issue 39), end to end: the API, the relay, the broker,
a real agent worker and a fake OpenAI-compatible model server (the one faked part). Draft ->
feedback -> confirm with `draft` events on the novel's live stream, the bible and the earlier
confirmed chapters in the prompt, the history and a rollback; and the offline writer."""

import io
import json
import uuid
import zipfile
from typing import Any
from xml.etree import ElementTree

import asyncpg
import httpx
import pytest

from infinite_scribe.domain.chapters import DRAFT_PROPOSED
from infinite_scribe.settings.settings import Settings
from tests.integration.test_novels import finished_novel
from tests.support.agent_stack import agent_stack, client, model_stack, stack_settings, wait_task
from tests.support.chapter_api import NOVELS, chapters, novel_command
from tests.support.fake_llm import FakeLLMServer, Reply
from tests.support.sse_client import Stream, open_stream

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

OPF = "{http://www.idpf.org/2007/opf}"
BEATS = ["林舟在灯塔里拆开来自明年的信", "林舟决定去找苏晚"]


def _prose(text: str) -> Reply:
    return Reply(content=text, stream_seconds=0.3)


async def _drafted(http: httpx.AsyncClient, novel_id: str, kind: str, **payload: Any) -> str:
    reply = await novel_command(http, novel_id, kind, payload)
    assert reply.status_code == 202, reply.text
    task_id = str(reply.json()["task_id"])
    assert (await wait_task(http, task_id))["status"] == "COMPLETED"
    return task_id


async def _drafts_until_proposed(stream: Stream) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    drafts: list[dict[str, Any]] = []
    while True:
        sse = await stream.next(within=30)
        if sse.event == "draft":
            drafts.append(json.loads(sse.data))
        elif sse.event == "domain_event":
            envelope: dict[str, Any] = json.loads(sse.data)
            if envelope["event_type"] == DRAFT_PROPOSED:
                return drafts, envelope


async def test_draft_feedback_confirm_with_the_bible_in_the_prompt(
    settings: Settings, clean_db: asyncpg.Pool
) -> None:
    async with model_stack(settings) as stack:
        llm, http = stack.llm, stack.http
        _, novel_id = await finished_novel(http)
        llm.script(Reply.text(json.dumps(BEATS)), _prose("第一段。"), _prose("第二段。"))
        async with open_stream(http, novel_id) as stream:
            reply = await novel_command(http, novel_id, "RequestChapterDraft", {"chapter": 1})
            assert reply.status_code == 202, reply.text
            drafts, proposed = await _drafts_until_proposed(stream)
        assert drafts and {d["chapter"] for d in drafts} == {1}
        assert {d["task_id"] for d in drafts} == {reply.json()["task_id"]}
        assert drafts[-1]["text"].startswith("第一段。")
        assert proposed["payload"]["text"] == "第一段。\n\n第二段。"
        first = (await chapters(http, novel_id))[0]
        assert (first["status"], first["text"], first["beats"]) == (
            "DRAFTED",
            "第一段。\n\n第二段。",
            BEATS,
        )
        # Beats first, then prose per beat; the bible's characters in every prompt.
        asked = [seen.prompt for seen in llm.requests]
        assert len(asked) == 3 and "`beats` list of a JSON object" in asked[0]
        # The beat sheet is held to its schema; prose is text.
        assert [seen.schema_name for seen in llm.requests] == ["chapter_beats", None, None]
        assert all("林舟" in prompt and "来信" in prompt for prompt in asked)
        assert "林舟决定去找苏晚" in asked[2]

        edited = await _revised_and_confirmed(http, llm, novel_id)

        # Chapter 2's prompt holds the confirmed chapter 1's summary; chapter 3 not yet 2's.
        llm.reset()
        llm.script(Reply.text(json.dumps(BEATS)), _prose("二。"), _prose("二二。"))
        await _drafted(http, novel_id, "RequestChapterDraft", chapter=2)
        assert all('"summary": "来信"' in seen.prompt for seen in llm.requests)
        llm.reset()
        llm.script(Reply.text(json.dumps(BEATS[:1])), _prose("三。"))
        await _drafted(http, novel_id, "RequestChapterDraft", chapter=3)
        assert all('"summary": "寻人"' not in seen.prompt for seen in llm.requests)
        await _history_and_rollback(http, novel_id, edited)


async def _revised_and_confirmed(http: httpx.AsyncClient, llm: FakeLLMServer, novel_id: str) -> str:
    """Chapter 1 revised from feedback (the draft and the feedback in every prompt), then
    confirmed with the writer's edit; the edited text."""
    llm.reset()
    llm.script(Reply.text(json.dumps(BEATS)), _prose("紧张的一段。"), _prose("再一段。"))
    await _drafted(http, novel_id, "SubmitChapterFeedback", chapter=1, feedback="更紧张些")
    revised = (await chapters(http, novel_id))[0]
    assert revised["text"] == "紧张的一段。\n\n再一段。"
    assert all("更紧张些" in seen.prompt and "第一段。" in seen.prompt for seen in llm.requests)
    edited = "第一段(改)。\n\n再一段。"
    confirm = await novel_command(http, novel_id, "ConfirmChapter", {"chapter": 1, "text": edited})
    assert confirm.status_code == 200, confirm.text
    assert (await chapters(http, novel_id))[0]["status"] == "CONFIRMED"
    return edited


async def _history_and_rollback(http: httpx.AsyncClient, novel_id: str, edited: str) -> None:
    history = (await http.get(f"{NOVELS}/{novel_id}/history")).json()
    one = history["chapters"][0]
    assert one["chapter"] == 1
    assert [v["kind"] for v in one["versions"]] == ["proposed", "revised", "edited"]
    assert one["versions"][1]["feedback"] == "更紧张些"
    provenance = one["versions"][0]["provenance"]
    assert (provenance["provider"], provenance["model"]) == ("openai", FakeLLMServer.MODEL)
    assert one["versions"][2]["content"]["text"] == edited
    back = one["versions"][0]["event_id"]
    rolled = await novel_command(http, novel_id, "RollbackToVersion", {"event_id": back})
    assert rolled.status_code == 200, rolled.text
    after = await chapters(http, novel_id)
    assert (after[0]["status"], after[0]["text"]) == ("DRAFTED", "第一段。\n\n第二段。")
    # A chapter's version restores that chapter only: chapters 2 and 3 keep their drafts.
    assert [(c["status"], c["text"]) for c in after[1:]] == [
        ("DRAFTED", "二。\n\n二二。"),
        ("DRAFTED", "三。"),
    ]
    again = (await http.get(f"{NOVELS}/{novel_id}/history")).json()["chapters"][0]["versions"]
    assert again[-1]["kind"] == "rolled_back" and again[-1]["target_event_id"] == back
    # The whole novel goes back only when asked: right after chapter 1's first draft there
    # was no chapter 2 or 3.
    whole = {"event_id": back, "scope": "novel"}
    assert (await novel_command(http, novel_id, "RollbackToVersion", whole)).status_code == 200
    assert [c["status"] for c in await chapters(http, novel_id)] == [
        "DRAFTED",
        "PLANNED",
        "PLANNED",
    ]
    odd = await novel_command(http, novel_id, "RollbackToVersion", {"event_id": back, "scope": "x"})
    assert odd.status_code == 422
    stranger = await novel_command(
        http, novel_id, "RollbackToVersion", {"event_id": str(uuid.uuid4())}
    )
    assert stranger.status_code == 422 and stranger.json()["error_code"] == "INVALID_VERSION"


async def test_the_offline_writer_drafts_readable_chapters(
    settings: Settings, clean_db: asyncpg.Pool
) -> None:
    config = stack_settings(settings)
    async with agent_stack(config) as server, client(server, config, uuid.uuid4()) as http:
        _, novel_id = await finished_novel(http)
        await _drafted(http, novel_id, "RequestChapterDraft", chapter=1)
        drafted = (await chapters(http, novel_id))[0]
        assert drafted["status"] == "DRAFTED" and len(drafted["beats"]) >= 3
        assert "林舟" in drafted["text"] and len(drafted["text"]) >= 300
        await _drafted(http, novel_id, "SubmitChapterFeedback", chapter=1, feedback="多写灯塔")
        revised = (await chapters(http, novel_id))[0]
        assert revised["text"] != drafted["text"]
        confirm = await novel_command(http, novel_id, "ConfirmChapter", {"chapter": 1})
        assert confirm.status_code == 200
        assert (await chapters(http, novel_id))[0]["status"] == "CONFIRMED"
        book = await http.get(f"{NOVELS}/{novel_id}", headers={"Accept": "text/markdown"})
        assert revised["text"].splitlines()[0] in book.text
        wishes = "加一场雨夜追逐。多一些对话"
        await _drafted(http, novel_id, "RequestChapterDraft", chapter=3, wishes=wishes)
        third = (await chapters(http, novel_id))[2]
        # Issue 55: the chase is written, the wish is not pasted, what was not written is said.
        assert "雨夜追逐" in third["text"] and "加一场" not in third["text"]
        assert third["notes"] == ["这一稿没有写进：「多一些对话」。请换个说法，或直接编辑正文。"]
        assert (await novel_command(http, novel_id, "ConfirmChapter", {"chapter": 3})).is_success
        assert (await chapters(http, novel_id))[2]["notes"] == []
        epub = await http.get(f"{NOVELS}/{novel_id}", headers={"Accept": "application/epub+zip"})
        with zipfile.ZipFile(io.BytesIO(epub.content)) as archive:
            names = set(archive.namelist())
            package = ElementTree.fromstring(archive.read("OEBPS/content.opf"))
        assert {"OEBPS/chapter-1.xhtml", "OEBPS/chapter-3.xhtml"} <= names
        assert "OEBPS/chapter-2.xhtml" not in names  # chapter 2 was never confirmed
        spine = [ref.get("idref") for ref in package.iter(f"{OPF}itemref")]
        assert spine == ["bible", "chapter-1", "chapter-3"]


async def test_a_draft_the_model_refuses_fails_and_the_chapter_may_be_asked_again(
    settings: Settings, clean_db: asyncpg.Pool
) -> None:
    # Replies of up to 16,384 tokens: 512 KiB of text within the reply's bound (issue 79), so
    # a reply longer than a chapter may be (below) reaches the chapter's own bound.
    budget = {"llm_context_tokens": 65_536, "llm_reply_tokens": 16_384}
    async with model_stack(settings, **budget) as stack:
        llm, http = stack.llm, stack.http
        _, novel_id = await finished_novel(http)
        llm.script(Reply.error(400))  # refused: not retried
        reply = await novel_command(http, novel_id, "RequestChapterDraft", {"chapter": 2})
        task = await wait_task(http, reply.json()["task_id"])
        assert task["status"] == "FAILED"
        assert [c["status"] for c in await chapters(http, novel_id)] == ["PLANNED"] * 3
        events = await clean_db.fetch(
            "SELECT event_type FROM domain_events WHERE aggregate_id = $1 "
            "ORDER BY aggregate_version",
            novel_id,
        )
        assert [e["event_type"] for e in events] == [
            "Novel.Chapter.DraftRequested",
            "Novel.Chapter.DraftFailed",
        ]
        # An outage is retried under the model gate, as a proposal's call is.
        llm.reset()
        llm.script(Reply.error(500), Reply.text(json.dumps(BEATS[:1])), _prose("二。"))
        await _drafted(http, novel_id, "RequestChapterDraft", chapter=2)
        assert (await chapters(http, novel_id))[1]["text"] == "二。"
        assert len(llm.requests) == 3
        # A model that writes on and on: the draft is bounded as a writer's edit is.
        llm.script(Reply.text(json.dumps(BEATS[:1])), Reply.text("长" * 70_000))
        await _drafted(http, novel_id, "RequestChapterDraft", chapter=3)
        assert (await chapters(http, novel_id))[2]["text"] == "长" * 60_000
