"""The HTTP side of the OpenAI-compatible adapter (issue 40, decision 4002): `POST
/chat/completions` with `stream: true`, the body encoded once with orjson, on httpx clients whose
pools are sized to the model gate's bound, and HTTP failures mapped to the port's errors here.

Why not the SDK's `create`: it walks the request (messages and the stage's JSON Schema) through
its type-driven transform and copies the options on every call; profiled at 1,000 generations at
once that was over half of the worker's CPU (`_async_transform_recursive`), more than the
streams themselves. The protocol is one POST and server-sent lines, read here as before
(decision 2700)."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
import orjson

from infinite_scribe.agents.llm.port import (
    GenerationError,
    GenerationTimeout,
    InvalidOutput,
    ProviderRejected,
    ProviderUnavailable,
    RateLimited,
)

#: Model calls per HTTP client (connection pool) before another client is added: httpx's pool
#: does O(connections) work per request and per closed stream, so hundreds of streams on one
#: client cost more CPU than the streams themselves (profiled at 1,000 concurrent calls).
CALLS_PER_CLIENT = 64
#: Backoff of the transport's own retries (max_retries; the worker's are the gate's): first
#: wait, doubling, capped.
RETRY_FIRST, RETRY_CAP = 0.5, 8.0


class _Pool:
    """One httpx client and the calls it carries now."""

    __slots__ = ("client", "in_flight")

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client, self.in_flight = client, 0


class ChatTransport:
    """Streams chat completions; at most `max_concurrency` connections in all (the gate's
    bound), spread over clients of CALLS_PER_CLIENT, each call on the least busy one."""

    def __init__(
        self, *, base_url: str, api_key: str, timeout: float, max_concurrency: int, max_retries: int
    ) -> None:
        self.max_retries = max_retries
        shards = max(1, -(-max_concurrency // CALLS_PER_CLIENT))
        per_client = max(1, -(-max_concurrency // shards))
        limits = httpx.Limits(max_connections=per_client, max_keepalive_connections=per_client)
        headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        self._pools = [
            _Pool(
                httpx.AsyncClient(
                    base_url=base_url, headers=headers, timeout=timeout, limits=limits
                )
            )
            for _ in range(shards)
        ]

    @contextlib.asynccontextmanager
    async def lines(self, body: Mapping[str, Any]) -> AsyncIterator[AsyncIterator[str]]:
        """The reply's lines; a status other than 200 raises the port's error (retried here
        up to `max_retries` times when retryable, before any line was read)."""
        content = orjson.dumps(body)
        pool = min(self._pools, key=lambda candidate: candidate.in_flight)
        pool.in_flight += 1
        try:
            response = await self._open(pool.client, content)
            try:
                yield response.aiter_lines()
            finally:
                await response.aclose()  # also on cancellation: the stream is closed
        except httpx.TimeoutException as error:
            raise GenerationTimeout(f"the model did not answer in time: {error!r}") from error
        except httpx.HTTPError as error:
            raise ProviderUnavailable(f"the model's connection broke: {error!r}") from error
        finally:
            pool.in_flight -= 1

    async def _open(self, client: httpx.AsyncClient, content: bytes) -> httpx.Response:
        """The answer's head (200), after the transport's own retries of retryable failures."""
        attempt = 0
        while True:
            request = client.build_request("POST", "chat/completions", content=content)
            failure: GenerationError | httpx.TransportError
            try:
                response = await client.send(request, stream=True)
            except httpx.TransportError as error:
                failure = error
            else:
                if response.status_code == 200:
                    return response
                await response.aread()
                await response.aclose()
                failure = status_error(response)
            retryable = isinstance(failure, httpx.TransportError) or failure.retryable
            if not retryable or attempt >= self.max_retries:
                raise failure
            attempt += 1
            hint = failure.retry_after if isinstance(failure, RateLimited) else None
            await asyncio.sleep(hint or min(RETRY_FIRST * 2 ** (attempt - 1), RETRY_CAP))

    async def aclose(self) -> None:
        for pool in self._pools:
            await pool.client.aclose()


def status_error(response: httpx.Response) -> GenerationError:
    """The port's error for an answer other than 200."""
    status, message = response.status_code, _message(response)
    if status == 429:
        return RateLimited(f"rate limited: {message}", retry_after=retry_after(response.headers))
    if status >= 500:
        return ProviderUnavailable(f"model server error {status}: {message}")
    if status == 408:
        return GenerationTimeout(f"the model server timed out (408): {message}")
    if 400 <= status < 500:
        return ProviderRejected(f"the model server refused the request ({status}): {message}")
    return InvalidOutput(f"unexpected answer from the model server ({status}): {message}")


def _message(response: httpx.Response) -> str:
    """The error's message as OpenAI-compatible servers send it, else the body's start."""
    try:
        error = orjson.loads(response.content).get("error")
    except (orjson.JSONDecodeError, AttributeError):
        return response.text[:300]
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])[:300]
    return str(error)[:300] if error else response.text[:300]


def retry_after(headers: httpx.Headers) -> float | None:
    """The server's hint (`retry-after-ms`, else `retry-after` in seconds)."""
    for header, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        try:
            return float(headers[header]) / divisor
        except (KeyError, ValueError):
            continue
    return None
