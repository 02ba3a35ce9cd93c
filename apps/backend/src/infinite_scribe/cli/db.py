"""`scribe db upgrade|downgrade|current|sql`: Alembic migrations (the only commands, with
`scribe up`, that import Alembic)."""

import asyncio
import re
from typing import Annotated

import typer

from infinite_scribe.cli.app import database_url, fail, settings

db_app = typer.Typer(help="Database migrations", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply migrations up to REVISION (default: head)."""
    from infinite_scribe.persistence import migrate

    migrate.upgrade(database_url(settings()), revision)


# `-1` (one step back) would otherwise be read as an unknown option.
@db_app.command("downgrade", context_settings={"ignore_unknown_options": True})
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="a revision id, -N, or base (drops all)")],
    yes: Annotated[bool, typer.Option("--yes", help="confirm dropping the whole schema")] = False,
) -> None:
    """Revert migrations down to REVISION; `base` (an empty schema: every table and its data
    dropped) also needs --yes."""
    from infinite_scribe.persistence import migrate

    url = database_url(settings())
    if not yes and _drops_everything(url, revision):
        fail(f"`db downgrade {revision}` drops every table and its data; add --yes")
    migrate.downgrade(url, revision)


def _drops_everything(url: str, revision: str) -> bool:
    from infinite_scribe.persistence import migrate

    if revision == "base":
        return True
    if not re.fullmatch(r"-\d+", revision):
        return False
    current = asyncio.run(migrate.current_revision(url))
    return int(revision[1:]) >= migrate.applied_depth(url, current)


@db_app.command("current")
def db_current() -> None:
    """Print the database's current revision."""
    from infinite_scribe.persistence import migrate

    revision = asyncio.run(migrate.current_revision(database_url(settings())))
    typer.echo(revision or "(empty: no migration applied)")


@db_app.command("sql")
def db_sql() -> None:
    """Print the full migration as an SQL script (no database needed)."""
    from infinite_scribe.persistence import migrate

    typer.echo(migrate.upgrade_sql())
