"""How fast a cancelled generation frees the engine (issues 68 and 77), measured from the
engine's own CPU (/proc/<pid>/stat): a Genesis stage (the pipeline's provider, its JSON reply
held to the schema) and a chapter's beat (the pipeline's chapter writer, plain prose) are
started and cancelled, TRIES times each, once the engine works on it and a time drawn at
random (0-3 s: the prompt's evaluation, or the reply's first tokens) later (the model call's
task cancelled: the provider closes the HTTP stream, as the worker does when the writer's
CancelGeneration arrives). Then the engine's threads are sampled every 20 ms
(/proc/<pid>/task/*/stat): it is idle from the last sample with a thread runnable (state R)
that 250 ms of none follow; a share of CPU time would not tell on a machine other work loads,
where a busy engine gets little of it. A try passes when the engine is idle within 1 s of the
cancel; the CPU seconds it used meanwhile are printed too.

Usage (starts its own engine from this checkout; `make model` first):
  .venv/bin/python bench/engine_cancel.py [--tries 10] [--bare]
--bare runs llama-cpp-python's own server (no abort on a closed request) for comparison.
The last line is one JSON object with the figures.
"""

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "apps" / "backend"))
from tests.support.chapters import EN_IDEA, NOVEL, brief, genesis_bible, genesis_confirmed

from infinite_scribe.agents.chapter_writer import ModelChapterWriter
from infinite_scribe.agents.llm.openai_provider import OpenAIProvider
from infinite_scribe.agents.llm.port import GenerationRequest
from infinite_scribe.embedded import local_engine
from infinite_scribe.embedded.local_engine import LocalEngine, resolve_model
from shared_types.enums import GenesisStage

TICK = os.sysconf("SC_CLK_TCK")
WINDOW = 0.25
BEATS = ["The keeper climbs the stair.", "A ship's light answers.", "The letter burns."]


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds the process (all its threads) used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def running_threads(pid: int) -> int:
    """The engine's threads running or waiting for a core (state R): on a machine other work
    loads, a busy engine may get little CPU time, but its threads stay runnable."""
    count = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with suppress(OSError):
            if task.joinpath("stat").read_text().rsplit(")", 1)[1].split()[0] == "R":
                count += 1
    return count


async def busy(pid: int, limit: float = 600.0) -> bool:
    """Wait until the engine works (a thread runnable in 3 samples running)."""
    seen, started = 0, time.monotonic()
    while time.monotonic() - started < limit:
        seen = seen + 1 if running_threads(pid) else 0
        if seen >= 3:
            return True
        await asyncio.sleep(0.02)
    return False


async def idle_after(pid: int, limit: float = 60.0) -> tuple[float, float]:
    """Seconds from now until no thread of the engine was runnable for a whole WINDOW, and the
    CPU seconds it used meanwhile."""
    started, cpu = time.monotonic(), cpu_seconds(pid)
    last_busy = started
    while time.monotonic() - started < limit:
        now = time.monotonic()
        if running_threads(pid):
            last_busy = now
        elif now - last_busy >= WINDOW:
            return last_busy - started, cpu_seconds(pid) - cpu
        await asyncio.sleep(0.02)
    return limit, cpu_seconds(pid) - cpu


async def cancelled_try(call: Any, pid: int, delay: float) -> tuple[float, float]:
    """Start `call()`; once the engine works on it, cancel it after `delay` s more; seconds
    until the engine is idle, and its CPU seconds meanwhile."""
    task = asyncio.create_task(call())
    await busy(pid)
    await asyncio.sleep(delay)
    task.cancel()
    with suppress(asyncio.CancelledError, Exception):
        await task
    return await idle_after(pid)


async def run(tries: int, bare: bool) -> dict[str, Any]:
    if bare:
        local_engine.ENGINE_MODULE = "llama_cpp.server"
    folder = Path(tempfile.mkdtemp(prefix="engine-cancel-"))
    engine = LocalEngine(resolve_model("smollm2"), folder / "engine.log")
    await asyncio.to_thread(engine.start, 600)
    provider = OpenAIProvider(
        base_url=engine.base_url,
        model=engine.model.name,
        timeout=600,
        max_retries=0,
        schema_form="llama_cpp",
        context_tokens=engine.model.context_tokens,
        reply_tokens=1500,
    )
    confirmed = await genesis_confirmed(EN_IDEA)
    earlier = {k: v for k, v in confirmed.items() if k != GenesisStage.PLOT_OUTLINE.value}
    stage = GenerationRequest(NOVEL, GenesisStage.PLOT_OUTLINE, earlier, user_input=EN_IDEA)
    given = brief(await genesis_bible("en"), "en", 2)
    writer = ModelChapterWriter(provider)
    pid = engine.pid
    assert pid is not None
    results: dict[str, list[float]] = {"stage": [], "chapter": []}
    calls = {
        "stage": lambda: provider.generate(stage),
        "chapter": lambda: writer.prose(given, BEATS, 1, lambda _: None),
    }
    rng = random.Random(77)
    try:
        for number in range(tries):
            for kind, call in calls.items():
                # A new prompt each try (nothing cached): the cancel may land in its evaluation.
                given = brief(await genesis_bible("en"), "en", 2, wishes=f"try {number}")
                delay = rng.uniform(0.0, 3.0)
                seconds, cpu = await cancelled_try(call, pid, delay)
                results[kind].append(seconds)
                row = {"try": number, "kind": kind, "cancel_after_busy_s": round(delay, 2)}
                row |= {"idle_after_s": round(seconds, 3), "cpu_s_until_idle": round(cpu, 3)}
                print(json.dumps(row), flush=True)
    finally:
        await provider.aclose()
        engine.stop()
    return {
        "bench": "engine_cancel",
        "tries": tries,
        "engine": local_engine.ENGINE_MODULE,
        "load_average": os.getloadavg()[0],
        **{f"{kind}_within_1s": sum(s <= 1.0 for s in got) for kind, got in results.items()},
        **{f"{kind}_idle_max_s": round(max(got), 3) for kind, got in results.items()},
        **{
            f"{kind}_idle_median_s": round(statistics.median(got), 3)
            for kind, got in results.items()
        },
        "aborted_in_log": engine.log_path.read_text(errors="replace").count("aborted: its client"),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tries", type=int, default=10)
    parser.add_argument("--bare", action="store_true")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.tries, args.bare))), flush=True)
