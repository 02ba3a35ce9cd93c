"""`scribe schema export`: the JSON Schemas of the event envelope and every event payload,
for consumers in other languages."""

from pathlib import Path
from typing import Annotated

import typer

schema_app = typer.Typer(help="Contracts for consumers in other languages", no_args_is_help=True)


@schema_app.command("export")
def export(
    out: Annotated[Path, typer.Option(help="directory to write the JSON Schemas to")] = Path(
        "schemas"
    ),
) -> None:
    """Write the JSON Schema of EventEnvelope and of each event type's payload."""
    from shared_types.schema_export import export_schemas

    for path in export_schemas(out):
        typer.echo(str(path))
