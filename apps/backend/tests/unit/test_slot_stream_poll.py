"""The logical outbox's stream thread waits on its connection with poll(): select() raised
"filedescriptor out of range" for a descriptor above 1024 (a CI worker holding many files), and
the stream restarted and read its slot again."""

import os
import resource
import socket

import pytest

from infinite_scribe.persistence.outbox.slot_stream import readable_poller

_HIGH = 1_500


def test_a_descriptor_above_fd_setsize_is_waited_on() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard <= _HIGH:
        pytest.skip(f"the process may not hold descriptor {_HIGH} (hard limit {hard})")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, _HIGH + 1), hard))
    reader, writer = socket.socketpair()
    high = os.dup2(reader.fileno(), _HIGH)
    try:
        poller = readable_poller(high)
        assert poller.poll(10) == []  # nothing to read: waits, no error
        writer.send(b"x")
        assert poller.poll(1_000) != []
    finally:
        os.close(high)
        reader.close()
        writer.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
