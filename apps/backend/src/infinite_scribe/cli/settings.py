"""`scribe settings`: the settings table, generated from the fields' descriptions; `--check`
and `--write` keep the README's copy (between its settings markers) in step with the code."""

from pathlib import Path
from typing import Annotated

import typer

from infinite_scribe.cli.app import fail


def settings(
    check: Annotated[
        Path | None,
        typer.Option("--check", help="exit 1 when this file's table differs from the code's"),
    ] = None,
    write: Annotated[
        Path | None, typer.Option("--write", help="replace this file's table with the code's")
    ] = None,
) -> None:
    """Print the settings table in Markdown, from the code.

    Every environment variable the settings read, its default and meaning, per component."""
    from infinite_scribe.settings.table import settings_table, stale, table_in, with_table

    table = settings_table()
    if write is not None:
        text = write.read_text(encoding="utf-8")
        if table_in(text) is None:
            fail(f"{write}: no <!-- settings:begin --> ... <!-- settings:end --> block")
        write.write_text(with_table(text, table), encoding="utf-8")
    if check is not None:
        if stale(check):
            fail(
                f"{check}: the settings table differs from the code; run `scribe settings "
                f"--write {check}`",
                code=1,
            )
        typer.echo(f"{check}: the settings table matches the code")
    if check is None and write is None:
        typer.echo(table, nl=False)
