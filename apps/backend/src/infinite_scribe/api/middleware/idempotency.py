"""Idempotent POST/PUT/PATCH: a pure ASGI middleware in front of every route.

A request carrying `Idempotency-Key` (or `X-Idempotency-Key`) claims the key for its user; the
first one runs and its 2xx answer is stored; retries get that answer replayed byte for byte.
Routes listed in IDEMPOTENCY_AUTO_KEY_ROUTES ("POST /api/v1/x/{id}") get a server-side `auto:`
key when the client sends none. The command routes (api/paths.py COMMAND_OPERATIONS) store
their answer in their own write instead of claiming and completing here. See docs/idempotency.md.
"""

import logging
import math
import re
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infinite_scribe.api.auth import bearer_token
from infinite_scribe.api.deps import services_of
from infinite_scribe.api.metrics import ApiMetrics
from infinite_scribe.api.middleware.asgi_body import BodyTooLarge, body_of, replaying
from infinite_scribe.api.middleware.idempotency_replies import (
    Reply,
    error_reply,
    replay_reply,
    safe_headers,
    send_reply,
    too_large,
)
from infinite_scribe.api.request_head import head_of, verified_user
from infinite_scribe.api.route_table import route_of
from infinite_scribe.api.token_cache import VerifiedTokens
from infinite_scribe.application.idempotency import auto_key, fingerprint, user_scope, valid_key
from infinite_scribe.application.ports.idempotency import (
    Claimed,
    ClaimOutcome,
    ClaimRequest,
    IdempotencyStore,
    InUse,
    Mismatch,
    Replay,
    StoredResponse,
)
from infinite_scribe.domain.errors import AuthenticationError
from infinite_scribe.settings.settings import Settings

logger = logging.getLogger(__name__)

MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH"})

# The command operations (api/paths.py COMMAND_OPERATIONS) store a keyed request's answer
# inside their own write (issue 20: a keyed command costs no extra round trip), when the store
# is PostgreSQL. The middleware still validates the key, reads the body and computes the
# fingerprint; the route gets them as `InlineKey`. The request's one match says whether it
# reached one of them (api/route_table.py `inline`).
#: Where `InlineKey` is left in the ASGI scope's state (`request.state.idempotency`).
INLINE_KEY = "idempotency"


