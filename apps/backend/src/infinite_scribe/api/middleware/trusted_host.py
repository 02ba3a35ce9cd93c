"""The Host header checked against the names this API answers to (issue 28, DNS rebinding).

A page on `rebind.evil.example` whose name is re-pointed at 127.0.0.1 reaches a developer's
API as a same-origin caller: its requests carry `Host: rebind.evil.example`. Answering only the
configured names (API_ALLOWED_HOSTS; loopback names on the embedded default) refuses them
before any route, the console's sign-in and its same-origin check included."""

from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

from infinite_scribe.api.middleware.idempotency_replies import error_reply, send_reply
from infinite_scribe.api.request_head import head_of


def host_name(header: str) -> str:
    """The name of a Host header without its port: `[::1]:8000` -> `::1`, `a.b:80` -> `a.b`."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else ""
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def allows(allowed: Iterable[str], name: str) -> bool:
    """`*` allows every name; `.example.com` that domain and its subdomains; else exact."""
    for pattern in allowed:
        if pattern == "*" or pattern == name:
            return True
        if pattern.startswith(".") and (name.endswith(pattern) or name == pattern[1:]):
            return True
    return False


class TrustedHostMiddleware:
    """400 INVALID_HOST for a request whose Host is not an allowed name (or is missing)."""

    def __init__(self, app: ASGIApp, allowed_hosts: Iterable[str]) -> None:
        self.app = app
        self.allowed = tuple(pattern.lower() for pattern in allowed_hosts)
        self.everyone = "*" in self.allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.everyone or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        header = head_of(scope).host or b""
        if allows(self.allowed, host_name(header.decode("latin-1"))):
            await self.app(scope, receive, send)
            return
        message = "the Host header names a host this server does not answer to (API_ALLOWED_HOSTS)"
        await send_reply(send, error_reply(400, "INVALID_HOST", message))
