"""`scribe projections rebuild`: genesis_sessions and the novels' story memory (issue 48) rebuilt
(or checked) from domain_events alone;
and `maintenance()`, the small pool and services the maintenance commands share."""

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, TypeVar
from uuid import UUID

import typer

from infinite_scribe.cli.app import database_url, fail, settings
from infinite_scribe.cli.progress import Advance, progress

if TYPE_CHECKING:
    import asyncpg

    from infinite_scribe.application.archive import ArchiveService
    from infinite_scribe.application.projections import (
        Difference,
        ProjectionRebuilder,
        RebuildReport,
    )
    from infinite_scribe.application.story_rebuild import StoryRebuilder, StoryReport
    from infinite_scribe.application.trash import TrashService
    from infinite_scribe.settings.settings import Settings

R = TypeVar("R")

projections_app = typer.Typer(help="Projections rebuilt from domain_events", no_args_is_help=True)


@dataclass(frozen=True)
class Maintenance:
    rebuilder: "ProjectionRebuilder"
    trash: "TrashService"
    story: "StoryRebuilder"
    archive: "ArchiveService"
    pool: "asyncpg.Pool"


@asynccontextmanager
async def maintenance(settings: "Settings", database_url: str) -> AsyncIterator[Maintenance]:
    """A small pool and the maintenance services on it."""
    from infinite_scribe.application.archive import ArchiveService
    from infinite_scribe.application.projections import ProjectionRebuilder
    from infinite_scribe.application.story_rebuild import StoryRebuilder
    from infinite_scribe.application.trash import TrashService
    from infinite_scribe.persistence.genesis.projections import PostgresProjectionQueries
    from infinite_scribe.persistence.genesis.trash import PostgresTrashQueries
    from infinite_scribe.persistence.storage import StorageOptions, open_storage

    options = StorageOptions(database_url, settings.kafka_topic, settings.event_max_bytes)
    async with open_storage(options) as storage:
        pool, uow = storage.pool, storage.uow
        yield Maintenance(
            rebuilder=ProjectionRebuilder(uow, PostgresProjectionQueries(pool)),
            trash=TrashService(uow, PostgresTrashQueries(pool)),
            story=StoryRebuilder(uow),
            archive=ArchiveService(uow),
            pool=pool,
        )


def settings_and_url() -> tuple["Settings", str]:
    current = settings()
    return current, database_url(current)


def describe(difference: "Difference") -> list[str]:
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
    novel: Annotated[
        list[UUID] | None,
        typer.Option("--novel", help="a novel id (repeatable): its story memory and findings"),
    ] = None,
    all_sessions: Annotated[
        bool, typer.Option("--all", help="every session, and every novel's story memory")
    ] = False,
    check: Annotated[
        bool, typer.Option("--check", help="compare only; exit 1 on any difference")
    ] = False,
) -> None:
    """Rebuild genesis_sessions (and the story memory projection, issue 48) from domain_events
    alone (or --check them without writing)."""
    if bool(session or novel) == all_sessions:
        fail("give --session ID or --novel ID (one or more), or --all")
    current, url = settings_and_url()
    broken = False
    if session or all_sessions:
        broken |= _sessions(current, url, None if all_sessions else session, check)
    if novel or all_sessions:
        broken |= _novels(current, url, None if all_sessions else novel, check)
    if broken:
        raise typer.Exit(1)


def _sessions(current: "Settings", url: str, ids: list[UUID] | None, check: bool) -> bool:
    async def run(advance: Advance) -> "RebuildReport":
        async with maintenance(current, url) as services:
            return await services.rebuilder.run(ids, write=not check, on_progress=advance)

    report = _ran(run, "session", check)
    lines = [line for difference in report.differences for line in describe(difference)]
    _summary(lines, report.checked, len(report.differences), report.rewritten, "session", check)
    broken = any(d.error is not None for d in report.differences)
    return broken or (check and bool(report.differences))


def _novels(current: "Settings", url: str, ids: list[UUID] | None, check: bool) -> bool:
    async def run(advance: Advance) -> "StoryReport":
        async with maintenance(current, url) as services:
            return await services.story.run(ids, write=not check, on_progress=advance)

    report = _ran(run, "novel", check)
    lines = [f"novel {d.novel_id}: {what}" for d in report.differences for what in d.what]
    failed = [d for d in report.differences if d.error is not None]
    lines += [f"novel {d.novel_id}: not folded: {d.error}" for d in failed]
    differ = len(report.differences) - len(failed)
    _summary(lines, report.checked, differ, report.rewritten, "novel", check)
    if failed:
        typer.echo(f"{len(failed)} novel(s) could not be folded")
    return bool(failed) or (check and bool(differ))


def _ran(run: Callable[[Advance], Coroutine[Any, Any, R]], noun: str, check: bool) -> R:
    """`run` under a progress bar of `noun`s."""
    with progress(f"{'checking' if check else 'rebuilding'} {noun}s", unit=f"{noun}s") as bar:
        return asyncio.run(run(bar))


def _summary(
    lines: list[str], checked: int, differ: int, rewritten: int, noun: str, check: bool
) -> None:
    for line in lines:
        typer.echo(line)
    verb = "differ" if check else "rewritten"
    typer.echo(f"checked {checked} {noun}(s); {differ if check else rewritten} {verb}")
