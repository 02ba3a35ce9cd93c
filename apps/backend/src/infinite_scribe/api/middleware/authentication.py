"""Authentication before the body (issue 21): a request to a route that needs a bearer token is
answered 401 as soon as its head is in, when the token is missing or bad. No byte of its body
is read, so unauthenticated connections hold no body memory at all (1,500 of them stalled just
under the body limit took the API from 467 to 1,679 MB and answered 408, never 401).

Which routes need a token is read off the OpenAPI document: the operations that require the
`BearerAuth` scheme (api/deps.py `BearerUser`). Health, docs, a path no route knows (404), a
method the path does not allow (405) and the live stream (a ticket or a bearer token, checked
by the route) pass on unchanged.
"""

import re
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from infinite_scribe.api.auth import bearer_token
from infinite_scribe.api.idempotency_replies import error_reply, send_reply
from infinite_scribe.api.identity import RepeatedHeader, authorization_of
from infinite_scribe.api.token_cache import VerifiedTokens
from infinite_scribe.domain.errors import AuthenticationError

#: A path template's parameter (as `re.escape` wrote its braces): one path segment.
_PARAMETER = re.compile(r"\\{[^/]+?\\}")


def guarded_operations(openapi: dict[str, Any]) -> list[tuple[str, re.Pattern[str], bool]]:
    """(method, path pattern, needs a bearer token) of every operation of the document."""
    operations = []
    for template, methods in openapi.get("paths", {}).items():
        pattern = re.compile("^" + _PARAMETER.sub("[^/]+", re.escape(template)) + "$")
        for method, operation in methods.items():
            needs = any("BearerAuth" in entry for entry in operation.get("security", []))
            operations.append((method.upper(), pattern, needs))
    return operations


class AuthenticateFirstMiddleware:
    """401 (or 400 for two Authorization headers) before the route, the body and the
    idempotency key are looked at; the route's own check then hits the token cache."""

    def __init__(self, app: ASGIApp, verified_tokens: VerifiedTokens) -> None:
        self.app = app
        self.verified_tokens = verified_tokens
        self._operations: list[tuple[str, re.Pattern[str], bool]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._route_needs_token(scope):
            await self.app(scope, receive, send)
            return
        try:
            self.verified_tokens.user_id(bearer_token(authorization_of(scope["headers"])))
        except RepeatedHeader as error:
            await send_reply(send, error_reply(400, error.error_code, error.message))
            return
        except AuthenticationError as error:
            # The connection stays open: uvicorn discards the unread body (bounded by
            # HTTP_READ_TIMEOUT_SECONDS) instead of resetting a client still sending it.
            status, headers, body = error_reply(401, error.error_code, error.message)
            await send_reply(send, (status, [*headers, (b"www-authenticate", b"Bearer")], body))
            return
        await self.app(scope, receive, send)

    def _route_needs_token(self, scope: Scope) -> bool:
        """True when every operation the request can reach needs a token (a literal path and
        a template may both match: /events/stream and /events/{event_id})."""
        if self._operations is None:
            app: Any = scope.get("app")
            if app is None:
                return False
            self._operations = guarded_operations(app.openapi())
        method, path = scope["method"], scope["path"]
        matched = [
            needs
            for verb, pattern, needs in self._operations
            if verb == method and pattern.match(path)
        ]
        return bool(matched) and all(matched)
