"""Loopback port helpers shared by the embedded launchers, tests and benchmarks."""

import socket
import time
from collections.abc import Sequence
from contextlib import ExitStack, closing


def free_port(host: str = "127.0.0.1") -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def free_ports(hosts: Sequence[str]) -> list[int]:
    """A free port on each of `hosts`, all different: every socket is held until all are bound.
    A port released is the kernel's to give out again, and one picked after another may be the
    same (33 repeats in 1,000 picks here; `scribe up` once gave the API's and the worker's
    metrics one port)."""
    with ExitStack() as held:
        sockets = [
            held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) for _ in hosts
        ]
        for sock, host in zip(sockets, hosts, strict=True):
            sock.bind((host, 0))
        return [int(sock.getsockname()[1]) for sock in sockets]


def port_open(host: str, port: int, timeout: float = 0.2) -> bool:
    """Something listens on host:port. A socket connected to itself (TCP's simultaneous open,
    possible on a free port in the ephemeral range) is not a listener (issue 79 Q4)."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            return bool(sock.getsockname() != sock.getpeername())
    except OSError:
        return False


def wait_for_port(port: int, timeout: float = 20.0, host: str = "127.0.0.1") -> None:
    """Block until something accepts connections on host:port, or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    while not port_open(host, port):
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing listens on {host}:{port}")
        time.sleep(0.05)
