"""`scribe trash purge-expired`, and the trash sweeper `scribe up` runs beside the API."""

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from infinite_scribe.cli.projections import maintenance, settings_and_url

if TYPE_CHECKING:
    from infinite_scribe.settings.settings import Settings

trash_app = typer.Typer(help="The trash of genesis sessions", no_args_is_help=True)


@trash_app.command("purge-expired")
def purge_expired(
    older_than_days: Annotated[
        float | None,
        typer.Option(min=0, help="default: TRASH_RETENTION_DAYS"),
    ] = None,
    batch: Annotated[int, typer.Option(min=1, max=10_000, help="sessions per query")] = 100,
) -> None:
    """Purge every session trashed longer than the retention (a cron job in production)."""
    current, url = settings_and_url()
    days = current.trash_retention_days if older_than_days is None else older_than_days

    async def run() -> int:
        async with maintenance(current, url) as services:
            return await services.trash.purge_expired(timedelta(days=days), batch)

    typer.echo(f"purged {asyncio.run(run())} session(s) trashed more than {days:g} day(s) ago")


async def run_trash_sweeper(settings: "Settings", stop: asyncio.Event) -> None:
    """A `cli.up.Background` for `scribe up`: the trash sweeper on the worker runtime, purging
    expired trash (and archiving the sessions due, cli/archive.py) now and then every
    TRASH_SWEEP_INTERVAL seconds until `stop` is set."""
    from infinite_scribe.runtime.sweeper import PeriodicSweeper
    from infinite_scribe.runtime.worker import RuntimeOptions, run_worker

    url = settings.resolved_database_url()
    if url is None:
        return
    retention = timedelta(days=settings.trash_retention_days)

    async def sweep() -> int:
        from infinite_scribe.cli.archive import sweep_archive

        async with maintenance(settings, url) as services:
            purged = await services.trash.purge_expired(retention)
            return purged + await sweep_archive(settings, services)

    sweeper = PeriodicSweeper("trash sweeper", settings.trash_sweep_interval, sweep)
    options = RuntimeOptions(grace_seconds=settings.worker_shutdown_grace_seconds)
    await run_worker(sweeper, stop, options)
