"""`scribe idempotency ...` and `scribe schema export`: registered by cli.py."""

import asyncio
from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer

from infinite_scribe.application.idempotency import IdempotencyStore, user_scope
from infinite_scribe.cli.progress import Advance, progress
from infinite_scribe.persistence.idempotency_stores import open_idempotency_store
from infinite_scribe.settings.services_file import with_running_services
from infinite_scribe.settings.settings import ConfigurationError, Settings, load_settings

idempotency_app = typer.Typer(help="The idempotency cache", no_args_is_help=True)
schema_app = typer.Typer(help="Contracts for consumers in other languages", no_args_is_help=True)


async def _with_store(settings: Settings, database_url: str, job: str, *args: object) -> object:
    store: IdempotencyStore = await open_idempotency_store(settings, database_url)
    try:
        if job == "cleanup_batches":
            return await _cleanup_batches(store, *args)  # type: ignore[arg-type]
        return await getattr(store, job)(*args)
    finally:
        await store.close()


async def _cleanup_batches(
    store: IdempotencyStore, batch_size: int, max_batches: int | None, advance: Advance
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


def _run(job: str, *args: object) -> object:
    try:
        current = with_running_services(load_settings())
        url = current.resolved_database_url()
        if url is None:
            raise ConfigurationError("DATABASE_URL is not set (or POSTGRES_HOST)")
        return asyncio.run(_with_store(current, url, job, *args))
    except ConfigurationError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from error


@idempotency_app.command("cleanup")
def cleanup(
    batch_size: Annotated[int, typer.Option(min=1, max=100_000, help="rows per DELETE")] = 1000,
    max_batches: Annotated[
        int | None, typer.Option(min=1, help="stop after this many batches (default: all)")
    ] = None,
) -> None:
    """Delete expired entries in bounded batches."""
    with progress("deleting expired idempotency entries", unit="entries") as advance:
        deleted = _run("cleanup_batches", batch_size, max_batches, advance)
    typer.echo(f"deleted {deleted} expired idempotency entries")


@idempotency_app.command("invalidate")
def invalidate(
    user: Annotated[UUID, typer.Option(help="the user the key belongs to")],
    key: Annotated[str, typer.Option(help="the idempotency key")],
) -> None:
    """Free a completed key, so the next request with it runs again."""
    if _run("invalidate", user_scope(user), key):
        typer.echo(f"invalidated key {key!r} of user {user}")
        return
    typer.echo(f"no completed key {key!r} for user {user}", err=True)
    raise typer.Exit(1)


@schema_app.command("export")
def export(
    out: Annotated[Path, typer.Option(help="directory to write the JSON Schemas to")] = Path(
        "schemas"
    ),
) -> None:
    """Write the JSON Schema of EventEnvelope and of each event type's payload."""
    from shared_types.schema_export import export_schemas

    for path in export_schemas(out):
        typer.echo(str(path))