@dataclass(frozen=True)
class InlineKey:
    """A keyed request whose route keeps its key itself (a command: in its inbox row)."""

    scope: str
    key: str
    fingerprint: str


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self._auto_routes = [
            _route_pattern(route) for route in settings.idempotency_auto_key_routes
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in MUTATING_METHODS:
            await self.app(scope, receive, send)
            return
        # The same reading of the identity as the auth dependency (api/request_head.py).
        head = head_of(scope)
        if head.repeated is not None:
            error = head.repeated
            await send_reply(send, error_reply(400, error.error_code, error.message))
            return
        authorization, key = head.authorization, head.key
        limit = self.settings.idempotency_max_body_bytes
        declared = head.declared_length
        if declared is not None and declared > limit:
            await send_reply(send, too_large(limit))
            return
        if key is not None:
            if not valid_key(key):
                message = "Idempotency-Key must be one value of 1-255 printable ASCII characters"
                await send_reply(send, error_reply(400, "INVALID_IDEMPOTENCY_KEY", message))
                return
        elif not self._opts_in_to_auto_key(scope):
            await self.app(scope, receive, send)
            return
        user_id = _user_of(scope, authorization)
        if user_id is None:
            await self.app(scope, receive, send)  # the route answers 401 itself
            return
        try:
            body = await body_of(scope, receive, limit)
        except BodyTooLarge:
            await send_reply(send, too_large(limit))
            return
        if body is None:
            return  # the client went away before sending its body
        request_fp = fingerprint(scope["method"], scope["path"], scope["query_string"], body)
        await self._run(scope, receive, send, user_id, key, request_fp, body)

    async def _run(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        user_id: str,
        key: str | None,
        request_fp: str,
        body: bytes,
    ) -> None:
        ttl = self.settings.idempotency_ttl_seconds
        entry_scope = user_scope(user_id)
        if key is not None and self._writes_inline(scope):
            # The route keeps the key in its own write (no claim, no completion). A server-side
            # key is claimed below: its short window is the cache's, not the command's life.
            state = scope.setdefault("state", {})
            state[INLINE_KEY] = InlineKey(entry_scope, key, request_fp)
            await self.app(scope, replaying(body, receive), send)
            return
        if key is None:
            key, ttl = auto_key(request_fp), self.settings.idempotency_auto_ttl_seconds
        claim = ClaimRequest(
            entry_scope, key, request_fp, self.settings.idempotency_lease_seconds, ttl
        )
        try:
            store = services_of(scope["app"]).idempotency_store
            outcome = await store.claim(claim)
        except Exception:
            logger.exception("idempotency store unavailable")
            message = "Idempotency store is unavailable"
            await send_reply(send, error_reply(503, "IDEMPOTENCY_STORE_UNAVAILABLE", message))
            return
        refusal = _refusal(outcome, services_of(scope["app"]).metrics)
        if refusal is not None:
            await send_reply(send, refusal)
            return
        assert isinstance(outcome, Claimed)
        recorder = _Recorder(send, store, entry_scope, key, outcome.token, ttl)
        try:
            await self.app(scope, replaying(body, receive), recorder.send)
        finally:
            if not recorder.settled:
                await recorder.settle(None)

    def _writes_inline(self, scope: Scope) -> bool:
        if not services_of(scope["app"]).inline_idempotency:
            return False
        reached = route_of(scope).reached(scope["method"])
        return len(reached) == 1 and reached[0].inline

    def _opts_in_to_auto_key(self, scope: Scope) -> bool:
        if not self._auto_routes:
            return False
        target = f"{scope['method']} {scope['path']}"
        return any(pattern.fullmatch(target) for pattern in self._auto_routes)


def _refusal(outcome: ClaimOutcome, metrics: ApiMetrics) -> Reply | None:
    """The answer to a claim that must not run the request (a replay, a reused or busy key),
    counted; None when the key was claimed."""
    if isinstance(outcome, Replay):
        metrics.idempotency_replays.inc()
        return replay_reply(outcome.response)
    if isinstance(outcome, Mismatch):
        metrics.idempotency_conflicts.labels("mismatch").inc()
        return key_reused()
    if isinstance(outcome, InUse):
        metrics.idempotency_conflicts.labels("in_use").inc()
        return key_in_use(outcome.retry_after)
    return None


def key_reused() -> Reply:
    message = "Idempotency key was already used for a different request"
    return error_reply(422, "IDEMPOTENCY_KEY_REUSED", message)


def key_in_use(retry_after: float) -> Reply:
    message = "A request with this idempotency key is still being processed"
    seconds = str(max(1, math.ceil(retry_after)))
    return error_reply(409, "IDEMPOTENCY_KEY_IN_USE", message, retry_after=seconds)


class _Recorder:
    """Forwards the answer, and settles the key (store or free) before its last byte leaves,
    so a client retrying the moment it has the answer never finds the key still in use."""

    def __init__(
        self, send: Send, store: IdempotencyStore, scope: str, key: str, token: str, ttl: int
    ) -> None:
        self._send = send
        self.store, self.scope, self.key, self.token, self.ttl = store, scope, key, token, ttl
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []
        self.settled = False

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            if 200 <= self.status < 300:
                self.chunks.append(message.get("body", b""))
            if not message.get("more_body", False) and not self.settled:
                response = None
                if 200 <= self.status < 300:
                    response = StoredResponse(
                        self.status, safe_headers(self.headers), b"".join(self.chunks)
                    )
                await self.settle(response)
        await self._send(message)

    async def settle(self, response: StoredResponse | None) -> None:
        """Store a 2xx answer, or free the key after an error answer or an exception."""
        self.settled = True
        try:
            if response is None:
                await self.store.release(self.scope, self.key, self.token)
            elif not await self.store.complete(
                self.scope, self.key, self.token, response, self.ttl
            ):
                logger.warning("idempotency lease on %r was taken over before completion", self.key)
        except Exception:
            # The answer still goes out; an unsettled claim frees itself when its lease ends.
            logger.exception("could not settle idempotency key %r", self.key)


def _route_pattern(route: str) -> re.Pattern[str]:
    """Compile a "POST /a/{id}/b" pattern: each {param} matches one path segment."""
    parts = re.split(r"(\{[^}/]+\})", route)
    return re.compile(
        "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts)
    )


def _user_of(scope: Scope, authorization: str | None) -> str | None:
    """The authenticated user's id, or None (the route itself then answers 401)."""
    user = verified_user(scope)
    if user is not None:
        return str(user)  # the operation gate verified the token
    tokens: VerifiedTokens = services_of(scope["app"]).verified_tokens
    try:
        return str(tokens.user_id(bearer_token(authorization)))
    except AuthenticationError:
        return None
