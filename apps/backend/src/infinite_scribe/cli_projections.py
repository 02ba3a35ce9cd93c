"""`scribe projections rebuild` and `scribe trash purge-expired`, plus the trash sweeper that
`scribe up` runs beside the API; registered by cli.py."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated
from uuid import UUID

import typer

from infinite_scribe.application.projections import (
    Difference,
    ProjectionRebuilder,
    RebuildReport,
)
from infinite_scribe.application.trash import TrashService
from infinite_scribe.cli.progress import Advance, progress
from infinite_scribe.persistence.database import create_pool
from infinite_scribe.persistence.event_store import EventStore
from infinite_scribe.persistence.projections import PostgresProjectionQueries
from infinite_scribe.persistence.repositories import unit_of_work
from infinite_scribe.persistence.trash import PostgresTrashQueries
from infinite_scribe.settings.services_file import describe_missing, with_running_services
from infinite_scribe.settings.settings import ConfigurationError, Settings, load_settings

logger = logging.getLogger(__name__)

projections_app = typer.Typer(help="Projections rebuilt from domain_events", no_args_is_help=True)
trash_app = typer.Typer(help="The trash of genesis sessions", no_args_is_help=True)


@dataclass(frozen=True)
class Maintenance:
    rebuilder: ProjectionRebuilder
    trash: TrashService


@asynccontextmanager
async def maintenance(settings: Settings, database_url: str) -> AsyncIterator[Maintenance]:
    """A small pool and the maintenance services on it."""
    pool = await create_pool(database_url, min_size=1, max_size=2)
    try:
        uow = unit_of_work(pool, EventStore(settings.kafka_topic))
        yield Maintenance(
            rebuilder=ProjectionRebuilder(uow, PostgresProjectionQueries(pool)),
            trash=TrashService(uow, PostgresTrashQueries(pool)),
        )
    finally:
        await pool.close()


def _settings_and_url() -> tuple[Settings, str]:
    try:
        current = with_running_services(load_settings())
    except ConfigurationError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from error
    url = current.resolved_database_url()
    if url is None:
        typer.echo(
            f"DATABASE_URL is not set (or POSTGRES_HOST) and {describe_missing(current)}", err=True
        )
        raise typer.Exit(2)
    return current, url


def describe(difference: Difference) -> list[str]:
    """Human lines for one differing session (what `--check` prints)."""
    if difference.error is not None:
        return [f"session {difference.session_id}: {difference.error}"]
    return [
        f"session {difference.session_id}: {name}: stored={stored!r} expected={expected!r}"
        for name, (stored, expected) in difference.fields.items()
    ]


@projections_app.command("rebuild")
def rebuild(
    session: Annotated[
        list[UUID] | None, typer.Option("--session", help="a session id (repeatable)")
    ] = None,
    all_sessions: Annotated[bool, typer.Option("--all", help="every session")] = False,
    check: Annotated[
        bool, typer.Option("--check", help="compare only; exit 1 on any difference")
    ] = False,
) -> None:
    """Rebuild genesis_sessions from domain_events alone (or --check it without writing)."""
    if bool(session) == all_sessions:
        typer.echo("give --session ID (one or more) or --all", err=True)
        raise typer.Exit(2)
    current, url = _settings_and_url()

    async def run(advance: Advance) -> RebuildReport:
        async with maintenance(current, url) as services:
            return await services.rebuilder.run(
                None if all_sessions else session, write=not check, on_progress=advance
            )

    with progress("checking sessions" if check else "rebuilding sessions", unit="sessions") as bar:
        report = asyncio.run(run(bar))
    for difference in report.differences:
        for line in describe(difference):
            typer.echo(line)
    verb = "differ" if check else "rewritten"
    count = len(report.differences) if check else report.rewritten
    typer.echo(f"checked {report.checked} session(s); {count} {verb}")
    broken = any(d.error is not None for d in report.differences)
    if broken or (check and report.differences):
        raise typer.Exit(1)


@trash_app.command("purge-expired")
def purge_expired(
    older_than_days: Annotated[
        float | None,
        typer.Option(min=0, help="default: TRASH_RETENTION_DAYS"),
    ] = None,
    batch: Annotated[int, typer.Option(min=1, max=10_000, help="sessions per query")] = 100,
) -> None:
    """Purge every session trashed longer than the retention (a cron job in production)."""
    current, url = _settings_and_url()
    days = current.trash_retention_days if older_than_days is None else older_than_days

    async def run() -> int:
        async with maintenance(current, url) as services:
            return await services.trash.purge_expired(timedelta(days=days), batch)

    typer.echo(f"purged {asyncio.run(run())} session(s) trashed more than {days:g} day(s) ago")


async def run_trash_sweeper(settings: Settings, stop: asyncio.Event) -> None:
    """A `serve.Background` for `scribe up`: purge expired trash now and then every
    TRASH_SWEEP_INTERVAL seconds until `stop` is set. A failed sweep is logged and retried at
    the next interval (the database may be restarting)."""
    url = settings.resolved_database_url()
    if url is None:
        return
    retention = timedelta(days=settings.trash_retention_days)
    while not stop.is_set():
        try:
            async with maintenance(settings, url) as services:
                purged = await services.trash.purge_expired(retention)
            if purged:
                logger.info("trash sweeper purged %d expired session(s)", purged)
        except Exception:  # a sweeper outlives one failed sweep
            logger.exception(
                "trash sweep failed; retrying in %.0f s", settings.trash_sweep_interval
            )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), settings.trash_sweep_interval)
