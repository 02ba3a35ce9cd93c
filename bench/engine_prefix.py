"""Prompts laid out for the engine's cache (issue 77), A/B on the local engine: this checkout
against an older one (default dd15789, checked out with `git worktree add` beside this one),
each with its own engine (SmolLM2-135M, `make model` first, one thread each), both sides at
once: on a machine other work loads, both meet the same load.

Each side writes a 4-beat chapter through the pipeline's own chapter writer (the beats call,
then 4 prose calls; the model's beats padded or cut to 4), then sends the five Genesis stages'
prompts of one session (each stage's prompt as the pipeline renders it, the stages before
confirmed from the offline generator, a short reply: the prompt is what the layout changes).
From the engine's own log: the prompt tokens it evaluated (llama.cpp's "prompt eval ... N
tokens") against one beat's prompt, and its own time per request ("total time"), whose sum
over the chapter's wall time is the engine's share (the rest: the pipeline's own overhead).

Usage: .venv/bin/python bench/engine_prefix.py [--base dd15789] [--reply-tokens 64] [--tokens]
The last line is one JSON object with the figures. `--tokens` runs no model: each side's prompts
are tokenized by the model's own tokenizer (its chat template applied) and each call's evaluated
tokens computed as the engine's prefix match does (the prompt less its common prefix with the
call before): the layout's figure alone, in seconds, whatever the machine's load.
"""

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PROMPT_EVAL = re.compile(r"prompt eval time =\s*([\d.]+) ms /\s*(\d+) tokens")
TOTAL = re.compile(r"total time =\s*([\d.]+) ms")
PREFIX = re.compile(r"(\d+) prefix-match hit, remaining (\d+) prompt tokens")
FILL = ["The keeper climbs the stair.", "A ship's light answers.", "The letter burns.", "Dawn."]


def engine_figures(log: str) -> dict[str, float]:
    """What the engine's log says of the requests in `log`."""
    evaluated = sum(int(n) for _, n in PROMPT_EVAL.findall(log))
    prompt_seconds = sum(float(ms) for ms, _ in PROMPT_EVAL.findall(log)) / 1000
    engine_seconds = sum(float(ms) for ms in TOTAL.findall(log)) / 1000
    return {"evaluated": evaluated, "prompt_s": prompt_seconds, "engine_s": engine_seconds}


async def chapter(provider: Any, log: Path, reply_tokens: int) -> dict[str, Any]:
    from tests.support.chapters import brief, genesis_bible

    from infinite_scribe.agents.chapter_writer import ModelChapterWriter
    from infinite_scribe.agents.llm.chapter_prompts import prose_messages
    from infinite_scribe.agents.llm.port import InvalidOutput

    given = brief(await genesis_bible("en"), "en", 2, wishes="A storm at sea")
    writer = ModelChapterWriter(provider)
    mark = await asyncio.to_thread(_size, log)
    started = time.monotonic()
    beats = FILL
    # A reply cut at the bench's token limit is still a call the engine made (its time counts).
    with suppress(InvalidOutput):
        beats = (await writer.beats(given) + FILL)[:4]
    for index in range(4):
        with suppress(InvalidOutput):
            await writer.prose(given, beats, index, lambda _: None)
    wall = time.monotonic() - started
    one_beat = await provider.window.exact(prose_messages(given, beats, 3))
    figures = engine_figures(await asyncio.to_thread(_since, log, mark))
    return figures | {"wall_s": wall, "one_beat_prompt": one_beat, "calls": 5}


async def genesis(provider: Any, log: Path, base_url: str) -> dict[str, Any]:
    import httpx
    from tests.support.chapters import EN_IDEA, NOVEL, genesis_confirmed

    from infinite_scribe.agents.llm.port import GenerationRequest
    from infinite_scribe.agents.llm.prompts import PROMPT_STAGES, render

    confirmed = await genesis_confirmed(EN_IDEA)
    mark = await asyncio.to_thread(_size, log)
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=3600, trust_env=False) as http:
        for number, stage in enumerate(PROMPT_STAGES):
            earlier = {s.value: confirmed[s.value] for s in PROMPT_STAGES[:number]}
            request = GenerationRequest(NOVEL, stage, earlier, user_input=EN_IDEA)
            prompt = render(request)
            messages = [
                {"role": "system", "content": prompt.system},
                {"role": "user", "content": prompt.user},
            ]
            body = {"model": provider.model, "messages": messages, "max_tokens": 8}
            (await http.post(f"{base_url}/chat/completions", json=body)).raise_for_status()
    wall = time.monotonic() - started
    return engine_figures(await asyncio.to_thread(_since, log, mark)) | {"wall_s": wall}


