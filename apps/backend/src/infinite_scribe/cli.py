"""`scribe`: the command line and the composition root (nothing imports this module)."""

import asyncio
import logging
from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

import typer

from infinite_scribe.cli_idempotency import idempotency_app, schema_app
from infinite_scribe.cli_worker import worker_app
from infinite_scribe.config import ConfigurationError, Settings, load_settings
from infinite_scribe.persistence import migrate

app = typer.Typer(help="InfiniteScribe backend", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database migrations", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(idempotency_app, name="idempotency")
app.add_typer(schema_app, name="schema")
app.add_typer(worker_app, name="worker")
outbox_app = typer.Typer(help="The event outbox (Message Relay operations)", no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")
events_app = typer.Typer(help="Stored domain events", no_args_is_help=True)
app.add_typer(events_app, name="events")


def settings() -> Settings:
    try:
        loaded = load_settings()
    except ConfigurationError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from error
    logging.basicConfig(
        level=loaded.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return loaded


def database_url(current: Settings) -> str:
    url = current.resolved_database_url()
    if url is None:
        typer.echo(
            "DATABASE_URL is not set (or POSTGRES_HOST); `scribe up` starts an embedded database",
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
    from infinite_scribe.relay.service import run_relay
    from infinite_scribe.serve import run_up

    try:
        run_up(settings(), workers=[run_relay, run_agent_worker], host=host, port=port)
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
    from infinite_scribe.serve import run_api

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
    from infinite_scribe.relay.service import serve_relay

    current = settings()
    database_url(current)
    serve_relay(current)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply migrations up to REVISION (default: head)."""
    migrate.upgrade(database_url(settings()), revision)


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument()] = "base") -> None:
    """Revert migrations down to REVISION (default: base, an empty schema)."""
    migrate.downgrade(database_url(settings()), revision)


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
    from infinite_scribe.relay import operations_cli

    typer.echo(operations_cli.status(database_url(settings())))


@outbox_app.command("requeue")
def outbox_requeue(
    row_id: Annotated[UUID | None, typer.Option("--id", help="one FAILED row")] = None,
    all_failed: Annotated[bool, typer.Option("--all-failed", help="every FAILED row")] = False,
) -> None:
    """Put FAILED rows back to PENDING with a fresh retry budget."""
    from infinite_scribe.relay import operations_cli

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
    from infinite_scribe.relay import operations_cli

    count = operations_cli.cleanup(database_url(settings()), older_than * 3600, batch)
    typer.echo(f"deleted {count} SENT row(s)")


@events_app.command("replay")
def events_replay(
    session: Annotated[str | None, typer.Option(help="an aggregate (session) id")] = None,
    correlation_id: Annotated[UUID | None, typer.Option(help="one business flow")] = None,
    since: Annotated[datetime | None, typer.Option(help="events at or after this time")] = None,
    topic: Annotated[str | None, typer.Option(help="default: KAFKA_TOPIC")] = None,
) -> None:
    """Re-enqueue stored events as new outbox rows (same event ids: consumers deduplicate)."""
    from infinite_scribe.relay import operations_cli

    if sum(x is not None for x in (session, correlation_id, since)) != 1:
        typer.echo("give exactly one of --session, --correlation-id or --since", err=True)
        raise typer.Exit(2)
    current = settings()
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    count = operations_cli.replay(
        database_url(current), topic or current.kafka_topic, session, correlation_id, since
    )
    typer.echo(f"re-enqueued {count} event(s)")


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
