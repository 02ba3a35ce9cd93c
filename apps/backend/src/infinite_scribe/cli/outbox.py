"""`scribe outbox status|requeue|cleanup` and `scribe events replay`: the Message Relay's
operations (docs/operations.md), each on a small pool of its own."""

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

import typer

from infinite_scribe.cli.app import database_url, fail, settings
from infinite_scribe.cli.progress import progress

outbox_app = typer.Typer(help="The event outbox (Message Relay operations)", no_args_is_help=True)
events_app = typer.Typer(help="Stored domain events", no_args_is_help=True)


@outbox_app.command("status")
def outbox_status() -> None:
    """Rows per status, age of the oldest PENDING row, FAILED rows with their errors."""
    from infinite_scribe.cli import outbox_calls

    typer.echo(outbox_calls.status(database_url(settings())))


@outbox_app.command("logical")
def outbox_logical(
    switch: Annotated[str, typer.Argument(help="on: messages through a slot; off: rows")],
) -> None:
    """Switch this database's outbox between rows and the logical slot (decision 2600)."""
    from infinite_scribe.cli import outbox_calls
    from infinite_scribe.persistence.outbox.slot import SLOT, LogicalModeUnavailable
    from infinite_scribe.persistence.outbox.switch import SwitchRefused

    if switch not in ("on", "off"):
        fail("say on or off")
    try:
        off = outbox_calls.logical(database_url(settings()), switch == "on")
    except (LogicalModeUnavailable, SwitchRefused) as error:
        fail(str(error), code=1)
    if off is None:
        typer.echo(
            f"outbox mode: logical (slot {SLOT}); every write committed from now on emits "
            "messages (the table's unsent rows go first, key by key)"
        )
        return
    typer.echo(
        f"outbox mode: table; every write committed from now on appends rows; "
        f"{off.handed_over} message(s) left in the slot were handed to the table, in order"
    )
    if off.dropped:
        typer.echo("the slot is dropped")
    else:
        fail(f"the slot {SLOT} still holds messages and is kept: run off again", code=1)


@outbox_app.command("requeue")
def outbox_requeue(
    row_id: Annotated[UUID | None, typer.Option("--id", help="one FAILED row")] = None,
    all_failed: Annotated[bool, typer.Option("--all-failed", help="every FAILED row")] = False,
) -> None:
    """Put FAILED rows back to PENDING with a fresh retry budget."""
    from infinite_scribe.persistence.database import run_with_pool
    from infinite_scribe.persistence.outbox import operations

    if (row_id is None) == (not all_failed):
        fail("give exactly one of --id ID or --all-failed")
    count = run_with_pool(
        database_url(settings()),
        lambda pool: operations.requeue(pool, row_id=row_id, all_failed=all_failed),
    )
    typer.echo(f"requeued {count} row(s)")
    if row_id is not None and count == 0:
        fail(f"no FAILED outbox row with id {row_id}", code=1)


@outbox_app.command("cleanup")
def outbox_cleanup(
    older_than: Annotated[float, typer.Option(min=0, help="age in hours")] = 168.0,
    batch: Annotated[int, typer.Option(min=1, max=100_000, help="rows per transaction")] = 1000,
) -> None:
    """Delete SENT rows older than --older-than hours, in bounded batches."""
    from infinite_scribe.persistence.database import run_with_pool
    from infinite_scribe.persistence.outbox import operations

    url = database_url(settings())
    with progress("deleting SENT outbox rows") as advance:
        count = run_with_pool(
            url,
            lambda pool: operations.cleanup(pool, older_than * 3600, batch, on_progress=advance),
        )
    typer.echo(f"deleted {count} SENT row(s)")


@events_app.command("replay")
def events_replay(
    session: Annotated[str | None, typer.Option(help="an aggregate (session) id")] = None,
    correlation_id: Annotated[UUID | None, typer.Option(help="one business flow")] = None,
    since: Annotated[datetime | None, typer.Option(help="events at or after this time")] = None,
    topic: Annotated[str | None, typer.Option(help="default: KAFKA_TOPIC")] = None,
) -> None:
    """Re-enqueue stored events as new outbox rows (same event ids: consumers deduplicate)."""
    from infinite_scribe.persistence.database import run_with_pool
    from infinite_scribe.persistence.outbox import operations

    if sum(x is not None for x in (session, correlation_id, since)) != 1:
        fail("give exactly one of --session, --correlation-id or --since")
    current = settings()
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    url, topic = database_url(current), topic or current.kafka_topic
    with progress("re-enqueueing events", unit="events") as advance:
        count = run_with_pool(
            url,
            lambda pool: operations.replay(
                pool,
                topic,
                aggregate_id=session,
                correlation_id=correlation_id,
                since=since,
                on_progress=advance,
            ),
        )
    typer.echo(f"re-enqueued {count} event(s)")
