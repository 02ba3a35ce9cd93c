"""A TCP proxy on loopback in front of the test PostgreSQL (its Unix socket) that can be frozen:
while frozen it accepts connections and bytes but forwards nothing, as a SIGSTOPped server
behaves to its clients, without stopping the server every other test of the run shares."""

import contextlib
import glob
import socket
import threading
from urllib.parse import parse_qs, urlsplit, urlunsplit


def unix_socket_of(database_url: str) -> str:
    """The server's socket file, from a `postgresql://...?host=/dir` URL."""
    directory = parse_qs(urlsplit(database_url).query)["host"][0]
    found = [path for path in glob.glob(f"{directory}/.s.PGSQL.*") if not path.endswith(".lock")]
    assert found, f"no PostgreSQL socket in {directory}"
    return found[0]


class FrozenProxy:
    def __init__(self, database_url: str) -> None:
        self.target = unix_socket_of(database_url)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        parts = urlsplit(database_url)
        user = parts.username or "postgres"
        # The same database over TCP to the proxy (PostgreSQL still sees a Unix socket client).
        self.url = urlunsplit(("postgresql", f"{user}@127.0.0.1:{self.port}", parts.path, "", ""))
        self._thawed = threading.Event()
        self._thawed.set()
        self._closed = False
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def freeze(self) -> None:
        self._thawed.clear()

    def thaw(self) -> None:
        self._thawed.set()

    def close(self) -> None:
        self._closed = True
        self.thaw()
        self.listener.close()
        for sock in self._sockets:
            sock.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            server.connect(self.target)
            self._sockets += [client, server]
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                self._thawed.wait()  # frozen: hold what arrived, forward nothing
                if not data:
                    break
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
