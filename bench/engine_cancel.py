"""How fast a cancelled generation frees the engine (issue 68): a long reply is streamed, cancelled
after its first drafts (the provider closes the HTTP stream), and a one-token request is sent at
once; its time to the first token, less the same request's on the idle engine, is how long the
engine kept writing for nobody. Also prints the time to the first draft token of a stage.

Usage (an engine already running, with --interrupt_requests false):
  .venv/bin/python bench/engine_cancel.py --base-url http://127.0.0.1:8765/v1 --trials 5
The last line is one JSON object with the figures.
"""

import argparse
import asyncio
import json
import statistics
import time
from contextlib import suppress

from infinite_scribe.agents.llm.openai_provider import OpenAIProvider

LONG = [
    {"role": "system", "content": "You are a storyteller who never stops early."},
    {"role": "user", "content": "Tell a very long story about a lighthouse keeper named Mara."},
]
TINY = [{"role": "user", "content": "Say yes."}]


async def first_token(provider: OpenAIProvider, messages: list[dict[str, str]]) -> float:
    """Seconds to the first draft of `messages` (the call is then cancelled)."""
    arrived = asyncio.Event()
    started = time.monotonic()
    call = asyncio.create_task(provider.complete_text(messages, lambda _: arrived.set()))
    await arrived.wait()
    seconds = time.monotonic() - started
    call.cancel()
    with suppress(asyncio.CancelledError, Exception):
        await call
    return seconds


async def trial(provider: OpenAIProvider) -> dict[str, float]:
    idle = await first_token(provider, TINY)
    drafts: list[str] = []
    enough = asyncio.Event()

    def draft(text: str) -> None:
        drafts.append(text)
        if len(drafts) >= 10:
            enough.set()

    writing = asyncio.create_task(provider.complete_text(LONG, draft))
    await enough.wait()
    writing.cancel()
    with suppress(asyncio.CancelledError):
        await writing
    after_cancel = await first_token(provider, TINY)
    return {"idle": idle, "after_cancel": after_cancel, "freed_in": after_cancel - idle}


async def main(args: argparse.Namespace) -> None:
    provider = OpenAIProvider(
        base_url=args.base_url, model=args.model, timeout=600, max_retries=0, reply_tokens=1500
    )
    rows = []
    try:
        for number in range(args.trials):
            rows.append(await trial(provider))
            print(json.dumps({"trial": number} | rows[-1]), flush=True)
    finally:
        await provider.aclose()
    freed = [row["freed_in"] for row in rows]
    print(
        json.dumps(
            {
                "bench": "engine_cancel",
                "trials": len(rows),
                "freed_in_median_s": round(statistics.median(freed), 3),
                "freed_in_max_s": round(max(freed), 3),
                "idle_first_token_median_s": round(statistics.median(r["idle"] for r in rows), 3),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--trials", type=int, default=5)
    asyncio.run(main(parser.parse_args()))
