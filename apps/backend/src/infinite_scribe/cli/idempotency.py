"""`scribe idempotency cleanup|invalidate`: maintenance of the idempotency cache."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar
from uuid import UUID

import typer

from infinite_scribe.cli.app import database_url, fail, settings
from infinite_scribe.cli.progress import Advance, progress

if TYPE_CHECKING:
    from infinite_scribe.application.ports.idempotency import IdempotencyStore

idempotency_app = typer.Typer(help="The idempotency cache", no_args_is_help=True)
Result = TypeVar("Result")


async def _cleanup_batches(
    store: "IdempotencyStore", batch_size: int, max_batches: int | None, advance: Advance
) -> int:
    """The store's cleanup one batch at a time, so the progress bar moves per batch."""
    total, batches = 0, 0
    while max_batches is None or batches < max_batches:
        deleted = await store.cleanup(batch_size, 1)
        total, batches = total + deleted, batches + 1
        advance(deleted)
        if deleted < batch_size:
            break
    return total


def _with_store(job: Callable[["IdempotencyStore"], Awaitable[Result]]) -> Result:
    """Run `job` on the configured store (PostgreSQL or Redis), closed afterwards."""
    from infinite_scribe.persistence.idempotency.stores import open_idempotency_store

    current = settings()
    url = database_url(current)

    async def run() -> Result:
        store = await open_idempotency_store(current, url)
        try:
            return await job(store)
        finally:
            await store.close()

    return asyncio.run(run())


@idempotency_app.command("cleanup")
def cleanup(
    batch_size: Annotated[int, typer.Option(min=1, max=100_000, help="rows per DELETE")] = 1000,
    max_batches: Annotated[
        int | None, typer.Option(min=1, help="stop after this many batches (default: all)")
    ] = None,
) -> None:
    """Delete expired entries in bounded batches."""
    with progress("deleting expired idempotency entries", unit="entries") as advance:
        deleted = _with_store(lambda s: _cleanup_batches(s, batch_size, max_batches, advance))
    typer.echo(f"deleted {deleted} expired idempotency entries")


async def _invalidate(
    store: "IdempotencyStore", url: str, user: UUID, key: str
) -> tuple[bool, int]:
    """Free the key in the HTTP cache and in the command inbox (else the inbox would replay
    the original command): (a completed cache entry was freed, inbox commands released)."""
    from infinite_scribe.application.idempotency import user_scope
    from infinite_scribe.persistence.database import connect
    from infinite_scribe.persistence.idempotency.inbox_keys import release_inbox_key

    freed = await store.invalidate(user_scope(user), key)
    connection = await connect(url)
    try:
        released = await release_inbox_key(connection, user, key)
    finally:
        await connection.close()
    return bool(freed), released


@idempotency_app.command("invalidate")
def invalidate(
    user: Annotated[UUID, typer.Option(help="the user the key belongs to")],
    key: Annotated[str, typer.Option(help="the idempotency key")],
) -> None:
    """Free a completed key, so the next request with it runs again: its stored answer is
    dropped and the user's finished commands sent with it no longer replay (a new command
    runs). A request or command still running keeps its key."""
    url = database_url(settings())
    freed, released = _with_store(lambda store: _invalidate(store, url, user, key))
    if freed or released:
        typer.echo(
            f"invalidated key {key!r} of user {user}: stored answer "
            f"{'dropped' if freed else 'absent'}, {released} command(s) released in the inbox"
        )
        return
    fail(f"no completed key {key!r} for user {user}", code=1)
