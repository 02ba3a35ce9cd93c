"""`scribe relay`: one relay in this process until SIGTERM/SIGINT, then a clean exit."""

import asyncio
import logging
import signal

import uvloop

from infinite_scribe.config import Settings
from infinite_scribe.relay.service import Relay

logger = logging.getLogger(__name__)


async def serve(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await Relay(settings).run(stop)


def run(settings: Settings) -> None:
    """Block until a signal stops the relay; every claimed row is acknowledged or released."""
    uvloop.run(serve(settings))
