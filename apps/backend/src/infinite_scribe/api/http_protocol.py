"""uvicorn's httptools protocol with the limits its parser lacks: the request head's size
(httptools buffers a header value whole, 50 MB of it if sent), the number of headers, and a
read timeout (a request that trickles in, slowloris). Each is answered with the project's error
body (431 / 431 / 408) and the connection is closed. Used by cli/api_server.py for every real
server.
"""

import asyncio
from dataclasses import dataclass
from functools import partial
from typing import Any, cast
from uuid import uuid4

import httptools
import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from infinite_scribe.settings.limits import HttpLimitSettings

_REASONS = {
    400: b"Bad Request",
    408: b"Request Timeout",
    431: b"Request Header Fields Too Large",
}


#: The defaults below are the settings' (described there), not copies of them.
_SETTINGS = HttpLimitSettings.model_fields


@dataclass(frozen=True)
class HttpLimits:
    max_header_bytes: int = _SETTINGS["http_max_header_bytes"].default
    max_headers: int = _SETTINGS["http_max_headers"].default
    read_timeout_seconds: float = _SETTINGS["http_read_timeout_seconds"].default


class _Refused(Exception):
    """Raised from a parser callback to stop parsing a request that broke a limit."""


def error_response(status: int, error_code: str, message: str) -> bytes:
    """A whole HTTP/1.1 answer with the project's error body; the connection is closed."""
    body = orjson.dumps({"error_code": error_code, "message": message})
    head = (
        b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
        b"connection: close\r\nx-request-id: %s\r\n\r\n"
    ) % (status, _REASONS[status], len(body), uuid4().hex.encode())
    return head + body


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """One connection, held to `limits`."""

    def __init__(self, *args: Any, limits: HttpLimits | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits or HttpLimits()
        self._in_head = True  # reading a request head (or waiting for the first byte)
        self._head_bytes = 0
        self._header_count = 0
        self._refusal: bytes | None = None
        self._read_timer: asyncio.TimerHandle | None = None
        self._request_seen = False  # any byte of the current request arrived

    # -- the read timeout -------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_read_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_read_timer()
        super().connection_lost(exc)

    def _arm_read_timer(self) -> None:
        self._cancel_read_timer()
        self._read_timer = self.loop.call_later(
            self.limits.read_timeout_seconds, self._read_timed_out
        )

    def _cancel_read_timer(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _read_timed_out(self) -> None:
        self._read_timer = None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if cycle is not None and cycle.response_started:
            # Too late for a 408: the app already answered (e.g. a 413 while the rest of the
            # body is being discarded) or is answering.
            self.transport.close()
            return
        if cycle is not None and not cycle.response_complete:
            # The app is waiting for a body that does not come: it sees a disconnect.
            cycle.disconnected = True
            cycle.message_event.set()
        if self._request_seen:
            message = "Request not received within HTTP_READ_TIMEOUT_SECONDS"
            self.transport.write(error_response(408, "REQUEST_TIMEOUT", message))
        self.transport.close()

    # -- the head limits --------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        # uvicorn's own data_received starts with this: the keep-alive timer armed after the
        # previous answer must not cut the request now arriving (it did, 5 s later: issue 21).
        self._unset_keepalive_if_required()
        was_in_head = self._in_head and self._request_seen
        self._request_seen = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            if self._refusal is None:  # as uvicorn: a request that is not HTTP is a 400
                self.logger.warning("Invalid HTTP request received.")
                self.send_400_response("Invalid HTTP request received.")
                return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
        if self._refusal is None and was_in_head and self._in_head:
            # The whole chunk was head: count it (a chunk that began a request is measured
            # exactly by on_headers_complete instead).
            self._head_bytes += len(data)
            if self._head_bytes > self.limits.max_header_bytes:
                self._refuse_head_size()
        if self._refusal is not None:
            self._cancel_read_timer()
            self.transport.write(self._refusal)
            self.transport.close()

    def send_400_response(self, msg: str) -> None:
        # uvicorn's own answer to bytes that are not HTTP, in the project's error body.
        self._cancel_read_timer()
        self.transport.write(error_response(400, "BAD_REQUEST", msg))
        self.transport.close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._request_seen = True
        self._head_bytes = 0
        self._header_count = 0
        self._arm_read_timer()

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count > self.limits.max_headers:
            message = f"More than {self.limits.max_headers} request headers (HTTP_MAX_HEADERS)"
            self._refusal = error_response(431, "TOO_MANY_HEADERS", message)
            raise _Refused
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > self.limits.max_header_bytes:
            self._refuse_head_size()
            raise _Refused
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._cancel_read_timer()
        self._request_seen = False
        super().on_message_complete()

    def _refuse_head_size(self) -> None:
        limit = self.limits.max_header_bytes
        message = f"Request headers exceed {limit} bytes (HTTP_MAX_HEADER_BYTES)"
        self._refusal = error_response(431, "HEADERS_TOO_LARGE", message)


def limited_protocol(limits: HttpLimits) -> type[asyncio.Protocol]:
    """The protocol for `uvicorn.Config(http=...)`: uvicorn calls it with its own arguments. A
    partial of a module-level class, so it pickles (uvicorn's worker processes get the config)."""
    return cast(type[asyncio.Protocol], partial(LimitedHttpToolsProtocol, limits=limits))
