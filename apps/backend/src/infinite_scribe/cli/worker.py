"""`scribe worker`: the agent worker, and its dead-letter topic (`dlq list|replay`)."""

import re
from typing import Annotated

import typer

from infinite_scribe.cli.app import database_url, fail, kafka_connection, settings

worker_app = typer.Typer(help="The agent worker and its dead-letter topic")
dlq_app = typer.Typer(help="The dead-letter topic of the agent worker", no_args_is_help=True)
worker_app.add_typer(dlq_app, name="dlq")

_POSITION = re.compile(r"^\d+:\d+$")


@worker_app.callback(invoke_without_command=True)
def worker(
    context: typer.Context,
    processes: Annotated[
        int,
        typer.Option(
            min=1,
            max=256,
            help="worker processes sharing the consumer group (one core each; metrics ports "
            "WORKER_METRICS_PORT, +1, ...)",
        ),
    ] = 1,
) -> None:
    """Run the agent worker until SIGTERM/SIGINT (needs DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS)."""
    if context.invoked_subcommand is not None:
        return
    current = settings()
    database_url(current)
    kafka_connection(current)
    if processes > 1:
        _run_processes(processes, current.worker_metrics_port)
        return
    from infinite_scribe.composition.agents import serve_agent_worker
    from infinite_scribe.observability.tracing import traced_process

    with traced_process(current, "infinite-scribe-worker"):
        serve_agent_worker(current)


def _run_processes(count: int, metrics_port: int) -> None:
    import sys

    from infinite_scribe.runtime.processes import child_environment, run_children

    command = [sys.executable, "-m", "infinite_scribe.cli", "worker", "--processes", "1"]
    environments = [child_environment(index, metrics_port) for index in range(count)]
    raise typer.Exit(run_children([command] * count, environments))


@dlq_app.command("list")
def dlq_list() -> None:
    """Every dead letter: position, key, error, original topic/partition/offset."""
    from infinite_scribe.kafka.dead_letters import read_dead_letters

    current = settings()
    count = 0
    for letter in read_dead_letters(kafka_connection(current), current.kafka_topic):
        count += 1
        origin = (
            f"{letter.headers.get('dlq_original_topic')}/"
            f"{letter.headers.get('dlq_original_partition')}/"
            f"{letter.headers.get('dlq_original_offset')}"
        )
        typer.echo(
            f"{letter.partition}:{letter.offset} key={letter.key} from={origin} {letter.error}"
        )
    typer.echo(f"{count} dead letter(s)")


def _check_positions(positions: list[str]) -> None:
    malformed = [given for given in positions if not _POSITION.match(given)]
    if malformed:
        shown = ", ".join(malformed)
        typer.echo(f"bad format: {shown} (want PARTITION:OFFSET, e.g. 0:17)", err=True)
        raise typer.Exit(2)


@dlq_app.command("replay")
def dlq_replay(
    position: Annotated[
        list[str] | None, typer.Option("--position", help="PARTITION:OFFSET (repeatable)")
    ] = None,
    all_letters: Annotated[bool, typer.Option("--all", help="every dead letter")] = False,
) -> None:
    """Produce dead letters again to their original topic (the worker dedupes by event id)."""
    from infinite_scribe.kafka.dead_letters import read_dead_letters, replay_dead_letters

    if bool(position) == all_letters:
        fail("give --position P:O (one or more) or --all")
    _check_positions(position or [])
    current = settings()
    servers = kafka_connection(current)
    wanted = set(position or [])
    letters = [
        letter
        for letter in read_dead_letters(servers, current.kafka_topic)
        if all_letters or letter.position in wanted
    ]
    missing = wanted - {letter.position for letter in letters}
    if missing:
        fail(f"not in the dead-letter topic: {', '.join(sorted(missing))}", code=1)
    # A message someone produced to the topic by hand has no original topic: say so and go on
    # with the others (one such letter made `--all` crash and replay nothing: issue 21).
    skipped = [letter for letter in letters if letter.original_topic is None]
    for letter in skipped:
        typer.echo(f"skipped {letter.position}: no dlq_original_topic header", err=True)
    typer.echo(f"replayed {replay_dead_letters(servers, letters)} dead letter(s)")
    if skipped:
        typer.echo(f"skipped {len(skipped)} letter(s) without dead-letter headers", err=True)
        raise typer.Exit(1)
