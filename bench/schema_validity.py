"""First-attempt schema validity on a real engine (issue 68): N stage requests, round-robin over
the five genesis stages (an English idea with a named hero; the earlier stages confirmed from
the offline generator's proposals), each sent ONCE through the OpenAI-compatible provider (no
gate, no retry) in the configured schema form; a reply counts as valid when the stage's
Pydantic model accepts it. Prints the share, the failures by code, seconds, tokens and tokens/s
per stage, and the prompt's count before the call against the engine's `usage`.

Usage (an engine already running, e.g. `python -m llama_cpp.server --model ... --port 8765`):
  .venv/bin/python bench/schema_validity.py --base-url http://127.0.0.1:8765/v1 \
      --model smollm2 --requests 100 --form llama_cpp
The last line is one JSON object with the figures.
"""

import argparse
import asyncio
import json
import statistics
import time
from collections import Counter, defaultdict
from typing import Any
from uuid import uuid4

from infinite_scribe.agents.llm.offline import OfflineGenerator
from infinite_scribe.agents.llm.openai_provider import OpenAIProvider
from infinite_scribe.agents.llm.port import GenerationError, GenerationRequest, metering
from infinite_scribe.agents.llm.prompts import PROMPT_STAGES, render
from infinite_scribe.agents.llm.window import estimate_messages
from infinite_scribe.domain.estimates import tokens
from infinite_scribe.domain.proposals import PROPOSAL_META

IDEA = (
    "Mara Quill, a lighthouse keeper on a drowned coast, hears the sea speak the names of "
    "ships that have not sunk yet."
)


async def confirmed_stages() -> dict[str, dict[str, Any]]:
    """What a writer confirmed at each stage: the offline generator's proposals, in order."""
    offline, session = OfflineGenerator(), uuid4()
    confirmed: dict[str, dict[str, Any]] = {}
    for stage in PROMPT_STAGES:
        request = GenerationRequest(
            session_id=session, stage=stage, confirmed_data=dict(confirmed), user_input=IDEA
        )
        data = (await offline.generate(request)).model_dump(mode="json", exclude=set(PROPOSAL_META))
        confirmed[stage.value] = data["concepts"][0] if "concepts" in data else data
    return confirmed


async def estimates(provider: OpenAIProvider, confirmed: dict[str, Any]) -> dict[str, Any]:
    """Each stage's prompt counted three ways: the API's estimate before a generation (issue 55,
    four characters a token), the window's safe estimate, and the engine's tokenizer."""
    rows = {}
    for stage in PROMPT_STAGES:
        request = GenerationRequest(
            session_id=uuid4(), stage=stage, confirmed_data=confirmed, user_input=IDEA
        )
        prompt = render(request)
        sent = [
            {"role": "system", "content": prompt.system},
            {"role": "user", "content": prompt.user},
        ]
        engine = await provider.window.exact(sent)
        rows[stage.value] = {
            "engine_tokenizer": engine,
            "api_estimate": sum(tokens(message["content"]) for message in sent),
            "safe_estimate": estimate_messages(sent),
        }
    return rows


async def one(provider: OpenAIProvider, request: GenerationRequest) -> dict[str, Any]:
    started = time.monotonic()
    with metering() as usage:
        try:
            proposal = await provider.generate(request)
            outcome, error = "valid", None
            hero = IDEA.split(",")[0] in json.dumps(proposal.model_dump(mode="json"))
        except GenerationError as failed:
            outcome, error, hero = failed.code, failed.message[:200], False
    return {
        "stage": request.stage.value,
        "outcome": outcome,
        "error": error,
        "hero_named": hero,
        "seconds": time.monotonic() - started,
        "tokens_in": usage.tokens_in,
        "tokens_out": usage.tokens_out,
        "tokens_counted": usage.tokens_counted,
        "tokens_per_second": usage.tokens_per_second,
    }


def summary(results: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    valid = sum(result["outcome"] == "valid" for result in results)
    by_stage: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for result in results:
        by_stage[result["stage"]].append(result)
    stages = {
        stage: {
            "requests": len(rows),
            "valid": sum(row["outcome"] == "valid" for row in rows),
            "seconds_median": round(statistics.median(row["seconds"] for row in rows), 2),
            "tokens_out_median": statistics.median(row["tokens_out"] or 0 for row in rows),
            "hero_named": sum(row["hero_named"] for row in rows),
        }
        for stage, rows in by_stage.items()
    }
    speeds = [row["tokens_per_second"] for row in results if row["tokens_per_second"]]
    ratios = [
        row["tokens_in"] / row["tokens_counted"]
        for row in results
        if row["tokens_in"] and row["tokens_counted"]
    ]
    return {
        "bench": "schema_validity",
        "model": args.model,
        "form": args.form,
        "requests": len(results),
        "first_attempt_valid": valid,
        "first_attempt_valid_share": round(valid / max(len(results), 1), 3),
        "failures": dict(Counter(r["outcome"] for r in results if r["outcome"] != "valid")),
        "context_errors": sum("context" in (r["error"] or "").lower() for r in results),
        "tokens_per_second_median": round(statistics.median(speeds), 1) if speeds else None,
        "reported_per_counted_median": round(statistics.median(ratios), 3) if ratios else None,
        "stages": stages,
        "load_average": round(__import__("os").getloadavg()[0], 1),
    }


async def main(args: argparse.Namespace) -> None:
    confirmed = await confirmed_stages()
    provider = OpenAIProvider(
        base_url=args.base_url,
        model=args.model,
        timeout=args.timeout,
        max_retries=0,
        schema_form=args.form,
        context_tokens=args.context,
        reply_tokens=args.reply_tokens,
    )
    results = []
    try:
        print(json.dumps({"prompt_counts": await estimates(provider, confirmed)}), flush=True)
        if args.estimates_only:
            return
        for number in range(args.requests):
            stage = PROMPT_STAGES[number % len(PROMPT_STAGES)]
            request = GenerationRequest(
                session_id=uuid4(), stage=stage, confirmed_data=confirmed, user_input=IDEA
            )
            result = await one(provider, request)
            results.append(result)
            print(json.dumps({"n": number} | result), flush=True)
    finally:
        await provider.aclose()
    print(json.dumps(summary(results, args)), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--form", default="llama_cpp")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--context", type=int, default=8192)
    parser.add_argument("--reply-tokens", type=int, default=2048)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--estimates-only", action="store_true", help="count prompts, no calls")
    asyncio.run(main(parser.parse_args()))
