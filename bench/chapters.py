# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""Chapters at the model's pace (issue 39): a writer drafts the chapters of a finished novel one
after another while following the novel's live stream; the model (a fake OpenAI-protocol server
on loopback) plans 8 beats at once, then writes each beat's prose at 30 tokens/s after a first
token delay. `scribe api`, `scribe relay` and `scribe worker` run as separate processes on a
fresh database and broker, with LLM_PROVIDER=openai.

Prints, with each target and whether it is met:
(a) first draft on the writer's screen: from the model's first prose token (as the model server
    sent it) to the writer's SSE client receiving the chapter's first `draft` event, p50/p95/max
    over the chapters; target <= 300 ms.
(b) a chapter of 8 beats: 202 -> the chapter's task COMPLETED, minus 8 x the beat time the model
    takes (first token delay + tokens / 30 per second); the rest is overhead, target <= 1 s per
    chapter (the beat-planning call is answered at once and counts as overhead). Also shown: when
    the writer's stream carried the `Novel.Chapter.DraftProposed` event, and the part of the
    overhead outside the model (the time minus what the model server really took over its
    calls).

Usage: .venv/bin/python bench/chapters.py   (BENCH_QUICK=1: 3 chapters of 1 s beats; default:
8 chapters of 2.2 s beats), after one warm-up chapter that is not measured. BENCH_CHAPTERS
overrides the number of measured chapters.
"""

import asyncio
import json
import os
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvloop
from aiohttp import web

from _harness import HOST, api_port, background, bench_user, percentile, services, system_env
from worker import finished

# The fake model server is the tests' one (one implementation of the protocol).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "apps" / "backend"))
from tests.support import fake_llm
from tests.support.fake_llm import FakeLLMServer, Reply, SeenRequest

BEATS = 8
TOKENS_PER_SECOND = 30.0
FIRST_TOKEN = 0.2  # seconds before each reply's first token
QUICK = bool(os.environ.get("BENCH_QUICK"))
#: Tokens per beat's prose (one Chinese character each): 1 s of writing quick, 2 s full.
TOKENS = 31 if QUICK else 61
CHAPTERS = int(os.environ.get("BENCH_CHAPTERS", "3" if QUICK else "8"))
#: What one beat takes the model: the first token, then one token every 1/30 s.
BEAT_SECONDS = FIRST_TOKEN + (TOKENS - 1) / TOKENS_PER_SECOND
FIRST_DRAFT_TARGET_MS = 300.0
OVERHEAD_TARGET_S = 1.0
PROSE = "雾从海面漫上来，林舟提着灯走上塔顶，信纸在他掌心里微微发烫，远处的钟声一下一下敲着。"
PROPOSED = "Novel.Chapter.DraftProposed"


class TimedLLM(FakeLLMServer):
    """The fake model server streaming one chunk per token on a fixed schedule (token k at
    first token + k / 30 s, so late sleeps on a loaded machine do not add up), and noting how
    long it took over each call (request in -> reply out)."""

    def __init__(self) -> None:
        super().__init__()
        self.spans: list[tuple[float, float]] = []

    async def _respond(self, request: Any, seen: SeenRequest, reply: Reply) -> Any:
        started = time.time()
        try:
            return await super()._respond(request, seen, reply)
        finally:
            self.spans.append((started, time.time()))

    async def _stream(
        self, request: web.Request, seen: SeenRequest, content: str, reply: Reply
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        pieces = fake_llm._pieces(content, len(content))  # one token per chunk
        gap = reply.stream_seconds / max(len(pieces) - 1, 1)
        start = time.monotonic()
        for number, piece in enumerate(pieces):
            await asyncio.sleep(max(start + number * gap - time.monotonic(), 0))
            delta: dict[str, Any] = {"content": piece}
            if number == 0:
                delta["role"] = "assistant"
                self.first_tokens.append((seen.prompt, time.time()))
            await response.write(fake_llm._chunk(seen.body, delta, None))
        await response.write(fake_llm._chunk(seen.body, {}, reply.finish_reason))
        usage = {"prompt_tokens": len(seen.prompt), "completion_tokens": len(pieces)}
        last = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "choices": []}
        await response.write(b"data: " + json.dumps(last | {"usage": usage}).encode() + b"\n\n")
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response


def bible(chapters: int) -> dict[str, dict[str, Any]]:
    """A finished Genesis in Chinese whose outline has `chapters` chapters."""
    return {
        "CONCEPT_SELECTION": {
            "title": "雾港",
            "logline": "在一座沉没的城市，守灯人收到一封来自明年的信。",
            "themes": ["科幻", "悬疑"],
            "tone": "沉静",
        },
        "STORY_CONCEPTION": {
            "premise": "守灯人收到一封来自明年的信。",
            "synopsis": "起初只是一件私事。",
            "conflicts": ["守灯人与秘密的守护者"],
        },
        "WORLDVIEW": {
            "setting": "潮水之下的城市",
            "rules": ["每一个承诺都会被记录"],
            "locations": [{"name": "灯塔", "description": "最后的光"}],
        },
        "CHARACTERS": {
            "characters": [
                {"name": "林舟", "role": "主角", "description": "守灯人", "arc": "放下"}
            ],
            "relationships": [],
        },
        "PLOT_OUTLINE": {
            "acts": [
                {
                    "title": "第1幕",
                    "summary": "信",
                    "chapters": [
                        {"title": f"第{n}章", "summary": f"第{n}封信"}
                        for n in range(1, chapters + 1)
                    ],
                }
            ]
        },
    }


def model_replies() -> list[Reply]:
    """One chapter's model calls: the beats at once, then each beat's prose at 30 tokens/s."""
    beats = json.dumps([f"第{n}拍：林舟读信" for n in range(1, BEATS + 1)], ensure_ascii=False)
    prose = (PROSE * (TOKENS // len(PROSE) + 1))[:TOKENS]
    stream = (TOKENS - 1) / TOKENS_PER_SECOND
    return [
        Reply.text(beats),
        *(Reply(content=prose, delay=FIRST_TOKEN, stream_seconds=stream) for _ in range(BEATS)),
    ]


async def finished_novel(http: httpx.AsyncClient) -> str:
    """A Genesis session confirmed stage by stage with `bible`'s data; its novel's id."""
    created = await http.post("/api/v1/genesis/sessions")
    assert created.status_code == 201, created.text
    session = created.json()["session_id"]
    for stage, data in bible(CHAPTERS + 1).items():
        body = {"command_type": "ConfirmStage", "payload": {"stage": stage, "data": data}}
        reply = await http.post(f"/api/v1/genesis/sessions/{session}/commands", json=body)
        assert reply.status_code == 200, reply.text
    state = (await http.get(f"/api/v1/genesis/sessions/{session}/state")).json()
    return str(state["novel_id"])


@dataclass
class Stream:
    """The novel's live stream as the writer's client receives it: (arrival, event, data)."""

    seen: list[tuple[float, str, dict[str, Any]]] = field(default_factory=list)
    opened: asyncio.Event = field(default_factory=asyncio.Event)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def follow(self, http: httpx.AsyncClient, novel_id: str) -> None:
        url = f"/api/v1/events/stream?context_id={novel_id}"
        async with http.stream("GET", url) as response:
            assert response.status_code == 200, (response.status_code, await response.aread())
            event = ""
            async for line in response.aiter_lines():
                if line.startswith(":"):
                    self.opened.set()
                elif line.startswith("event: "):
                    event = line[7:]
                    self.opened.set()
                elif line.startswith("data: ") and event in ("draft", "domain_event"):
                    self.seen.append((time.time(), event, json.loads(line[6:])))
                    self.changed.set()

    async def first(self, since: float, wanted: Any, within: float) -> float | None:
        """When the first event after `since` that `wanted(event, data)` accepts arrived."""
        deadline = time.monotonic() + within
        while True:
            for at, event, data in self.seen:
                if at >= since and wanted(event, data):
                    return at
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except TimeoutError:
                return None


def chapter_of(data: dict[str, Any]) -> int | None:
    found = data.get("chapter", (data.get("payload") or {}).get("chapter"))
    return int(found) if found is not None else None


async def one_chapter(
    http: httpx.AsyncClient, llm: TimedLLM, stream: Stream, url: str, novel: str, n: int
) -> dict[str, float]:
    """Draft chapter `n`; its figures (seconds, epoch times from this machine's clock)."""
    llm.reset()
    llm.first_tokens.clear()
    llm.spans.clear()
    llm.script(*model_replies())
    body = {"command_type": "RequestChapterDraft", "payload": {"chapter": n}}
    sent = time.time()
    reply = await http.post(f"/api/v1/novels/{novel}/commands", json=body)
    accepted = time.time()
    assert reply.status_code == 202, reply.text
    task = reply.json()["task_id"]
    done = (await finished(url, {task: accepted}, 120 + BEATS * BEAT_SECONDS * 3))[task]
    proposed = await stream.first(
        sent, lambda e, d: e == "domain_event" and d.get("event_type") == PROPOSED, 30
    )
    drafted = await stream.first(sent, lambda e, d: e == "draft" and chapter_of(d) == n, 5)
    planning = llm.requests[0].prompt
    prose_tokens = [at for prompt, at in llm.first_tokens if prompt != planning]
    assert len(llm.requests) == 1 + BEATS, f"{len(llm.requests)} model calls for chapter {n}"
    assert drafted is not None and prose_tokens, f"no draft seen for chapter {n}"
    return {
        "chapter": n,
        "first_draft_ms": (drafted - prose_tokens[0]) * 1000,
        "complete_s": done - accepted,
        "overhead_s": done - accepted - BEATS * BEAT_SECONDS,
        "on_stream_s": (proposed - accepted) if proposed is not None else float("nan"),
        "model_s": sum(end - start for start, end in llm.spans),
        "outside_model_s": done - accepted - sum(end - start for start, end in llm.spans),
    }


async def scenario(port: int, headers: dict[str, str], url: str, llm: TimedLLM) -> list[Any]:
    async with httpx.AsyncClient(
        base_url=f"http://{HOST}:{port}", headers=headers, timeout=None
    ) as http:
        novel = await finished_novel(http)
        stream = Stream()
        reader = asyncio.create_task(stream.follow(http, novel))
        try:
            await asyncio.wait_for(stream.opened.wait(), 30)
            # Chapter 1 warms up (the worker joins its group, connections open); not measured.
            await one_chapter(http, llm, stream, url, novel, 1)
            return [
                await one_chapter(http, llm, stream, url, novel, n) for n in range(2, CHAPTERS + 2)
            ]
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)


