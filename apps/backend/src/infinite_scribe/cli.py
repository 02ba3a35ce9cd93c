"""`scribe`: the command line and the composition root (nothing imports this module)."""

import asyncio
import logging
from typing import Annotated
from uuid import UUID

import typer

from infinite_scribe.config import ConfigurationError, Settings, load_settings
from infinite_scribe.persistence import migrate

app = typer.Typer(help="InfiniteScribe backend", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database migrations", no_args_is_help=True)
app.add_typer(db_app, name="db")


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
    from infinite_scribe.serve import run_up

    from infinite_scribe.relay.service import run_relay

    try:
        run_up(settings(), workers=[run_relay], host=host, port=port)
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
    from infinite_scribe.relay import process

    current = settings()
    database_url(current)
    process.run(current)


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


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
