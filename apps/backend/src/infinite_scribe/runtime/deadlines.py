"""Waiting for an operation no longer than a deadline, without waiting for it to unwind."""

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

T = TypeVar("T")

#: Operations given up by `answered_within`, kept referenced until they end by themselves.
_ABANDONED: set[asyncio.Task[Any]] = set()


async def answered_within(operation: Awaitable[T], seconds: float) -> T:
    """`operation`'s result, or TimeoutError after `seconds`, then and there.

    Unlike `asyncio.wait_for`, a late operation is cancelled without waiting for it to unwind:
    asyncpg hands a cancelled query's connection back to its pool under a shield, which waits
    for the server, so a frozen PostgreSQL made every health check answer only when it thawed
    (25-29 s, issue 21). The abandoned task ends on its own once the server answers or the
    connection dies.
    """
    task = asyncio.ensure_future(operation)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if task in done:
        return task.result()
    task.cancel()
    _ABANDONED.add(task)
    task.add_done_callback(_forget)
    raise TimeoutError(f"no answer within {seconds} s")


def _forget(task: "asyncio.Task[Any]") -> None:
    _ABANDONED.discard(task)
    if not task.cancelled():
        task.exception()  # retrieved: the late failure of an abandoned check is no news
