"""Progress bars for long commands (`outbox cleanup`, `events replay`, `idempotency cleanup`,
`projections rebuild`, `model pull`): shown on stderr when it is a terminal, silent otherwise
so that scripts and logs get only the commands' result lines.

    with progress("deleting SENT rows", unit="rows") as advance:
        total = job(on_progress=advance)   # advance(n) after each batch
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

Advance = Callable[[int], None]
#: A transfer's (start(bytes already there, total or None), advance(bytes)).
Transfer = tuple[Callable[[int, int | None], None], Advance]


@contextmanager
def progress(
    description: str, total: int | None = None, unit: str = "rows", console: Console | None = None
) -> Iterator[Advance]:
    """Yield `advance(n)`; with no `total` the bar counts without an end (a spinner)."""
    # rich is imported here: a command that shows no bar should not pay for it.
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    console = console or Console(stderr=True)
    columns: list[ProgressColumn] = [SpinnerColumn(), TextColumn("{task.description}")]
    if total is not None:
        columns += [BarColumn(), MofNCompleteColumn()]
    else:
        columns.append(TextColumn("{task.completed} " + unit))
    columns.append(TimeElapsedColumn())
    with Progress(
        *columns, console=console, transient=True, disable=not console.is_terminal
    ) as bar:
        task = bar.add_task(description, total=total)
        yield lambda count: bar.advance(task, count)


@contextmanager
def transfer(description: str, console: Console | None = None) -> Iterator[Transfer]:
    """A download's bar (bytes, speed, time left): yields `(start(done, total), advance(n))`;
    on a terminal only, like `progress`."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    console = console or Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task(description, total=None)

        def start(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        yield start, lambda count: bar.advance(task, count)
