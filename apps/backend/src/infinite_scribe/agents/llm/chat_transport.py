"""The HTTP side of the OpenAI-compatible adapter (issue 40, decision 4002): `POST
/chat/completions` with `stream: true`, the body encoded once with orjson, on one aiohttp
session whose connector holds at most the model gate's bound of connections, and HTTP failures
mapped to the port's errors here.

Why not the SDK's `create`: it walks the request (messages and the stage's JSON Schema) through
its type-driven transform and copies the options on every call; profiled at 1,000 generations at
once that was over half of the worker's CPU (`_async_transform_recursive`), more than the
streams themselves. Why aiohttp, not httpx: httpx's pool does O(connections) work per request
and per closed stream, and reads a stream's lines through four async generators; aiohttp's
connector and line reader are the cheaper ones at a thousand streams (the OpenAI SDK ships
`DefaultAioHttpClient` for the same reason). The protocol is one POST and server-sent lines,
read by the adapter as before (decision 2700)."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp
import orjson

from infinite_scribe.agents.llm.port import (
    GenerationError,
    GenerationTimeout,
    InvalidOutput,
    ProviderRejected,
    ProviderUnavailable,
    RateLimited,
)
from infinite_scribe.runtime.model_health import connection_failure

logger = logging.getLogger(__name__)

#: Model calls in flight a provider is built for when not told (the gate's usual bound).
CALLS_PER_CLIENT = 64
#: Backoff of the transport's own retries (max_retries; the worker's are the gate's): first
#: wait, doubling, capped.
RETRY_FIRST, RETRY_CAP = 0.5, 8.0
#: The longest a model list or a tokenizer call may take (they have a fallback).
JSON_CALL_SECONDS = 10.0
#: The longest line read from a reply (a server may send the whole reply as one chunk).
MAX_LINE_BYTES = 1 << 22


class ChatTransport:
    """Streams chat completions on one aiohttp session (made on first use, in the event loop),
    at most `max_concurrency` connections (the gate's bound; idle ones are kept for reuse)."""

    def __init__(
        self, *, base_url: str, api_key: str, timeout: float, max_concurrency: int, max_retries: int
    ) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.max_retries = max_retries
        self.max_concurrency = max(1, max_concurrency)
        self.timeout = timeout
        self.headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        self._session: aiohttp.ClientSession | None = None

    def _opened_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self.max_concurrency, limit_per_host=0)
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers=self.headers,
                # The whole reply is bounded by the adapter (asyncio.timeout); these bound a
                # connect and each read.
                timeout=aiohttp.ClientTimeout(
                    total=None, sock_connect=self.timeout, sock_read=self.timeout
                ),
                # A line is read whole up to twice this (a reply sent as one chunk included).
                read_bufsize=MAX_LINE_BYTES // 2,
                max_line_size=MAX_LINE_BYTES,
                max_field_size=1 << 16,
            )
        return self._session

    @contextlib.asynccontextmanager
    async def lines(self, body: Mapping[str, Any]) -> AsyncIterator[AsyncIterator[bytes]]:
        """The reply's lines (bytes, with their line ends); a status other than 200 raises the
        port's error (retried here up to `max_retries` times when retryable, before any line
        was read). Leaving the block closes the connection or returns it to the pool."""
        content = orjson.dumps(body)
        try:
            response = await self._open(content)
            try:
                yield _lines(response)
            finally:
                response.release()
        except aiohttp.ServerTimeoutError as error:
            logger.warning("model call to %s timed out: %r", self.url, error)
            message = f"the model server did not answer within {self.timeout:g} s"
            raise GenerationTimeout(message) from error
        except aiohttp.ClientError as error:
            # The writer and the operator read a sentence; the repr is for whoever debugs.
            logger.warning("model call to %s failed: %r", self.url, error)
            raise ProviderUnavailable(connection_failure(error)) from error

    async def _open(self, content: bytes) -> aiohttp.ClientResponse:
        """The answer's head (200), after the transport's own retries of retryable failures."""
        attempt = 0
        while True:
            failure: GenerationError | aiohttp.ClientError
            try:
                response = await self._opened_session().post(self.url, data=content)
            except aiohttp.ClientError as error:
                failure = error
            else:
                if response.status == 200:
                    return response
                failure = status_error(response.status, await response.read(), response.headers)
                response.release()
            retryable = isinstance(failure, aiohttp.ClientError) or failure.retryable
            if not retryable or attempt >= self.max_retries:
                raise failure
            hint = failure.retry_after if isinstance(failure, RateLimited) else None
            if hint is not None and hint > RETRY_CAP:
                raise failure  # a long pause is the gate's to share and cap, not one call's
            attempt += 1
            await asyncio.sleep(hint or min(RETRY_FIRST * 2 ** (attempt - 1), RETRY_CAP))

    @property
    def root(self) -> str:
        """The server's root (the base URL without its `/v1`): where engines put extras."""
        base = self.url.removesuffix("/chat/completions")
        return base.removesuffix("/v1") if base.endswith("/v1") else base

    async def json_call(self, url: str, body: Mapping[str, Any] | None = None) -> Any:
        """A small JSON exchange beside the completions (GET, or POST of `body`): the model
        list, a tokenizer. None when the server has no such endpoint or fails: the caller
        has a fallback, so nothing here is retried or raised."""
        session = self._opened_session()
        data = None if body is None else orjson.dumps(body)
        try:
            async with asyncio.timeout(min(self.timeout, JSON_CALL_SECONDS)):
                method = "GET" if body is None else "POST"
                async with session.request(method, url, data=data) as response:
                    if response.status != 200:
                        return None
                    return orjson.loads(await response.read())
        except (aiohttp.ClientError, TimeoutError, orjson.JSONDecodeError) as error:
            logger.info("%s: no answer (%r); using the fallback", url, error)
            return None

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


async def _lines(response: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
    while line := await response.content.readline():
        yield line


def status_error(status: int, content: bytes, headers: Mapping[str, str]) -> GenerationError:
    """The port's error for an answer other than 200."""
    message = _message(content)
    if status == 429:
        return RateLimited(f"rate limited: {message}", retry_after=retry_after(headers))
    if status >= 500:
        return ProviderUnavailable(f"model server error {status}: {message}")
    if status == 408:
        return GenerationTimeout(f"the model server timed out (408): {message}")
    if 400 <= status < 500:
        return ProviderRejected(f"the model server refused the request ({status}): {message}")
    return InvalidOutput(f"unexpected answer from the model server ({status}): {message}")


def _message(content: bytes) -> str:
    """The error's message as OpenAI-compatible servers send it, else the body's start."""
    text = content[:2000].decode("utf-8", "replace")
    try:
        error = orjson.loads(content).get("error")
    except (orjson.JSONDecodeError, AttributeError):
        return text[:300]
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])[:300]
    return str(error)[:300] if error else text[:300]


def retry_after(headers: Mapping[str, str]) -> float | None:
    """The server's hint (`retry-after-ms`, else `retry-after` in seconds)."""
    for header, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        try:
            return float(headers[header]) / divisor
        except (KeyError, ValueError):
            continue
    return None
