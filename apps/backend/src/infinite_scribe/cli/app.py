"""The `scribe` Typer app and the one way every command loads its settings.

Commands import what they need (the database driver, Alembic, the API, librdkafka) inside the
command body, so `scribe --version` and `scribe --help` load none of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from infinite_scribe.settings.kafka import KafkaConnection
    from infinite_scribe.settings.settings import Settings

app = typer.Typer(help="InfiniteScribe backend", no_args_is_help=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print `message` to stderr and exit with `code` (2: a usage or configuration error)."""
    typer.echo(message, err=True)
    raise typer.Exit(code)


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
    """The settings (logging configured), with the services of a running `scribe up` where none
    are configured; a configuration error ends the command with its message and exit code 2."""
    from infinite_scribe.observability.logs import configure_logging
    from infinite_scribe.settings.services_file import with_running_services
    from infinite_scribe.settings.settings import ConfigurationError, load_settings

    try:
        loaded = load_settings()
        configure_logging(loaded)
        return with_running_services(loaded) if find_up else loaded
    except ConfigurationError as error:
        fail(str(error))


def database_url(current: Settings) -> str:
    """The database to use, or exit 2 saying that none is configured or running."""
    from infinite_scribe.settings.services_file import describe_missing

    url = current.resolved_database_url()
    if url is None:
        fail(
            "DATABASE_URL is not set (or POSTGRES_HOST) and "
            f"{describe_missing(current)}; `scribe up` starts an embedded database"
        )
    return url


def kafka_connection(current: Settings) -> KafkaConnection:
    """The Kafka cluster to use, or exit 2 saying that none is configured or running."""
    connection = current.kafka_connection()
    if connection is None:
        fail(
            "KAFKA_BOOTSTRAP_SERVERS is not set (nor KAFKA_HOST, KAFKA_CONFIG_FILE) and no "
            "running `scribe up` was found"
        )
    return connection
