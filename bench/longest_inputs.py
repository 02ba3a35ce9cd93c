# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""`/health` of `scribe up` while four writers send the longest inputs (issue 55), black box:
the API, the relay and the agent worker on one event loop (what `scribe up` runs, the offline
generator the worker's model), four writers each creating a session with the longest idea,
asking for concepts with the longest input and revising them with the longest feedback
(MAX_TEXT characters each, Chinese and English in turn), in a loop for BENCH_SECONDS, while
another process asks the API's `/health` every 10 ms. Printed: `/health` p50/p99/max while
loaded, the same idle first (the limit of this run), and the proposals written. Target: every
`/health` within 50 ms.

Usage: python bench/longest_inputs.py   (BENCH_SECONDS=20)
"""

import json
import multiprocessing
import os
import statistics
import tempfile
import threading
import time
import uuid
from contextlib import ExitStack

import httpx

from _services import broker, fresh_database
from infinite_scribe.api.auth import create_access_token
from infinite_scribe.domain.commands import MAX_TEXT
from infinite_scribe.settings.settings import Settings
from up_processes import SECRET, _environment, _health_urls, _ready, started

SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
LONGEST = {
    "zh": ("让主角更老练，把反派改成殖民地的人工智能，加一场雨夜追逐。" * 400)[:MAX_TEXT],
    "en": ("Make the hero a ship's doctor, and set it on Venus; add a storm. " * 200)[:MAX_TEXT],
}


def _health_ms(url: str, until: float, start: float = 0.0) -> list[float]:
    spent = []
    with httpx.Client(timeout=30) as client:
        while time.monotonic() < until:
            began = time.perf_counter()
            client.get(url)
            spent.append((time.perf_counter() - began) * 1000)
            if spent[-1] > 50:
                print(
                    f"  /health {spent[-1]:.0f} ms at {time.monotonic() - start:.1f} s", flush=True
                )
            time.sleep(0.01)
    return spent


def _poll(url: str, until: float, start: float, out: "multiprocessing.Queue[list[float]]") -> None:
    out.put(_health_ms(url, until, start))


def _polled(url: str, until: float, start: float) -> list[float]:
    """`/health` asked from a process of its own: the writers' threads share this one's GIL,
    and a poller among them would measure the client's own waits."""
    found: multiprocessing.Queue[list[float]] = multiprocessing.Queue()
    poller = multiprocessing.Process(target=_poll, args=(url, until, start, found))
    poller.start()
    spent = found.get()
    poller.join()
    return spent


def _finished(client: httpx.Client, base: str, task_id: str, until: float) -> bool:
    while time.monotonic() < until + 30:
        status = client.get(f"{base}/tasks/{task_id}").json().get("status")
        if status in ("COMPLETED", "FAILED", "CANCELLED"):
            return status == "COMPLETED"
        time.sleep(0.05)
    return False


def _writer(base: str, language: str, until: float, written: list[int]) -> None:
    token = create_access_token(Settings(jwt_secret_key=SECRET), uuid.uuid4())
    text = LONGEST[language]
    with httpx.Client(timeout=60, headers={"Authorization": f"Bearer {token}"}) as client:
        while time.monotonic() < until:
            idea = {"initial_user_input": {"idea": text}}
            sid = client.post(f"{base}/genesis/sessions", json=idea).json()["session_id"]
            commands = f"{base}/genesis/sessions/{sid}/commands"
            for body in (
                {"command_type": "RequestConceptGeneration", "payload": {"user_input": text}},
                {"command_type": "SubmitFeedback", "payload": {"feedback": text}},
            ):
                reply = client.post(commands, json=body)
                if reply.status_code != 202 or not _finished(
                    client, base, reply.json()["task_id"], until
                ):
                    return
                written.append(1)


def _figures(spent: list[float]) -> dict[str, float]:
    ordered = sorted(spent)
    return {
        "p50_ms": round(statistics.median(ordered), 1),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1], 1),
        "max_ms": round(ordered[-1], 1),
    }


def main() -> None:
    with ExitStack() as stack:
        database_url = stack.enter_context(fresh_database())
        servers = stack.enter_context(broker())
        data_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="longest-bench-"))
        env = _environment(database_url, servers, data_dir)
        env["LLM_OFFLINE_STREAM_SECONDS"] = "0"
        with started("one", env):
            _ready(_health_urls(env), time.monotonic() + 120)
            health = _health_urls(env)[0]
            base = health.removesuffix("/health")
            idle = _health_ms(health, time.monotonic() + 5)
            start = time.monotonic()
            until = start + SECONDS
            written: list[int] = []
            writers = [
                threading.Thread(target=_writer, args=(base, ("zh", "en")[n % 2], until, written))
                for n in range(4)
            ]
            for thread in writers:
                thread.start()
            loaded = _polled(health, until, start)
            for thread in writers:
                thread.join()
    busy, calm = _figures(loaded), _figures(idle)
    met = "met" if busy["max_ms"] <= 50 else "MISSED"
    print(
        f"/health while four writers send the longest inputs: p50 {busy['p50_ms']} ms, p99 "
        f"{busy['p99_ms']} ms, max {busy['max_ms']} ms ({met}: <= 50 ms); idle p99 "
        f"{calm['p99_ms']} ms; {len(written)} proposals written in {SECONDS:.0f} s",
        flush=True,
    )
    print(json.dumps({"bench": "longest_inputs", "loaded": busy, "idle": calm,
                      "proposals": len(written)}))  # fmt: skip


if __name__ == "__main__":
    main()
