"""A real HTTP server on loopback that speaks the OpenAI chat-completions protocol.

The LLM is the one thing these tests cannot run, so it is the one thing faked, over real HTTP:
the provider under test uses the official SDK unchanged. Replies are scripted per request
(valid proposals made by the offline generator, delays, 429/500, malformed or schema-invalid
content) and every request is recorded, so a test can count retries and read the prompt.
A request with `"stream": true` (what the provider sends) is answered as the API does, in
Server-Sent Events chunks spread over the reply's `stream_seconds`; the server records when
each stream's first token went out, how many calls ran at once at most, and how many streams
the client closed before the end (a cancelled call).

It runs on its own thread and event loop, so it serves sync tests, async tests and worker
subprocesses alike:

    with FakeLLMServer() as llm:
        llm.script(Reply.rate_limited(), Reply.valid())
        # LLM_PROVIDER=openai LLM_BASE_URL=llm.base_url LLM_MODEL=FakeLLMServer.MODEL
        ...
        assert len(llm.requests) == 2
"""

import asyncio
import itertools
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from infinite_scribe.agents.llm.schema_forms import non_empty
from infinite_scribe.domain.proposals import PROPOSAL_MODELS, schema_name
from shared_types.enums import GenesisStage
from tests.support.fake_llm_wire import (
    MODEL,
    SCRIPTED_NOTE as SCRIPTED_NOTE,
    STREAM_CHUNKS,
    TOKEN_CHARACTERS as TOKEN_CHARACTERS,
    _chunk,
    _completion,
    _pieces,
    _valid_content,
)
from tests.support.replies import every_reply, sent_schema

_STAGES = {schema_name(stage): stage for stage in PROPOSAL_MODELS}


def _key(schema: Any) -> str:
    return json.dumps(schema, sort_keys=True)


#: Each schema the project sends, to its name: a request in any form names its reply by it.
_NAMES = {
    _key(schema): reply.name
    for reply in every_reply()
    for schema in (reply.schema, non_empty(reply.schema), reply.grammar)
}


#: Connections waiting to be accepted (uvicorn's default; the kernel caps it at somaxconn).
BACKLOG = 2048


