"""A draft source stopped while a call to the broker still waits (the topic's check waits up
to 10 s for a broker gone away; `stop` waits 5 s) ends quietly when the call fails: it logged
"draft source failed" after the test had gone (on a closed stream, an error in the next test's
setup: `make test`, stop 91)."""

import asyncio
import logging
import threading

import pytest

from infinite_scribe.kafka.drafts import KafkaDraftSource
from infinite_scribe.settings.kafka import KafkaConnection


async def test_a_call_that_fails_after_stop_is_not_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    asked, fail = threading.Event(), threading.Event()

    def ensure() -> None:  # the broker's answer: it fails once the source is stopping
        asked.set()
        fail.wait(5)
        raise RuntimeError("Broker transport failure")

    source = KafkaDraftSource(KafkaConnection("127.0.0.1:9"), "drafts", ensure)
    with caplog.at_level(logging.WARNING, logger="infinite_scribe.kafka.drafts"):
        source.start(lambda draft: None)
        await asyncio.to_thread(asked.wait, 5)
        stopping = asyncio.create_task(source.stop())
        await asyncio.sleep(0.05)
        fail.set()
        await stopping
    assert asked.is_set() and source._thread is not None and not source._thread.is_alive()
    # Only the source's own records: caplog hears every thread of the process, and a server
    # another test left running is that test's failure (LiveServer.stop), not this one's.
    own = [r.getMessage() for r in caplog.records if r.name == "infinite_scribe.kafka.drafts"]
    assert own == []
