"""`scribe worker`: the agent worker, and its dead-letter topic (`dlq list|replay`)."""

from typing import Annotated

import typer

from infinite_scribe.cli.app import database_url, fail, kafka_connection, settings

worker_app = typer.Typer(help="The agent worker and its dead-letter topic")
dlq_app = typer.Typer(help="The dead-letter topic of the agent worker", no_args_is_help=True)
worker_app.add_typer(dlq_app, name="dlq")


@worker_app.callback(invoke_without_command=True)
def worker(context: typer.Context) -> None:
    """Run the agent worker until SIGTERM/SIGINT (needs DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS)."""
    if context.invoked_subcommand is not None:
        return
    from infinite_scribe.agents.worker import run
    from infinite_scribe.observability.tracing import traced_process

    current = settings()
    database_url(current)
    kafka_connection(current)
    with traced_process(current, "infinite-scribe-worker"):
        run(current)


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
    current = settings()
    servers = kafka_connection(current)
    wanted = set(position or [])
    letters = [
        letter
        for letter in read_dead_letters(servers, current.kafka_topic)
        if all_letters or f"{letter.partition}:{letter.offset}" in wanted
    ]
    if wanted and len(letters) != len(wanted):
        fail("some positions are not in the dead-letter topic", code=1)
    typer.echo(f"replayed {replay_dead_letters(servers, letters)} dead letter(s)")
