"""The local engine's process (issue 77): llama-cpp-python's server, with two things it lacks.

- **A closed request stops the engine at once.** The server notices a client that went away
  only between two streamed tokens, and the prompt's evaluation (tens of seconds on a CPU for
  a long prompt) has none: a cancelled draft kept both cores busy that long. Here an ASGI
  middleware hears the disconnect (`http.disconnect`) of a chat request, and llama.cpp's abort
  callback, polled between the graph's steps, stops the request's decode within milliseconds.
  Requests are served one at a time (`--interrupt_requests false`): only the one running is
  stopped, never a request waiting its turn or the next one.
- **The usage a hosted server reports**: the streamed reply ends with a usage chunk whose
  `prompt_tokens_details.cached_tokens` says how much of the prompt the engine reused from the
  request before (its prefix match) instead of evaluating it, as OpenAI's and vLLM's do.

Run as `python -m infinite_scribe.embedded.engine_server` with the server's own arguments
(embedded/local_engine.py). It imports llama_cpp: nothing else imports this module.
"""

import contextvars
import ctypes
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

# Not typed (and absent where `make model` has not run: this module is the engine's alone).
import llama_cpp  # type: ignore[import-untyped,import-not-found,unused-ignore]
import llama_cpp.server.__main__ as server_main  # type: ignore[import-untyped,import-not-found,unused-ignore]
import llama_cpp.server.app as server_app  # type: ignore[import-untyped,import-not-found,unused-ignore]

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]

_REQUEST: contextvars.ContextVar[int | None] = contextvars.ContextVar("request", default=None)
_serials = itertools.count(1)
#: Requests whose client went away before their reply ended.
_gone: set[int] = set()
_lock = threading.Lock()
#: The request whose model call runs now (one at a time).
_running: int | None = None


def _aborting(_: ctypes.c_void_p) -> bool:
    # Called by llama.cpp between the graph's steps, with the GIL taken: a set lookup.
    return _running is not None and _running in _gone


_ABORT = llama_cpp.ggml_abort_callback(_aborting)  # kept referenced: C holds the pointer


class Disconnects:
    """ASGI middleware: a chat request's client that goes away before its reply ended is
    marked gone (its model call is then aborted)."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].endswith("/completions"):
            await self.app(scope, receive, send)
            return
        serial = next(_serials)
        token = _REQUEST.set(serial)
        ended = False

        async def sending(message: dict[str, Any]) -> None:
            nonlocal ended
            if message["type"] == "http.response.body" and not message.get("more_body"):
                ended = True
            await send(message)

        async def receiving() -> dict[str, Any]:
            message: dict[str, Any] = await receive()
            if message["type"] == "http.disconnect" and not ended:
                with _lock:
                    _gone.add(serial)
            return message

        try:
            await self.app(scope, receiving, sending)
        finally:
            _REQUEST.reset(token)


class _Call:
    """What the engine did for one request: the tokens it reused and evaluated."""

    def __init__(self) -> None:
        self.cached: int | None = None
        self.evaluated = 0
        self.generated = 0


_CALL: contextvars.ContextVar[_Call | None] = contextvars.ContextVar("call", default=None)
_original_eval = llama_cpp.Llama.eval
_original_chat = llama_cpp.Llama.create_chat_completion


def _eval(self: Any, tokens: Any) -> None:
    if not getattr(self, "_scribe_abort", False):
        llama_cpp.llama_set_abort_callback(self._ctx.ctx, _ABORT, None)
        self._scribe_abort = True
    call = _CALL.get()
    if call is not None:
        if call.cached is None:  # the prompt's rest after the prefix match
            call.cached, call.evaluated = self.n_tokens, len(tokens)
        else:
            call.generated += len(tokens)
    if _running is not None and _running in _gone:
        raise RuntimeError("the client went away")
    _original_eval(self, tokens)


def _running_as(serial: int | None, step: Callable[[], Any]) -> Any:
    global _running
    _running = serial
    try:
        return step()
    finally:
        _running = None


def _chat(self: Any, *args: Any, **kwargs: Any) -> Any:
    serial, call = _REQUEST.get(), _Call()
    context = contextvars.copy_context()
    context.run(_CALL.set, call)
    if not kwargs.get("stream"):
        try:
            return context.run(_running_as, serial, lambda: _original_chat(self, *args, **kwargs))
        finally:
            _forget(serial)
    result = context.run(_running_as, serial, lambda: _original_chat(self, *args, **kwargs))
    return _streamed(serial, context, call, iter(result))


def _streamed(
    serial: int | None, context: contextvars.Context, call: _Call, chunks: Iterator[Any]
) -> Iterator[Any]:
    """The reply's chunks, each produced as the request's call (the abort callback knows it),
    then the usage chunk with the cached tokens."""
    last: dict[str, Any] = {}
    finish = None
    try:
        while True:
            try:
                chunk = context.run(_running_as, serial, lambda: next(chunks))
            except StopIteration:
                break
            except RuntimeError:
                if serial not in _gone:
                    raise
                # One line, not a stack trace: a writer's cancel is no error.
                print(f"scribe: request {serial} aborted: its client went away", flush=True)
                return
            last = chunk
            for choice in chunk.get("choices") or ():
                finish = choice.get("finish_reason") or finish
            yield chunk
    finally:
        _forget(serial)
    if call.cached is None:
        return
    prompt = call.cached + call.evaluated
    completion = call.generated + (0 if finish == "stop" else 1)
    usage = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": call.cached},
    }
    yield {
        "id": last.get("id"),
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": last.get("model"),
        "choices": [],
        "usage": usage,
    }


def _forget(serial: int | None) -> None:
    with _lock:
        _gone.discard(serial or 0)


def main() -> None:
    llama_cpp.Llama.eval = _eval  # type: ignore[method-assign,unused-ignore]
    llama_cpp.Llama.create_chat_completion = _chat  # type: ignore[method-assign,unused-ignore]
    create_app = server_app.create_app

    def created(*args: Any, **kwargs: Any) -> Any:
        app = create_app(*args, **kwargs)
        app.add_middleware(Disconnects)
        return app

    server_main.create_app = created
    server_main.main()


if __name__ == "__main__":
    main()
