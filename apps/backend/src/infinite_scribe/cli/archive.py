"""`scribe archive`: sessions moved to the archived partition of `domain_events` (issue 51,
decision 5101), one by id or every one due; and the archive step of the trash sweeper."""

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

import typer

from infinite_scribe.cli.app import fail
from infinite_scribe.cli.projections import maintenance, settings_and_url

if TYPE_CHECKING:
    from infinite_scribe.application.archive import ArchiveOutcome
    from infinite_scribe.cli.projections import Maintenance
    from infinite_scribe.settings.settings import Settings

archive_app = typer.Typer(
    help="Sessions moved to the archived partition (reads still find them)", no_args_is_help=True
)

_DAYS = typer.Option(min=0, help="idle (or trashed) longer than this many days")
_BATCH = typer.Option(min=1, max=10_000, help="sessions per query")


@archive_app.command("session")
def archive_session(session_id: UUID) -> None:
    """Archive one session and its novel (idempotent: an archived session is left as it is)."""
    from infinite_scribe.domain.errors import ScribeError

    current, url = settings_and_url()

    async def run() -> "ArchiveOutcome":
        async with maintenance(current, url) as services:
            return await services.archive.archive(session_id)

    try:
        outcome = asyncio.run(run())
    except ScribeError as error:
        fail(f"{error.error_code}: {error.message}", code=1)
    if outcome.changed:
        typer.echo(f"archived session {session_id}: {outcome.events_moved} event(s) moved")
    else:
        typer.echo(f"session {session_id} was archived already")


@archive_app.command("finished")
def archive_finished(
    older_than_days: Annotated[float, _DAYS], batch: Annotated[int, _BATCH] = 100
) -> None:
    """Archive every finished session whose book has been idle longer than the given age."""
    from infinite_scribe.domain.archive import FINISHED_AND_IDLE

    _archive_due(FINISHED_AND_IDLE, older_than_days, batch)


@archive_app.command("trashed")
def archive_trashed(
    older_than_days: Annotated[
        float | None, typer.Option(min=0, help="default: ARCHIVE_TRASHED_AFTER_DAYS")
    ] = None,
    batch: Annotated[int, _BATCH] = 100,
) -> None:
    """Archive every session in the trash longer than the given age."""
    from infinite_scribe.domain.archive import TRASHED_AND_IDLE

    _archive_due(TRASHED_AND_IDLE, older_than_days, batch)


def _archive_due(reason: str, days: float | None, batch: int) -> None:
    current, url = settings_and_url()
    age = current.archive_trashed_after_days if days is None else days

    async def run() -> list["ArchiveOutcome"]:
        async with maintenance(current, url) as services:
            return await services.archive.archive_due(reason, timedelta(days=age), batch)

    done = asyncio.run(run())
    moved = sum(outcome.events_moved for outcome in done)
    typer.echo(f"archived {len(done)} session(s) ({reason}, over {age:g} day(s)): {moved} event(s)")


@archive_app.command("prune")
def prune_derived(
    older_than_days: Annotated[
        float | None, typer.Option(min=0, help="default: DERIVED_RETENTION_DAYS")
    ] = None,
    batch: Annotated[int, typer.Option(min=1, max=100_000, help="rows per transaction")] = 1000,
) -> None:
    """Delete finished tasks, finished commands' inbox rows and consumer ledger rows older
    than the retention (the event log keeps everything)."""
    from infinite_scribe.persistence.archive.retention import prune
    from infinite_scribe.persistence.database import run_with_pool

    current, url = settings_and_url()
    days = current.derived_retention_days if older_than_days is None else older_than_days
    counts = run_with_pool(url, lambda pool: prune(pool, days * 86400, batch))
    typer.echo("deleted " + ", ".join(f"{n} {table}" for table, n in counts.items()))


async def sweep_archive(settings: "Settings", services: "Maintenance") -> int:
    """The sweeper's step: trashed sessions past ARCHIVE_TRASHED_AFTER_DAYS, and finished ones
    past ARCHIVE_FINISHED_AFTER_DAYS when it is set; then the derived tables' retention."""
    from infinite_scribe.domain.archive import FINISHED_AND_IDLE, TRASHED_AND_IDLE
    from infinite_scribe.persistence.archive.retention import prune

    ages = {TRASHED_AND_IDLE: settings.archive_trashed_after_days}
    if settings.archive_finished_after_days is not None:
        ages[FINISHED_AND_IDLE] = settings.archive_finished_after_days
    done = 0
    for reason, days in ages.items():
        done += len(await services.archive.archive_due(reason, timedelta(days=days)))
    pruned = await prune(services.pool, settings.derived_retention_days * 86400)
    return done + sum(pruned.values())
