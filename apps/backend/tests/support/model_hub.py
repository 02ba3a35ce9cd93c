"""A model hub on loopback for `scribe model pull` (issue 77): Hugging Face's layout
(`/<owner>/<repo>/resolve/<revision>/<file>` answered with a 302 to the file's store, the
redirect carrying the file's SHA-256 as `X-Linked-Etag`), the store answering Range requests
with 206. A test can cut the next transfer after some bytes, or make the hub lie about the
checksum. Nothing leaves the machine.

    with ModelHub({"owner/repo/model.gguf": data}) as hub:
        pull_model(source, data_dir, hub.url)
"""

import hashlib
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class ModelHub:
    """The hub; `requests` records (method, path, Range header) of each request."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.requests: list[tuple[str, str, str | None]] = []
        #: Cut the next GET of the store after this many bytes (then reset to None).
        self.cut_after: int | None = None
        #: The SHA-256 announced for every file instead of the true one.
        self.announced_sha256: str | None = None
        #: Answer Range requests with the whole file (a server that cannot resume).
        self.ignore_range = False
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def sha256(self, key: str) -> str:
        return self.announced_sha256 or hashlib.sha256(self.files[key]).hexdigest()

    def __enter__(self) -> "ModelHub":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


_RESOLVE = re.compile(r"^/([^/]+/[^/]+)/resolve/([^/]+)/([^/]+)$")
_STORE = re.compile(r"^/store/([^/]+/[^/]+/[^/]+)$")
_RANGE = re.compile(r"^bytes=(\d+)-$")


def _handler(hub: ModelHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_HEAD(self) -> None:
            self._answer(body=False)

        def do_GET(self) -> None:
            self._answer(body=True)

        def _answer(self, body: bool) -> None:
            hub.requests.append((self.command, self.path, self.headers.get("Range")))
            resolved = _RESOLVE.match(self.path)
            if resolved and f"{resolved[1]}/{resolved[3]}" in hub.files:
                key = f"{resolved[1]}/{resolved[3]}"
                self.send_response(302)
                self.send_header("Location", f"/store/{key}")
                self.send_header("X-Linked-Etag", f'"{hub.sha256(key)}"')
                self.send_header("X-Linked-Size", str(len(hub.files[key])))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            stored = _STORE.match(self.path)
            if stored and stored[1] in hub.files:
                self._send_file(hub.files[stored[1]], body)
                return
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _send_file(self, data: bytes, body: bool) -> None:
            wanted = _RANGE.match(self.headers.get("Range") or "")
            start = int(wanted[1]) if wanted and not hub.ignore_range else 0
            if start >= len(data) and wanted:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206 if start else 200)
            if start:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.send_header("Content-Length", str(len(data) - start))
            self.end_headers()
            if not body:
                return
            cut, hub.cut_after = hub.cut_after, None
            if cut is not None:
                # The connection dies mid-body: what a dropped network looks like to a client.
                self.wfile.write(data[start : start + cut])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
                return
            self.wfile.write(data[start:])

    return Handler