@dataclass(frozen=True)
class Reply:
    """One scripted answer. `content=None` means a valid proposal for the requested stage."""

    status: int = 200
    content: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    finish_reason: str = "stop"
    refusal: str | None = None
    #: A streamed reply's chunks are spread over this long (after `delay`).
    stream_seconds: float = 0.0
    #: A streamed reply in chunks of this many characters (None: STREAM_CHUNKS chunks).
    chunk_size: int | None = None

    @classmethod
    def valid(cls, delay: float = 0.0) -> "Reply":
        return cls(delay=delay)

    @classmethod
    def text(cls, content: str) -> "Reply":
        """Any content as the assistant message (malformed JSON, schema-invalid JSON, ...)."""
        return cls(content=content)

    @classmethod
    def error(cls, status: int, headers: Mapping[str, str] | None = None) -> "Reply":
        return cls(status=status, headers=dict(headers or {}))

    @classmethod
    def rate_limited(cls, retry_after_ms: int = 20) -> "Reply":
        # retry-after-ms keeps the SDK's wait short; it also reads `retry-after` in seconds.
        return cls.error(429, {"retry-after-ms": str(retry_after_ms)})

    @classmethod
    def rate_limited_for(cls, seconds: int) -> "Reply":
        """A 429 whose `Retry-After` is in seconds (a quota error's hour: 3600)."""
        return cls.error(429, {"Retry-After": str(seconds)})

    @classmethod
    def flood(cls, size: int = 10 * 1024 * 1024, chunk: int = 1024) -> "Reply":
        """`size` characters of text streamed in `chunk`-character chunks, whatever
        `max_tokens` the request asked for (a server that ignores it)."""
        return cls(content="lorem ipsum " * (size // 12), chunk_size=chunk)

    @classmethod
    def hanging(cls) -> "Reply":
        """A completion that never answers (the client's timeout ends it)."""
        return cls(delay=3600.0)

    @classmethod
    def streamed(cls, delay: float, seconds: float) -> "Reply":
        """A valid reply: first token after `delay`, the rest over `seconds`."""
        return cls(delay=delay, stream_seconds=seconds)

    @classmethod
    def slow(cls, seconds: float) -> "Reply":
        """A valid reply after `seconds` (longer than the client timeout = a timeout)."""
        return cls(delay=seconds)


@dataclass(frozen=True)
class SeenRequest:
    """A request as the server received it."""

    path: str
    headers: Mapping[str, str]
    body: Mapping[str, Any]

    @property
    def schema_name(self) -> str | None:
        """The name of the schema the request carries, in any form (agents/llm/schema_forms)."""
        response_format = self.body.get("response_format") or {}
        name = (response_format.get("json_schema") or {}).get("name")
        if isinstance(name, str):
            return name
        schema = sent_schema(self.body)
        return _NAMES.get(_key(schema)) if schema is not None else None

    @property
    def stage(self) -> GenesisStage | None:
        """The stage whose proposal the request's schema is."""
        name = self.schema_name
        return _STAGES.get(name) if name is not None else None

    @property
    def prompt(self) -> str:
        """All message contents, joined (what the model would read)."""
        return "\n".join(str(m.get("content", "")) for m in self.body.get("messages", []))


class FakeLLMServer:
    """Chat-completions server on 127.0.0.1 and a free port, on a background thread."""

    MODEL = MODEL

    def __init__(self, default: Reply | None = None) -> None:
        #: The reply once the script is used up.
        self.default = default or Reply.valid()
        self._script: deque[Reply] = deque()
        self._seen: list[SeenRequest] = []
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._failure: BaseException | None = None
        #: time.time() of each request's arrival, in order.
        self.arrivals: list[float] = []
        #: (prompt, time.time() of the stream's first token), per streamed reply.
        self.first_tokens: list[tuple[str, float]] = []
        #: Streams the client closed before their end (cancelled calls).
        self.abandoned = 0
        #: The last prompt streamed: a hosted server's prefix cache reports the next prompt's
        #: characters it shares as `usage.prompt_tokens_details.cached_tokens` (issue 77).
        self._cached_prompt = ""
        #: Bytes each streamed reply wrote (when it ended, completed or abandoned).
        self.stream_bytes: list[int] = []
        self.in_flight = 0
        self.peak_in_flight = 0
        #: What `GET /v1/models` reports as the model's window (llama.cpp's `meta.n_ctx_train`).
        self.context_length: int | None = None
        #: Whether `POST /extras/tokenize/count` answers (llama-cpp-python's tokenizer): a token
        #: per TOKEN_CHARACTERS characters.
        self.tokenizer = False
        #: Seconds `GET /v1/models` takes (a busy engine that serves one request at a time).
        self.models_delay = 0.0
        #: Texts the tokenizer was asked to count.
        self.tokenized: list[str] = []
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]

    @property
    def base_url(self) -> str:
        """The value for LLM_BASE_URL."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def requests(self) -> list[SeenRequest]:
        """Every request received so far, oldest first."""
        with self._lock:
            return list(self._seen)

    def script(self, *replies: Reply) -> None:
        """Queue replies for the next requests, in order."""
        with self._lock:
            self._script.extend(replies)

    def reset(self) -> None:
        """Forget the script and the recorded requests."""
        with self._lock:
            self._script.clear()
            self._seen.clear()

    def start(self) -> Self:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="fake-llm")
        self._thread.daemon = True
        self._thread.start()
        if not ready.wait(10) or self._failure is not None:
            self._thread.join(1)
            self._thread = None
            raise RuntimeError("the fake LLM server did not start") from self._failure
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._serve())
        except BaseException as error:  # reported by start(), not lost on this thread
            self._failure = error
            self._loop.close()
            return
        finally:
            ready.set()
        self._loop.run_forever()
        assert self._runner is not None
        self._loop.run_until_complete(self._runner.cleanup())
        self._loop.close()

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._handle)
        app.router.add_get("/v1/models", self._models)
        app.router.add_post("/extras/tokenize/count", self._tokenize)
        # A client that gave up (timeout) cancels its slow handler; shutdown waits for nothing.
        self._runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=0.1
        )
        await self._runner.setup()
        # A model server's backlog, not aiohttp's 128: a thousand calls connecting at once
        # overflowed it, and a dropped SYN is sent again after the kernel's 1 s timeout (the
        # N=1,000 bench saw begun -> model call at 1.04 s in most runs).
        await web.SockSite(self._runner, self._socket, backlog=BACKLOG).start()

    async def _models(self, request: web.Request) -> web.StreamResponse:
        """The models the server has, as the protocol lists them (`GET /v1/models`)."""
        if self.models_delay:
            await asyncio.sleep(self.models_delay)
        model: dict[str, Any] = {"id": self.MODEL, "object": "model"}
        if self.context_length is not None:
            model["meta"] = {"n_ctx_train": self.context_length}
        return web.json_response({"object": "list", "data": [model]})

    async def _tokenize(self, request: web.Request) -> web.StreamResponse:
        if not self.tokenizer:
            raise web.HTTPNotFound()
        text = str((await request.json()).get("input", ""))
        with self._lock:
            self.tokenized.append(text)
        return web.json_response({"count": -(-len(text) // TOKEN_CHARACTERS)})

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        seen = SeenRequest(request.path, dict(request.headers), body)
        with self._lock:
            self._seen.append(seen)
            self.arrivals.append(time.time())
            reply = self._script.popleft() if self._script else self.default
        return await self._respond(request, seen, reply)

    async def _respond(
        self, request: web.Request, seen: SeenRequest, reply: Reply
    ) -> web.StreamResponse:
        """Answer `seen` with `reply`: its delay, its error status, or its content, streamed
        when the request asked for a stream."""
        with self._lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            if reply.delay:
                await asyncio.sleep(reply.delay)
            if reply.status != 200:
                error = {"message": f"scripted {reply.status}", "type": "fake_error", "code": None}
                return web.json_response(
                    {"error": error}, status=reply.status, headers=reply.headers
                )
            content = reply.content if reply.content is not None else await _valid_content(seen)
            if seen.body.get("stream"):
                return await self._stream(request, seen, content, reply)
            if reply.stream_seconds:  # the same reply, not streamed, comes when it is complete
                await asyncio.sleep(reply.stream_seconds)
            return web.json_response(_completion(seen.body, content, reply), headers=reply.headers)
        except (asyncio.CancelledError, ConnectionResetError):  # the client closed it
            with self._lock:
                self.abandoned += 1
            raise
        finally:
            with self._lock:
                self.in_flight -= 1

    async def _stream(
        self, request: web.Request, seen: SeenRequest, content: str, reply: Reply
    ) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", **dict(reply.headers)}
        )
        await response.prepare(request)
        sent = 0
        try:
            sent = await self._stream_pieces(response, seen, content, reply)
        finally:
            with self._lock:
                self.stream_bytes.append(sent)
        return response

    async def _stream_pieces(
        self, response: web.StreamResponse, seen: SeenRequest, content: str, reply: Reply
    ) -> int:
        """Write the reply's chunks, its end and `[DONE]`; the bytes written."""
        if reply.chunk_size is not None:
            pieces = [
                content[start : start + reply.chunk_size]
                for start in range(0, len(content), reply.chunk_size)
            ]
        else:
            pieces = _pieces(content, STREAM_CHUNKS)
        sent = 0
        for number, piece in enumerate(pieces):
            delta: dict[str, Any] = {"content": piece}
            if number == 0:
                delta["role"] = "assistant"
                with self._lock:
                    self.first_tokens.append((seen.prompt, time.time()))
            data = _chunk(seen.body, delta, None)
            await response.write(data)
            sent += len(data)
            if reply.stream_seconds and number < len(pieces) - 1:
                await asyncio.sleep(reply.stream_seconds / (len(pieces) - 1))
        final: dict[str, Any] = {"refusal": reply.refusal} if reply.refusal else {}
        await response.write(_chunk(seen.body, final, reply.finish_reason))
        if (seen.body.get("stream_options") or {}).get("include_usage"):
            # As OpenAI does: one more chunk with no choices and the request's token counts.
            usage = {"prompt_tokens": len(seen.prompt), "completion_tokens": len(content)}
            with self._lock:
                pairs = zip(self._cached_prompt, seen.prompt, strict=False)
                shared = sum(1 for _ in itertools.takewhile(lambda p: p[0] == p[1], pairs))
                self._cached_prompt = seen.prompt
            usage["prompt_tokens_details"] = {"cached_tokens": shared}
            chunk = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "choices": []}
            await response.write(
                b"data: " + json.dumps(chunk | {"usage": usage}).encode() + b"\n\n"
            )
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return sent
