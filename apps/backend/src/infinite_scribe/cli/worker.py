"""`scribe worker`: the agent worker, and its dead-letter topic (`dlq list|replay`)."""

import asyncio
import re
import uuid
from typing import TYPE_CHECKING, Annotated

import typer

from infinite_scribe.cli.app import database_url, fail, kafka_connection, settings

if TYPE_CHECKING:
    from infinite_scribe.application.ports.operator import AuditEntry
    from infinite_scribe.settings.settings import Settings

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
    if current.llm_local_model is not None and not current.uses_local_engine:
        fail(
            f"LLM_LOCAL_MODEL={current.llm_local_model}: the local engine runs under `scribe up` "
            "and none runs here; start `scribe up`, or name a running server with "
            "LLM_BASE_URL and LLM_MODEL instead"
        )
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


#: The actor the audit log names for an action from the command line (no user signs it).
COMMAND_LINE_ACTOR = uuid.UUID(int=0)


@dlq_app.command("replay")
def dlq_replay(
    position: Annotated[
        list[str] | None, typer.Option("--position", help="PARTITION:OFFSET (repeatable)")
    ] = None,
    all_letters: Annotated[bool, typer.Option("--all", help="every dead letter")] = False,
) -> None:
    """Replay dead letters as the console does: a failed generation is re-driven (its
    command sent again: a new attempt), another letter published again to its topic; each
    letter's outcome is printed and audited. Exit 1 when one was refused."""
    if bool(position) == all_letters:
        fail("give --position P:O (one or more) or --all")
    _check_positions(position or [])
    current = settings()
    url = database_url(current)
    kafka_connection(current)
    entry = asyncio.run(_replayed(current, url, position))
    outcomes = entry.target.get("outcome") or {}
    for where, outcome in sorted(outcomes.items()):
        typer.echo(f"{where} {outcome}", err=outcome.startswith("refused"))
    refused = sum(outcome.startswith("refused") for outcome in outcomes.values())
    for where in sorted(set(position or []) - set(outcomes)):
        typer.echo(f"{where} skipped: not in the topic, or already replayed or discarded", err=True)
        refused += 1
    typer.echo(f"replayed {entry.row_count} dead letter(s), refused {refused}")
    if refused:
        raise typer.Exit(1)


async def _replayed(current: "Settings", url: str, positions: list[str] | None) -> "AuditEntry":
    from infinite_scribe.application.ports.operator import DeadLetterFilter
    from infinite_scribe.composition.operator import operator_actions
    from infinite_scribe.domain.errors import NotFound

    async with operator_actions(current, url) as operator:
        try:
            done = await operator.replay_dead_letters(
                COMMAND_LINE_ACTOR,
                uuid.uuid4(),
                positions=positions,
                where=None if positions else DeadLetterFilter(),
            )
        except NotFound:
            fail(f"not in the dead-letter topic: {', '.join(sorted(positions or []))}", code=1)
    return done.entry
