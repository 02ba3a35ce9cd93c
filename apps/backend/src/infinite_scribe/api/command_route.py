"""`POST /api/v1/genesis/sessions/{session_id}/commands`, the API's busiest request, answered
as a pure ASGI endpoint (issue 27), and the command's answer both ways share.

FastAPI's routing walk, dependency resolution, and second JSON parse cost more CPU than the
command itself. `CommandRoute` sits innermost in the middleware stack (every middleware still
runs: deadline, limits, strict JSON, idempotency) and answers a well-formed command itself:
canonical session UUID, a JSON body that `CommandRequest` accepts, at most one key. Everything
else (a malformed UUID, another media type, a body the schema refuses) goes on to the FastAPI
route `send_command`, which stays the documented one and gives its own 4xx answers. Both run
`command_reply`, and domain errors are answered by `api.errors.scribe_error_response` either way,
so the two ways answer alike (tests/integration/test_command_route.py).
"""

import re
from dataclasses import dataclass
from uuid import UUID

import orjson
from pydantic import ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from infinite_scribe.api.auth import bearer_token
from infinite_scribe.api.container import ApiServices
from infinite_scribe.api.deps import services_of
from infinite_scribe.api.errors import scribe_error_response
from infinite_scribe.api.identity import authorization_and_key
from infinite_scribe.api.middleware.asgi_body import read_body, replaying
from infinite_scribe.api.middleware.idempotency import INLINE_KEY, InlineKey, key_in_use, key_reused
from infinite_scribe.api.middleware.idempotency_replies import Reply, replay_reply, send_reply
from infinite_scribe.api.middleware.strict_json import is_json_body
from infinite_scribe.api.paths import API_PREFIX
from infinite_scribe.api.schemas.chapters import NovelCommandRequest
from infinite_scribe.api.schemas.genesis import CommandRequest
from infinite_scribe.application.command_service import (
    CommandResult,
    CommandService,
    KeyInUse,
    KeyReused,
    Receipt,
)
from infinite_scribe.application.context import RequestContext
from infinite_scribe.application.idempotency import StoredResponse, valid_key
from infinite_scribe.domain.errors import ScribeError
from infinite_scribe.observability.log_context import bind

_HEX = "[0-9a-fA-F]"
#: Only the canonical UUID form: every other spelling FastAPI accepts is left to it.
COMMAND_PATH = re.compile(
    rf"{re.escape(API_PREFIX)}/genesis/sessions/"
    rf"({_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}})/commands"
)


class CommandRoute:
    """Answers well-formed commands; hands every other request to `app` unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = _command_path(scope)
        if match is None or not is_json_body(scope):
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)  # already bounded by middleware/limits.py
        if body is None:
            return  # the client went away
        well_formed = _well_formed(scope, body)
        if well_formed is None:
            await self.app(scope, replaying(body, receive), send)
            return
        try:
            reply = await _run(scope, match, well_formed)
        except ScribeError as error:
            await scribe_error_response(error)(scope, receive, send)
            return
        await send_reply(send, reply)


def _command_path(scope: Scope) -> str | None:
    """The session id of a command request, None for any other request."""
    if scope["type"] != "http" or scope["method"] != "POST":
        return None
    match = COMMAND_PATH.fullmatch(scope["path"])
    return None if match is None else match.group(1)


@dataclass(frozen=True, slots=True)
class _WellFormed:
    """A command the route's schema takes as is, with the request's one-time headers."""

    command: CommandRequest
    authorization: str | None
    key: str | None


def _well_formed(scope: Scope, body: bytes) -> _WellFormed | None:
    """The command and its headers, when the route's schema takes them as they are (None: the
    FastAPI route answers)."""
    try:
        authorization, key = authorization_and_key(scope["headers"])
    except ScribeError:
        return None
    if key is not None and not valid_key(key):
        return None
    try:
        command = CommandRequest.model_validate_json(body)
    except ValidationError:
        return None
    return _WellFormed(command, authorization, key)


async def _run(scope: Scope, session_id: str, request: _WellFormed) -> Reply:
    """The work of `send_command`'s dependencies (who is acting, the request's ids), then the
    command."""
    services = services_of(scope["app"])
    user_id = services.verified_tokens.user_id(bearer_token(request.authorization))
    bind(user_id=user_id, session_id=session_id)  # as api/deps.py's BearerUser does
    state = scope.get("state", {})
    context = RequestContext(
        user_id=user_id,
        request_id=state.get("request_id"),
        traceparent=state.get("traceparent"),
    )
    return await command_reply(
        services, context, UUID(session_id), request.command, request.key, state.get(INLINE_KEY)
    )


async def command_reply(
    services: ApiServices,
    context: RequestContext,
    session_id: UUID,
    command: CommandRequest | NovelCommandRequest,
    key: str | None,
    inline: InlineKey | None,
    commands: CommandService | None = None,
) -> Reply:
    """Run the command (on `commands`: another aggregate's, else the sessions'); its answer
    (a keyed one is stored with the command's own write)."""
    receipt = None
    if inline is not None:
        receipt = Receipt(inline.scope, inline.key, inline.fingerprint, inline.ttl_seconds, answer)
    try:
        result = await (commands or services.commands).execute(
            context, session_id, command.command_type, command.payload, key, receipt
        )
    except KeyReused:
        services.metrics.idempotency_conflicts.labels("mismatch").inc()
        return key_reused()
    except KeyInUse as busy:
        services.metrics.idempotency_conflicts.labels("in_use").inc()
        return key_in_use(busy.retry_after)
    if result.stored is not None:
        return replay_reply(result.stored)
    stored = answer(result)
    headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in stored.headers]
    return stored.status, headers, stored.body


def answer(result: CommandResult) -> StoredResponse:
    """The command's reply as sent (and as stored for its idempotency key, byte for byte)."""
    reply = {
        "command_id": str(result.command_id),
        "status": result.status,
        "message": result.message,
        "correlation_id": str(result.correlation_id),
    }
    headers = [("content-type", "application/json")]
    if result.task_id is None:
        return StoredResponse(202 if result.is_async else 200, headers, orjson.dumps(reply))
    headers.append(("location", f"{API_PREFIX}/tasks/{result.task_id}"))
    return StoredResponse(202, headers, orjson.dumps(reply | {"task_id": str(result.task_id)}))