def verdict(value: float, target: float) -> str:
    return "met" if value <= target else "MISSED"


def report(results: list[dict[str, float]]) -> None:
    drafts = [r["first_draft_ms"] for r in results]
    overheads = [r["overhead_s"] for r in results]
    for r in results:
        print(
            f"chapter {r['chapter']:.0f}: first draft {r['first_draft_ms']:.0f} ms after the "
            f"model's first token; 202 -> COMPLETED {r['complete_s']:.2f} s "
            f"(overhead {r['overhead_s']:.2f} s; the model server took {r['model_s']:.2f} s, "
            f"the rest {r['outside_model_s']:.2f} s); DraftProposed on the stream after "
            f"{r['on_stream_s']:.2f} s"
        )
    p50, p95, top = (percentile(drafts, q) for q in (0.5, 0.95, 1.0))
    print(
        f"(a) first draft on screen after the model's first token, {len(drafts)} chapters: "
        f"p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {top:.0f} ms; target <= "
        f"{FIRST_DRAFT_TARGET_MS:.0f} ms: p95 {verdict(p95, FIRST_DRAFT_TARGET_MS)}, max "
        f"{verdict(top, FIRST_DRAFT_TARGET_MS)}"
    )
    o50, worst = percentile(overheads, 0.5), max(overheads)
    outside = [r["outside_model_s"] for r in results]
    print(
        f"(b) a chapter of {BEATS} beats at {TOKENS_PER_SECOND:.0f} tokens/s (beat "
        f"{BEAT_SECONDS:.2f} s: {TOKENS} tokens, first after {FIRST_TOKEN:g} s; "
        f"{BEATS} x beat = {BEATS * BEAT_SECONDS:.2f} s): overhead p50 {o50:.2f} s, max "
        f"{worst:.2f} s; target <= {OVERHEAD_TARGET_S:g} s: {verdict(worst, OVERHEAD_TARGET_S)}"
    )
    print(
        f"    of which outside the model (202 -> COMPLETED minus the time the model server "
        f"actually took over the chapter's {1 + BEATS} calls): "
        f"p50 {percentile(outside, 0.5):.2f} s, max {max(outside):.2f} s"
    )
    summary = {
        "bench": "chapters",
        "quick": QUICK,
        "beat_seconds": BEAT_SECONDS,
        "first_draft_ms": {"p50": p50, "p95": p95, "max": top},
        "overhead_s": {"p50": o50, "max": worst},
        "outside_model_s": {"p50": percentile(outside, 0.5), "max": max(outside)},
        "results": results,
    }
    print(json.dumps(summary))


def main() -> None:
    user = bench_user()
    secret, headers = user.secret, user.headers
    with services() as (database_url, servers), ExitStack() as stack:
        llm = stack.enter_context(TimedLLM())
        env = system_env(
            database_url,
            servers,
            secret,
            LLM_PROVIDER="openai",
            LLM_BASE_URL=llm.base_url,
            LLM_MODEL=FakeLLMServer.MODEL,
            LLM_TIMEOUT_SECONDS="120",
        )
        env["API_METRICS_PORT"] = os.environ.get("API_METRICS_PORT", "0")
        stack.enter_context(background("relay", env))
        stack.enter_context(background("worker", env))
        port, _ = stack.enter_context(api_port(env))
        results = uvloop.run(scenario(port, headers, database_url, llm))
    report(results)


if __name__ == "__main__":
    main()
