"""What the OpenAPI document decides, answered before any route runs (issue 21):

- a route that needs a bearer token (its operation requires the `BearerAuth` scheme of
  api/deps.py) gets a 401 as soon as the head is in when the token is missing or bad: no byte
  of its body is read, so unauthenticated connections hold no body memory at all (1,500 of them
  stalled just under the body limit took the API from 467 to 1,679 MB, answered 408, never
  401), and a request without a token is a 401 before any 400 about its other headers;
- a method a known path does not have gets a 405 whose `Allow` lists every method the document
  gives that path (the router's own 405 named only the first route it found: `OPTIONS
  /genesis/sessions` said `Allow: POST` although GET is there too).

Health, docs, a path no operation knows (404) and the live stream (a ticket or a bearer token,
checked by its route) pass on unchanged.
"""

from starlette.types import ASGIApp, Receive, Scope, Send

from infinite_scribe.api.auth import bearer_token
from infinite_scribe.api.middleware.idempotency_replies import Reply, error_reply, send_reply
from infinite_scribe.api.request_head import USER_KEY, RepeatedHeader, head_of
from infinite_scribe.api.route_table import route_of
from infinite_scribe.api.token_cache import VerifiedTokens
from infinite_scribe.domain.errors import AuthenticationError


class OperationGateMiddleware:
    """401 (400 for two Authorization headers) and 405 before the route, the body and the
    idempotency key are looked at. The operations come from the request's one match
    (api/route_table.py); a verified token's user is left in the scope, so neither the
    idempotency middleware nor the route verifies it again."""

    def __init__(self, app: ASGIApp, verified_tokens: VerifiedTokens) -> None:
        self.app = app
        self.verified_tokens = verified_tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = self._refusal(scope) if scope["type"] == "http" else None
        if refusal is None:
            await self.app(scope, receive, send)
        else:
            # The connection stays open: uvicorn discards the unread body (bounded by
            # HTTP_READ_TIMEOUT_SECONDS) instead of resetting a client still sending it.
            await send_reply(send, refusal)

    def _refusal(self, scope: Scope) -> Reply | None:
        match = route_of(scope)
        if not match.operations:
            return None  # a 404 (or a route outside the document: docs, assets)
        reached = match.reached(scope["method"])
        if not reached:
            allowed = match.allowed
            status, headers, body = error_reply(
                405, "METHOD_NOT_ALLOWED", f"{scope['method']} is not allowed here; use {allowed}"
            )
            return status, [*headers, (b"allow", allowed.encode())], body
        # A literal path and a template may both match (/events/stream, /events/{event_id}):
        # only when every operation reached needs a token is it checked here.
        if all(op.needs_token for op in reached):
            return self._authentication_refusal(scope)
        return None

    def _authentication_refusal(self, scope: Scope) -> Reply | None:
        head = head_of(scope)
        if head.repeated_authorization:
            error = RepeatedHeader("authorization")
            return error_reply(400, error.error_code, error.message)
        try:
            scope[USER_KEY] = self.verified_tokens.user_id(bearer_token(head.authorization))
        except AuthenticationError as error:
            status, headers, body = error_reply(401, error.error_code, error.message)
            return status, [*headers, (b"www-authenticate", b"Bearer")], body
        return None
