"""Whether llama-cpp-python's `--cache` (a RAM cache of the engine's states) helps (issue 77):
two books' 4-beat chapters written interleaved on one engine, a call of one then a call of the
other, as two writers' drafts share the engine (it serves one call at a time), once without
and once with the cache, each on an engine of its own (SmolLM2-135M, one thread; `make model`
first). The engine's own log says the prompt tokens it evaluated and its time; the replies are
cut short (the prompt is what a cache changes).

Usage: .venv/bin/python bench/engine_cache.py [--reply-tokens 16] [--books 2]
(`--books 1`: one writer's chapter alone, in order: what the cache costs where it cannot help.)
The last line is one JSON object with the figures.
"""

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "apps" / "backend"))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/engine_prefix.py's helpers
from tests.support.chapters import brief, genesis_bible

from engine_prefix import FILL, _since, _size, engine_figures
from infinite_scribe.agents.llm.chapter_prompts import beats_messages, prose_messages
from infinite_scribe.embedded.local_engine import LocalEngine, resolve_model


async def interleaved_calls(count: int) -> list[list[dict[str, str]]]:
    """The calls of `count` books' chapters (beats, then four beats' prose), one of each in
    turn (1: one writer's chapter, in order)."""
    books = []
    for language, wishes in (("en", "A storm at sea"), ("zh", "海上起了风暴"))[:count]:
        given = brief(await genesis_bible(language), language, 2, wishes=wishes)
        books.append([beats_messages(given)] + [prose_messages(given, FILL, i) for i in range(4)])
    return [call for pair in zip(*books, strict=True) for call in pair]


async def one_engine(cache: bool, calls: list[list[dict[str, str]]], reply: int) -> dict[str, Any]:
    import httpx

    folder = Path(tempfile.mkdtemp(prefix="engine-cache-"))
    engine = LocalEngine(resolve_model("smollm2"), folder / "engine.log", threads=1)
    command = engine.command
    extra = ["--cache", "true"] if cache else []
    engine.command = lambda: [*command(), *extra]  # type: ignore[method-assign]
    await asyncio.to_thread(engine.start, 600)
    try:
        mark = await asyncio.to_thread(_size, engine.log_path)
        started = time.monotonic()
        async with httpx.AsyncClient(timeout=3600) as http:
            for messages in calls:
                body = {"model": engine.model.name, "messages": messages, "max_tokens": reply}
                reply_ = await http.post(f"{engine.base_url}/chat/completions", json=body)
                reply_.raise_for_status()
        wall = time.monotonic() - started
        log = await asyncio.to_thread(_since, engine.log_path, mark)
    finally:
        engine.stop()
    return engine_figures(log) | {"wall_s": round(wall, 1), "cache": cache}


async def main(reply: int, books: int) -> None:
    calls = await interleaved_calls(books)
    found = {}
    for cache in (False, True):
        found[cache] = await one_engine(cache, calls, reply)
        print(json.dumps(found[cache]), flush=True)
    off, on = found[False], found[True]
    print(
        json.dumps(
            {
                "bench": "engine_cache",
                "books": books,
                "calls": len(calls),
                "load_average": os.getloadavg()[0],
                "evaluated_without": off["evaluated"],
                "evaluated_with": on["evaluated"],
                "wall_s_without": off["wall_s"],
                "wall_s_with": on["wall_s"],
                "speedup": round(off["wall_s"] / on["wall_s"], 2),
            }
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reply-tokens", type=int, default=16)
    parser.add_argument("--books", type=int, choices=(1, 2), default=2)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.reply_tokens, arguments.books))
