"""`scribe`: the command line and the composition root (nothing imports this module)."""

import asyncio
import re
from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

import typer

from infinite_scribe.cli.idempotency import idempotency_app
from infinite_scribe.cli.kafka import kafka_app
from infinite_scribe.cli.progress import progress
from infinite_scribe.cli.projections import projections_app
from infinite_scribe.cli.schema import schema_app
from infinite_scribe.cli.services import services_app
from infinite_scribe.cli.trash import run_trash_sweeper, trash_app
from infinite_scribe.cli.worker import worker_app
from infinite_scribe.observability.logs import configure_logging
from infinite_scribe.persistence import migrate
from infinite_scribe.settings.services_file import (
    AlreadyRunning,
    describe_missing,
    live_services,
    sole_up,
    with_running_services,
)
from infinite_scribe.settings.settings import ConfigurationError, Settings, load_settings

app = typer.Typer(help="InfiniteScribe backend", no_args_is_help=True)
app.add_typer(services_app, name="services")
app.add_typer(kafka_app, name="kafka")
db_app = typer.Typer(help="Database migrations", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(idempotency_app, name="idempotency")
app.add_typer(schema_app, name="schema")
app.add_typer(worker_app, name="worker")
app.add_typer(projections_app, name="projections")
app.add_typer(trash_app, name="trash")
outbox_app = typer.Typer(help="The event outbox (Message Relay operations)", no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")
events_app = typer.Typer(help="Stored domain events", no_args_is_help=True)
app.add_typer(events_app, name="events")


def _version(show: bool) -> None:
    if show:
        from importlib.metadata import version

        typer.echo(f"scribe {version('infinite-scribe-backend')}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="print the version"),
    ] = False,
) -> None:
    """InfiniteScribe backend. Commands find a running `scribe up` (SCRIBE_DATA_DIR/services.json)
    when DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS are unset."""


def settings(*, find_up: bool = True) -> Settings:
    """The settings, with the services of a running `scribe up` where none are configured."""
    try:
        loaded = load_settings()
    except ConfigurationError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from error
    configure_logging(loaded)
    return with_running_services(loaded) if find_up else loaded


def database_url(current: Settings) -> str:
    url = current.resolved_database_url()
    if url is None:
        typer.echo(
            "DATABASE_URL is not set (or POSTGRES_HOST) and "
            f"{describe_missing(current)}; `scribe up` starts an embedded database",
            err=True,
        )
        raise typer.Exit(2)
    return url


@app.command()
def up(
    host: Annotated[str, typer.Option(help="API listen address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="API port")] = 8000,
) -> None:
    """Everything at once: embedded services as needed, migrations, API and workers."""
    from infinite_scribe.agents.worker import run_agent_worker
    from infinite_scribe.cli.up import run_up
    from infinite_scribe.relay.service import run_relay

    current = settings(find_up=False)
    running = live_services(current.scribe_data_dir)
    if running is not None:
        typer.echo(
            f"`scribe up` is already running with SCRIBE_DATA_DIR={current.scribe_data_dir} "
            f"(pid {running.pid}, {running.api_url})",
            err=True,
        )
        raise typer.Exit(2)
    try:
        with sole_up(current.scribe_data_dir):
            run_up(
                current,
                workers=[run_relay, run_agent_worker, run_trash_sweeper],
                host=host,
                port=port,
            )
    except AlreadyRunning as error:
        typer.echo(f"`scribe up` is already running: {error}", err=True)
        raise typer.Exit(2) from error
    except ConfigurationError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from error


@app.command()
def api(
    host: Annotated[str, typer.Option(help="listen address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8000,
    access_log: Annotated[bool, typer.Option(help="log every request at INFO")] = True,
) -> None:
    """The HTTP API alone (needs DATABASE_URL and KAFKA_BOOTSTRAP_SERVERS)."""
    from infinite_scribe.cli.up import run_api

    current = settings()
    database_url(current)
    try:
        run_api(current, host, port, access_log)
    except ConfigurationError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from error


@app.command()
def relay() -> None:
    """The Message Relay: outbox rows to Kafka until SIGTERM/SIGINT."""
    from infinite_scribe.observability.tracing import traced_process
    from infinite_scribe.relay.service import serve_relay

    current = settings()
    database_url(current)
    with traced_process(current, "infinite-scribe-relay"):
        serve_relay(current)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply migrations up to REVISION (default: head)."""
    migrate.upgrade(database_url(settings()), revision)


# `-1` (one step back) would otherwise be read as an unknown option.
@db_app.command("downgrade", context_settings={"ignore_unknown_options": True})
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="a revision id, -N, or base (drops all)")],
    yes: Annotated[bool, typer.Option("--yes", help="confirm dropping the whole schema")] = False,
) -> None:
    """Revert migrations down to REVISION; `base` (an empty schema: every table and its data
    dropped) also needs --yes."""
    url = database_url(settings())
    if not yes and _drops_everything(url, revision):
        typer.echo(f"`db downgrade {revision}` drops every table and its data; add --yes", err=True)
        raise typer.Exit(2)
    migrate.downgrade(url, revision)


def _drops_everything(url: str, revision: str) -> bool:
    if revision == "base":
        return True
    if not re.fullmatch(r"-\d+", revision):
        return False
    current = asyncio.run(migrate.current_revision(url))
    return int(revision[1:]) >= migrate.applied_depth(url, current)


@db_app.command("current")
def db_current() -> None:
    """Print the database's current revision."""
    revision = asyncio.run(migrate.current_revision(database_url(settings())))
    typer.echo(revision or "(empty: no migration applied)")


@db_app.command("sql")
def db_sql() -> None:
    """Print the full migration as an SQL script (no database needed)."""
    typer.echo(migrate.upgrade_sql())


@app.command()
def token(
    user: Annotated[UUID, typer.Option(help="the user id (the token's sub claim)")],
    ttl: Annotated[int, typer.Option(min=1, help="lifetime in seconds")] = 3600,
) -> None:
    """Print an HS256 JWT for USER signed with JWT_SECRET_KEY."""
    from infinite_scribe.api.auth import create_access_token

    typer.echo(create_access_token(settings(), user, ttl))


@outbox_app.command("status")
def outbox_status() -> None:
    """Rows per status, age of the oldest PENDING row, FAILED rows with their errors."""
    from infinite_scribe.cli import outbox_calls as operations_cli

    typer.echo(operations_cli.status(database_url(settings())))


@outbox_app.command("requeue")
def outbox_requeue(
    row_id: Annotated[UUID | None, typer.Option("--id", help="one FAILED row")] = None,
    all_failed: Annotated[bool, typer.Option("--all-failed", help="every FAILED row")] = False,
) -> None:
    """Put FAILED rows back to PENDING with a fresh retry budget."""
    from infinite_scribe.cli import outbox_calls as operations_cli

    if (row_id is None) == (not all_failed):
        typer.echo("give exactly one of --id ID or --all-failed", err=True)
        raise typer.Exit(2)
    count = operations_cli.requeue(database_url(settings()), row_id, all_failed)
    typer.echo(f"requeued {count} row(s)")
    if row_id is not None and count == 0:
        typer.echo(f"no FAILED outbox row with id {row_id}", err=True)
        raise typer.Exit(1)


@outbox_app.command("cleanup")
def outbox_cleanup(
    older_than: Annotated[float, typer.Option(min=0, help="age in hours")] = 168.0,
    batch: Annotated[int, typer.Option(min=1, max=100_000, help="rows per transaction")] = 1000,
) -> None:
    """Delete SENT rows older than --older-than hours, in bounded batches."""
    from infinite_scribe.cli import outbox_calls as operations_cli

    url = database_url(settings())
    with progress("deleting SENT outbox rows") as advance:
        count = operations_cli.cleanup(url, older_than * 3600, batch, advance)
    typer.echo(f"deleted {count} SENT row(s)")


@events_app.command("replay")
def events_replay(
    session: Annotated[str | None, typer.Option(help="an aggregate (session) id")] = None,
    correlation_id: Annotated[UUID | None, typer.Option(help="one business flow")] = None,
    since: Annotated[datetime | None, typer.Option(help="events at or after this time")] = None,
    topic: Annotated[str | None, typer.Option(help="default: KAFKA_TOPIC")] = None,
) -> None:
    """Re-enqueue stored events as new outbox rows (same event ids: consumers deduplicate)."""
    from infinite_scribe.cli import outbox_calls as operations_cli

    if sum(x is not None for x in (session, correlation_id, since)) != 1:
        typer.echo("give exactly one of --session, --correlation-id or --since", err=True)
        raise typer.Exit(2)
    current = settings()
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    url, topic = database_url(current), topic or current.kafka_topic
    with progress("re-enqueueing events", unit="events") as advance:
        count = operations_cli.replay(url, topic, session, correlation_id, since, advance)
    typer.echo(f"re-enqueued {count} event(s)")


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