def _size(log: Path) -> int:
    return log.stat().st_size


def _since(log: Path, mark: int) -> str:
    with log.open("rb") as file:
        file.seek(mark)
        return file.read().decode(errors="replace")


def prompts_of_side() -> dict[str, list[list[dict[str, str]]]]:
    """This checkout's prompts: a 4-beat chapter's five calls, and five stages of a session."""
    from tests.support.chapters import EN_IDEA, NOVEL, brief, genesis_bible, genesis_confirmed

    from infinite_scribe.agents.llm.chapter_prompts import beats_messages, prose_messages
    from infinite_scribe.agents.llm.port import GenerationRequest
    from infinite_scribe.agents.llm.prompts import PROMPT_STAGES, render

    given = brief(asyncio.run(genesis_bible("en")), "en", 2, wishes="A storm at sea")
    chapter = [beats_messages(given)] + [prose_messages(given, FILL, i) for i in range(4)]
    confirmed = asyncio.run(genesis_confirmed(EN_IDEA))
    stages = []
    for number, stage in enumerate(PROMPT_STAGES):
        earlier = {s.value: confirmed[s.value] for s in PROMPT_STAGES[:number]}
        prompt = render(GenerationRequest(NOVEL, stage, earlier, user_input=EN_IDEA))
        stages.append(
            [{"role": "system", "content": prompt.system}, {"role": "user", "content": prompt.user}]
        )
    return {"chapter": chapter, "genesis": stages}


def token_side() -> dict[str, Any]:
    """Each call's prompt tokens and those the engine evaluates after the call before."""
    import llama_cpp

    from infinite_scribe.embedded.local_engine import resolve_model

    model = llama_cpp.Llama(str(resolve_model("smollm2").path), vocab_only=True, verbose=False)
    result: dict[str, Any] = {}
    for name, calls in prompts_of_side().items():
        before: list[int] = []
        sizes, evaluated = [], []
        for messages in calls:
            text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
            tokens = model.tokenize((text + "<|im_start|>assistant\n").encode(), special=True)
            shared = next(
                (i for i, (a, b) in enumerate(zip(before, tokens, strict=False)) if a != b),
                min(len(before), len(tokens)),
            )
            sizes.append(len(tokens))
            evaluated.append(len(tokens) - shared)
            before = tokens
        result[name] = {"prompt_tokens": sizes, "evaluated": evaluated}
    return result


async def one_side(reply_tokens: int) -> dict[str, Any]:
    """This interpreter's checkout (PYTHONPATH picks it), with an engine of its own."""
    from infinite_scribe.agents.llm.openai_provider import OpenAIProvider
    from infinite_scribe.embedded.local_engine import LocalEngine, resolve_model

    folder = Path(tempfile.mkdtemp(prefix="engine-prefix-"))
    engine = LocalEngine(resolve_model("smollm2"), folder / "engine.log", threads=1)
    # One thread for the prompt's evaluation too (the server's default is every core): two
    # engines of two threads each on two cores spin at their barriers, and one call's prompt
    # was evaluated at 37 tokens/s beside another's 188 (measured).
    command = engine.command
    engine.command = lambda: [*command(), "--n_threads_batch", "1"]  # type: ignore[method-assign]
    print(f"engine log: {engine.log_path}", file=sys.stderr, flush=True)
    await asyncio.to_thread(engine.start, 600)
    provider = OpenAIProvider(
        base_url=engine.base_url,
        model=engine.model.name,
        timeout=3600,
        max_retries=0,
        schema_form="llama_cpp",
        context_tokens=engine.model.context_tokens,
        reply_tokens=reply_tokens,
    )
    try:
        # The stages first: both sides start them at once, so both meet the same load (after
        # the chapter, the faster side's stages ran beside the slower side's chapter).
        stages = await genesis(provider, engine.log_path, engine.base_url)
        written = await chapter(provider, engine.log_path, reply_tokens)
    finally:
        await provider.aclose()
        engine.stop()
    return {"chapter": written, "genesis": stages, "command": " ".join(engine.command()[:3])}


