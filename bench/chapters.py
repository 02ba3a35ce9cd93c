"""Chapters at the model's pace (issue 39): a writer drafts chapters of a finished novel while
following the novel's live stream; the model (the tests' fake OpenAI-protocol server on
loopback) plans 8 beats at once, then writes each beat's prose at 30 tokens/s. `scribe api`,
`scribe relay` and `scribe worker` run as separate processes on a fresh database and broker.

Prints, per chapter: the first draft on the writer's screen after the model's first prose
token (SSE client receiving the first `draft` event), and 202 -> task COMPLETED against the
model's own writing time (beats x beat time).

Targets: first draft <= 300 ms after the model's first token; a chapter of 8 beats at 30
tokens/s completes in beats x beat time + <= 1 s of overhead.
Usage: python bench/chapters.py   (BENCH_CHAPTERS: chapters drafted, default 3)
"""

import asyncio
import json
import os
import secrets
import sys
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import uvloop

from commands import HOST, api_process, services
from infinite_scribe.api.auth import create_access_token
from infinite_scribe.settings.settings import Settings
from worker import background, finished

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "apps" / "backend"))
from tests.integration.test_novels import BIBLE
from tests.support.fake_llm import FakeLLMServer, Reply

BEATS = 8
TOKENS_PER_SECOND = 30
#: Tokens of one beat's prose (a beat is 200-300 words; 30 tokens keeps the run short, and
#: the overhead per beat is what the target bounds).
BEAT_TOKENS = 30
BEAT_SECONDS = BEAT_TOKENS / TOKENS_PER_SECOND


async def finished_novel(http: httpx.AsyncClient) -> str:
    session = (await http.post("/api/v1/genesis/sessions")).json()["session_id"]
    for stage, data in BIBLE.items():
        body = {"command_type": "ConfirmStage", "payload": {"stage": stage, "data": data}}
        reply = await http.post(f"/api/v1/genesis/sessions/{session}/commands", json=body)
        assert reply.status_code == 200, reply.text
    state = (await http.get(f"/api/v1/genesis/sessions/{session}/state")).json()
    return str(state["novel_id"])


async def first_draft(http: httpx.AsyncClient, novel_id: str, opened: asyncio.Event) -> float:
    """When the novel's stream delivers its first `draft` (epoch)."""
    async with http.stream("GET", f"/api/v1/events/stream?context_id={novel_id}") as response:
        assert response.status_code == 200, await response.aread()
        event = None
        async for line in response.aiter_lines():
            if line.startswith(":"):
                opened.set()
            elif line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "draft":
                return time.time()
    raise AssertionError("the stream ended")


async def chapter(
    http: httpx.AsyncClient, url: str, llm: FakeLLMServer, novel_id: str, number: int
) -> dict[str, float]:
    llm.reset()
    llm.first_tokens.clear()
    beats = json.dumps([f"第{n}拍, 林舟在灯塔里" for n in range(1, BEATS + 1)], ensure_ascii=False)
    prose = "雾" * BEAT_TOKENS
    llm.script(Reply.text(beats), *[Reply(content=prose, stream_seconds=BEAT_SECONDS)] * BEATS)
    opened = asyncio.Event()
    reader = asyncio.create_task(first_draft(http, novel_id, opened))
    await asyncio.wait_for(opened.wait(), 30)
    body = {"command_type": "RequestChapterDraft", "payload": {"chapter": number}}
    sent = time.time()
    reply = await http.post(f"/api/v1/novels/{novel_id}/commands", json=body)
    assert reply.status_code == 202, reply.text
    task = reply.json()["task_id"]
    done = (await finished(url, {task: sent}, 120))[task]
    drafted = await asyncio.wait_for(reader, 30)
    # The first prose reply is the second request's (the first plans the beats).
    prose_first_token = llm.first_tokens[1][1]
    model_seconds = BEATS * BEAT_SECONDS
    return {
        "chapter": number,
        "first_draft_ms": round((drafted - prose_first_token) * 1000, 1),
        "complete_s": round(done - sent, 3),
        "model_s": model_seconds,
        "overhead_s": round(done - sent - model_seconds, 3),
        "calls": len(llm.requests),
    }


async def run(port: int, token: str, url: str, llm: FakeLLMServer, count: int) -> list[Any]:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        base_url=f"http://{HOST}:{port}", headers=headers, timeout=None
    ) as http:
        novel_id = await finished_novel(http)
        # Warm-up: the worker joins its group, every connection is made.
        await chapter(http, url, llm, novel_id, 1)
        return [await chapter(http, url, llm, novel_id, n) for n in range(1, count + 1)]


def main() -> None:
    count = int(os.environ.get("BENCH_CHAPTERS", "3"))
    secret = secrets.token_urlsafe(48)
    token = create_access_token(Settings(jwt_secret_key=secret), uuid.uuid4())  # type: ignore[arg-type]
    with services() as (database_url, servers), ExitStack() as stack:
        llm = stack.enter_context(FakeLLMServer())
        env = os.environ | {
            "DATABASE_URL": database_url,
            "KAFKA_BOOTSTRAP_SERVERS": servers,
            "JWT_SECRET_KEY": secret,
            "LOG_LEVEL": "WARNING",
            "RELAY_METRICS_PORT": "0",
            "WORKER_METRICS_PORT": "0",
            "LLM_PROVIDER": "openai",
            "LLM_BASE_URL": llm.base_url,
            "LLM_MODEL": FakeLLMServer.MODEL,
            "LLM_TIMEOUT_SECONDS": "120",
        }
        os.environ.setdefault("API_METRICS_PORT", "0")
        stack.enter_context(background("relay", env))
        stack.enter_context(background("worker", env))
        port, _ = stack.enter_context(api_process(database_url, servers, secret, None))
        results = uvloop.run(run(port, token, database_url, llm, count))
    for r in results:
        print(
            f"chapter {r['chapter']}: first draft {r['first_draft_ms']:.0f} ms after the model's "
            f"first token; 202 -> COMPLETED {r['complete_s']:.2f} s for {r['model_s']:.2f} s of "
            f"model writing ({BEATS} beats x {BEAT_SECONDS:.2f} s): overhead "
            f"{r['overhead_s']:.2f} s; {r['calls']:.0f} model calls"
        )
    print(json.dumps({"bench": "chapters", "results": results}))


if __name__ == "__main__":
    main()
