"""PostgreSQL killed as a crash would (kill -9 of the postmaster) and started again."""

import asyncio
import signal

import psutil

from infinite_scribe.embedded.postgres import EmbeddedPostgres


async def crash_and_restart(postgres: EmbeddedPostgres) -> None:
    """kill -9 the postmaster; once its backends are gone too (until then its shared memory is
    in use and pg_ctl refuses), start it again, as `scribe up`'s supervisor does."""
    assert postgres.pid is not None
    postmaster = psutil.Process(postgres.pid)
    backends = postmaster.children(recursive=True)
    postmaster.send_signal(signal.SIGKILL)
    await asyncio.to_thread(psutil.wait_procs, [postmaster, *backends], 30)
    for attempt in range(3):  # pg_ctl start can fail once right after a crash on a loaded host
        try:
            await asyncio.to_thread(postgres.restart)
            return
        except RuntimeError:
            if attempt == 2:
                raise
            await asyncio.sleep(3)
