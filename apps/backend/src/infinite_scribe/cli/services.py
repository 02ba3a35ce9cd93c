"""`scribe services`: where the `scribe up` of this SCRIBE_DATA_DIR serves (services.json)."""

from typing import Annotated

import typer

from infinite_scribe.cli.app import fail, settings

services_app = typer.Typer(help="Where a running `scribe up` serves")


@services_app.callback(invoke_without_command=True)
def services(
    env: Annotated[bool, typer.Option("--env", help="print `export` lines for a shell")] = False,
) -> None:
    """Print the services of the running `scribe up`; exit 1 when none runs (or it is stale)."""
    from infinite_scribe.settings.services_file import read_services, services_path

    data_dir = settings(find_up=False).scribe_data_dir
    found = read_services(data_dir)
    if found is None or not found.alive:
        state = "stale (its process is gone)" if found else "absent"
        fail(f"no running `scribe up`: {services_path(data_dir)} is {state}", code=1)
    if env:
        typer.echo(f"export DATABASE_URL='{found.database_url}'")
        typer.echo(f"export KAFKA_BOOTSTRAP_SERVERS='{found.kafka_bootstrap_servers}'")
        if found.kafka_cluster_id:
            typer.echo(f"export KAFKA_CLUSTER_ID='{found.kafka_cluster_id}'")
        return
    embedded = [
        name
        for name, on in (("database", found.embedded_database), ("kafka", found.embedded_kafka))
        if on
    ]
    typer.echo(f"scribe up     pid {found.pid}")
    typer.echo(f"api           {found.api_url}/api/v1")
    typer.echo(f"database      {found.database_url}")
    cluster = f" (cluster {found.kafka_cluster_id})" if found.kafka_cluster_id else ""
    typer.echo(f"kafka         {found.kafka_bootstrap_servers}{cluster}")
    for name, url in (("relay", found.relay_metrics_url), ("worker", found.worker_metrics_url)):
        if url:
            typer.echo(f"{name:<13} {url}/health")
    if found.local_model_url:
        typer.echo(f"local model   {found.local_model_name} at {found.local_model_url}")
    typer.echo(f"embedded      {', '.join(embedded) or 'nothing'}")
