"""What one streamed model reply costs the event loop it is read on (issue 79, Q2): a reply of
REPLY_MB (10) MB in 1 KB chunks, each chunk's line bounded, parsed and taken by the adapter's
`StreamedReply` with the worker's draft throttle (one draft per 0.2 s), on one event loop. Per case:
the whole reply's seconds on the loop, the longest single chunk, and the drafts built.

Cases: `before`, the text joined at every chunk as main did at dd15789 (the draft callback got
`"".join(parts)`), over the first BEFORE_MB (2) MB only (it is quadratic: the 10 MB took 6.6 s
in the issue's measure); `now`, the whole reply with a bound over it (the text built only for a
draft sent); `bounded`, the default bound (LLM_REPLY_TOKENS 2048: 64 KiB of text), where the
reply fails as invalid output.

Usage: python bench/model_reply.py   (REPLY_MB=10, BEFORE_MB=2)
"""

import asyncio
import os
import time
from collections.abc import Callable

import orjson

from infinite_scribe.agents.drafts import DraftThrottle
from infinite_scribe.agents.llm.openai_provider import _chunk
from infinite_scribe.agents.llm.port import InvalidOutput
from infinite_scribe.agents.llm.streamed_reply import BYTES_PER_TOKEN, StreamedReply

CHUNK = 1024
REPLY_MB = float(os.environ.get("REPLY_MB", "10"))
BEFORE_MB = float(os.environ.get("BEFORE_MB", "2"))


class Sink:
    def __init__(self) -> None:
        self.sent = 0

    def publish(
        self, session_id: str, task_id: str, sequence: int, body: dict[str, object]
    ) -> None:
        self.sent += 1


def lines(megabytes: float) -> list[bytes]:
    piece = ("lorem ipsum " * (CHUNK // 12 + 1))[:CHUNK]
    chunk = {"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
    line = b"data: " + orjson.dumps(chunk) + b"\n"
    return [line] * int(megabytes * 1024 * 1024 / CHUNK)


async def read(
    stream: list[bytes], reply_tokens: int, draft: Callable[[StreamedReply], None]
) -> dict:
    reply = StreamedReply(reply_tokens)
    longest, started = 0.0, time.perf_counter()
    outcome = "read whole"
    try:
        for line in stream:
            began = time.perf_counter()
            reply.received(len(line))
            reply.take(_chunk(line[5:].strip()), lambda text: draft(text))
            longest = max(longest, time.perf_counter() - began)
            await asyncio.sleep(0)  # the loop's other work runs between chunks, as on a socket
    except InvalidOutput:
        outcome = f"failed at {reply.size} bytes"
    return {"seconds": time.perf_counter() - started, "longest": longest, "outcome": outcome}


async def case(name: str, megabytes: float, reply_tokens: int, joined: bool) -> None:
    sink = Sink()
    throttle = DraftThrottle(sink, "s", "t", "X", interval=0.2)
    built = [0]

    def draft(text: Callable[[], str]) -> None:
        if joined:
            whole = text()  # main at dd15789: the whole reply joined at every chunk
            throttle(lambda: whole)
        else:
            throttle(text)

    def counted(text: Callable[[], str]) -> None:
        def build() -> str:
            built[0] += 1
            return text()

        draft(build)

    found = await read(lines(megabytes), reply_tokens, counted)
    throttle.close()
    print(
        f"{name:8} {megabytes:5.1f} MB  {found['seconds']:7.3f} s on the loop  longest chunk "
        f"{found['longest'] * 1000:8.2f} ms  texts built {built[0]:6}  drafts sent {sink.sent:4}  "
        f"{found['outcome']}"
    )


async def main() -> None:
    unbounded = int(REPLY_MB * 1024 * 1024 / BYTES_PER_TOKEN) + 1024
    await case("before", BEFORE_MB, unbounded, joined=True)
    await case("now", REPLY_MB, unbounded, joined=False)
    await case("bounded", REPLY_MB, 2048, joined=False)


if __name__ == "__main__":
    asyncio.run(main())
