"""A minimal HTTP/1.1 keep-alive client for load generation (httpx is too slow for this)."""

import asyncio


class KeepAliveClient:
    """One persistent connection; requests are sent one at a time (like one browser tab)."""

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host = host
        self.port = port
        fixed = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self._fixed = f"Host: {host}:{port}\r\n{fixed}"
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        #: Requests sent again because the server had closed the kept-alive connection.
        self.reconnects = 0

    async def _connect(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)

    async def _send(self, request: bytes) -> bytes:
        """Write one request (connecting first if needed); its status line, b"" if closed."""
        if self._writer is None:
            await self._connect()
        assert self._reader is not None and self._writer is not None
        self._writer.write(request)
        try:
            return await self._reader.readline()
        except ConnectionResetError:
            return b""

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: str = ""
    ) -> tuple[int, bytes]:
        """Send one request; `headers` are extra raw header lines ending in CRLF."""
        reused = self._writer is not None
        head = (
            f"{method} {path} HTTP/1.1\r\n{self._fixed}{headers}"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        status_line = await self._send(head + body)
        if not status_line and reused:
            # A kept-alive connection the server closed as idle while the request was on its
            # way (the keep-alive race every HTTP client pool has): send it once more on a new
            # connection, as urllib3 does, and count it.
            self.reconnects += 1
            await self.close()
            status_line = await self._send(head + body)
        if not status_line:
            await self.close()
            raise ConnectionError("server closed the connection")
        assert self._reader is not None
        status = int(status_line.split(b" ", 2)[1])
        length = 0
        while True:
            line = await self._reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        return status, await self._reader.readexactly(length)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
