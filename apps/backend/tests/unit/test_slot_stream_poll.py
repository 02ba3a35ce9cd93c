"""The logical outbox's stream thread waits on its connection with poll(): select() raised
"filedescriptor out of range" for a descriptor above 1024 (a CI worker holding many files), and
the stream restarted and read its slot again."""

import fcntl
import os
import resource
import socket

import pytest

from infinite_scribe.persistence.outbox.slot_stream import readable_poller

# select() takes descriptors below FD_SETSIZE (1024) only.
_FD_SETSIZE = 1_024


def test_a_descriptor_above_fd_setsize_is_waited_on() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard <= _FD_SETSIZE + 64:
        pytest.skip(f"the process may not hold a descriptor above {_FD_SETSIZE} (hard {hard})")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, _FD_SETSIZE + 64), hard))
    reader, writer = socket.socketpair()
    # The lowest free descriptor above FD_SETSIZE: dup2() to a fixed number would close whatever
    # the process held there (a CI worker's connection, once: the run hung at 97 %).
    high = fcntl.fcntl(reader.fileno(), fcntl.F_DUPFD, _FD_SETSIZE + 1)
    try:
        assert high > _FD_SETSIZE
        poller = readable_poller(high)
        assert poller.poll(10) == []  # nothing to read: waits, no error
        writer.send(b"x")
        assert poller.poll(1_000) != []
    finally:
        os.close(high)
        reader.close()
        writer.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