def checkout(base: str) -> Path:
    """The older checkout, added once as a detached worktree beside this one."""
    folder = Path(tempfile.gettempdir()) / f"scribe-ab-{base}"
    if not folder.exists():
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(folder), base],
            check=True,
            capture_output=True,
        )
    return folder


def start_side(root: Path, reply_tokens: int, *extra: str) -> "subprocess.Popen[str]":
    """One side's process: this file run with `root`'s code first on the path."""
    paths = [root / "apps/backend", root / "apps/backend/src", root / "packages/shared-types/src"]
    environment = os.environ | {"PYTHONPATH": os.pathsep.join(map(str, paths))}
    command = [sys.executable, __file__, "--side", "--reply-tokens", str(reply_tokens), *extra]
    pipe = subprocess.PIPE
    return subprocess.Popen(command, env=environment, cwd=root, stdout=pipe, stderr=pipe, text=True)


def side_result(root: Path, process: "subprocess.Popen[str]") -> dict[str, Any]:
    out, err = process.communicate()
    if process.returncode != 0:
        sys.exit(f"{root}: {err[-3000:]}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def report(new: dict[str, Any], old: dict[str, Any], base: str) -> dict[str, Any]:
    c, o = new["chapter"], old["chapter"]
    g, og = new["genesis"], old["genesis"]
    figures = {
        "bench": "engine_prefix",
        "base": base,
        "load_average": os.getloadavg()[0],
        "chapter_evaluated_tokens": c["evaluated"],
        "chapter_evaluated_tokens_base": o["evaluated"],
        "one_beat_prompt_tokens": c["one_beat_prompt"],
        "evaluated_per_beat_prompt": round(c["evaluated"] / c["one_beat_prompt"], 2),
        "evaluated_per_beat_prompt_base": round(o["evaluated"] / o["one_beat_prompt"], 2),
        "chapter_wall_s": round(c["wall_s"], 1),
        "chapter_wall_s_base": round(o["wall_s"], 1),
        "chapter_speedup": round(o["wall_s"] / c["wall_s"], 2),
        "chapter_prompt_s": round(c["prompt_s"], 1),
        "chapter_prompt_s_base": round(o["prompt_s"], 1),
        "genesis_evaluated_tokens": g["evaluated"],
        "genesis_evaluated_tokens_base": og["evaluated"],
        "genesis_wall_s": round(g["wall_s"], 1),
        "genesis_wall_s_base": round(og["wall_s"], 1),
        "genesis_speedup": round(og["wall_s"] / g["wall_s"], 2),
        "engine_share_of_chapter": round(c["engine_s"] / c["wall_s"], 3),
        "pipeline_overhead": round(1 - c["engine_s"] / c["wall_s"], 3),
    }
    return figures


def token_report(base: str) -> None:
    sides = {"this checkout": ROOT, base: checkout(base)}
    found = {}
    for name, root in sides.items():
        process = start_side(root, 0, "--tokens")
        found[name] = side_result(root, process)
        print(json.dumps({"side": name} | found[name]), flush=True)
    figures: dict[str, Any] = {"bench": "engine_prefix --tokens", "base": base}
    for name, key in (("this checkout", ""), (base, "_base")):
        c, g = found[name]["chapter"], found[name]["genesis"]
        figures["chapter_evaluated" + key] = sum(c["evaluated"])
        figures["chapter_evaluated_per_beat_prompt" + key] = round(
            sum(c["evaluated"]) / c["prompt_tokens"][-1], 2
        )
        figures["genesis_evaluated" + key] = sum(g["evaluated"])
    print(json.dumps(figures), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="dd15789")
    parser.add_argument("--reply-tokens", type=int, default=64)
    parser.add_argument("--tokens", action="store_true", help="tokenize only: no model runs")
    parser.add_argument("--side", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        side = token_side() if args.tokens else asyncio.run(one_side(args.reply_tokens))
        print(json.dumps(side), flush=True)
        return
    if args.tokens:
        token_report(args.base)
        return
    base = checkout(args.base)
    sides = [(ROOT, start_side(ROOT, args.reply_tokens))]
    sides.append((base, start_side(base, args.reply_tokens)))
    new, old = (side_result(root, process) for root, process in sides)
    print(json.dumps({"side": "this checkout"} | new), flush=True)
    print(json.dumps({"side": args.base} | old), flush=True)
    print(json.dumps(report(new, old, args.base)), flush=True)


if __name__ == "__main__":
    main()
