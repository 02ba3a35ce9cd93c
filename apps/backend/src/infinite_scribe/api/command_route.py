"""The command endpoints (`POST .../genesis/sessions/{session_id}/commands` and
`POST .../novels/{novel_id}/commands`), the API's busiest requests, as their routes' own raw
ASGI handlers (issue 40), and the command's answer both ways share.

The request was matched once at the front door (api/route_table.py); its route's stack
(api/route_stacks.py) ran the gate (the token verified once, its user left in the scope), the
limits, strict JSON (the body read once and parsed once, its value left in the scope) and the
idempotency middleware (the key checked once, handed on as `InlineKey`). `CommandEndpoint` takes
all of that from the scope and runs the command: no FastAPI routing, dependency resolution or
model round trip. A request the documented route would refuse (a session id in another spelling,
another media type, a body its schema refuses) goes on to that FastAPI route, which gives its
own 4xx; both run `command_reply`, and domain errors are answered by
`api.errors.scribe_error_response` either way (tests/integration/test_command_route.py).
"""

import re
from collections.abc import Callable, Mapping
from typing import Any
from uuid import UUID

import orjson
from pydantic import ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from infinite_scribe.api.auth import bearer_token
from infinite_scribe.api.container import ApiServices
from infinite_scribe.api.deps import request_context, services_of
from infinite_scribe.api.errors import scribe_error_response
from infinite_scribe.api.middleware.asgi_body import body_of, json_of, replaying
from infinite_scribe.api.middleware.idempotency import INLINE_KEY, InlineKey, key_in_use, key_reused
from infinite_scribe.api.middleware.idempotency_replies import Reply, replay_reply, send_reply
from infinite_scribe.api.middleware.strict_json import is_json_body
from infinite_scribe.api.paths import API_PREFIX
from infinite_scribe.api.request_head import head_of, verified_user
from infinite_scribe.api.schemas.commands import CommandRequest
from infinite_scribe.application.command_service import (
    CommandResult,
    CommandService,
    KeyInUse,
    KeyReused,
    Receipt,
)
from infinite_scribe.application.context import RequestContext
from infinite_scribe.application.ports.idempotency import StoredResponse
from infinite_scribe.domain.errors import ScribeError, UnknownModel
from infinite_scribe.observability.log_context import bind

_HEX = "[0-9a-fA-F]"
#: Only the canonical UUID form: every other spelling FastAPI accepts is left to it.
_CANONICAL_UUID = re.compile(rf"{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}")
#: `command_type`'s bounds in `CommandRequest` / `NovelCommandRequest`.
_TYPE_LENGTH = range(1, 101)

#: The command service a route's commands go to.
CommandsOf = Callable[[ApiServices], CommandService]


class CommandEndpoint:
    """The raw ASGI handler of one command route; `fallback` is its FastAPI route."""

    def __init__(self, fallback: ASGIApp, commands_of: CommandsOf, id_segment: int) -> None:
        self.fallback = fallback
        self.commands_of = commands_of
        self.id_segment = id_segment  # the aggregate id's index in the path's segments

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        aggregate_id = scope["path"].split("/")[self.id_segment]
        if not _CANONICAL_UUID.fullmatch(aggregate_id) or not is_json_body(scope):
            await self.fallback(scope, receive, send)
            return
        body = await body_of(scope, receive)  # already bounded by middleware/limits.py
        if body is None:
            return  # the client went away
        command = _command_of(scope, body)
        if command is None:
            await self.fallback(scope, replaying(body, receive), send)
            return
        services = services_of(scope["app"])
        try:
            reply = await command_reply(
                services,
                _context(scope, services, aggregate_id),
                UUID(aggregate_id),
                command,
                head_of(scope).key,
                scope.get("state", {}).get(INLINE_KEY),
                self.commands_of(services),
            )
        except ScribeError as error:
            await scribe_error_response(error)(scope, receive, send)
            return
        await send_reply(send, reply)


def _command_of(scope: Scope, body: bytes) -> tuple[str, dict[str, Any]] | None:
    """(command_type, payload) when the route's schema takes the body as it is, else None
    (the FastAPI route answers). The value strict JSON parsed is checked against the schema's
    rules directly: a JSON object with a 1-100 character `command_type` string and an object
    `payload` (absent: {}); other keys are ignored, as the model ignores them."""
    value = json_of(scope)
    if value is None:
        try:  # strict JSON did not keep a value (an integer of 19+ digits somewhere)
            parsed = CommandRequest.model_validate_json(body)
        except ValidationError:
            return None
        return parsed.command_type, parsed.payload
    if type(value) is not dict:
        return None
    command_type = value.get("command_type")
    payload = value.get("payload", {})
    if type(command_type) is not str or len(command_type) not in _TYPE_LENGTH:
        return None
    if type(payload) is not dict:
        return None
    return command_type, payload


def _context(scope: Scope, services: ApiServices, aggregate_id: str) -> RequestContext:
    """Who is acting (verified once, by the operation gate) and the request's ids."""
    user_id = verified_user(scope)
    if user_id is None:  # a stack without the gate (never in the app; kept exact anyway)
        user_id = services.verified_tokens.user_id(bearer_token(head_of(scope).authorization))
    bind(user_id=user_id, session_id=aggregate_id)  # as api/deps.py's BearerUser does
    return request_context(scope, user_id)


async def command_reply(
    services: ApiServices,
    context: RequestContext,
    aggregate_id: UUID,
    command: tuple[str, dict[str, Any]],
    key: str | None,
    inline: InlineKey | None,
    commands: CommandService | None = None,
) -> Reply:
    """Run the command (on `commands`: another aggregate's, else the sessions'); its answer,
    rendered once. A keyed one's key is kept in its own inbox row (decision 7204): a repeat is
    its first answer rendered again, the same bytes, with Idempotent-Replayed."""
    service = commands or services.commands
    command_type, payload = command
    if command_type == "RegenerateProposal":
        known_model(services.settings.models, payload)
    receipt = None if inline is None else Receipt(inline.scope, inline.key, inline.fingerprint)
    prepared = service.prepare(context, aggregate_id, command_type, payload, key, receipt)
    try:
        result = await service.run(prepared)
    except KeyReused:
        services.metrics.idempotency_conflicts.labels("mismatch").inc()
        return key_reused()
    except KeyInUse as busy:
        services.metrics.idempotency_conflicts.labels("in_use").inc()
        return key_in_use(busy.retry_after)
    if result.stored is not None:
        return replay_reply(result.stored)
    if result.first_answer:
        return replay_reply(answer(result))
    stored = answer(result)
    headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in stored.headers]
    return stored.status, headers, stored.body


def known_model(models: tuple[str, ...], payload: dict[str, Any]) -> None:
    """A regeneration's model is one the worker has (issue 55): 422 UNKNOWN_MODEL before
    anything is written, not a task that fails later."""
    model = payload.get("model") if isinstance(payload, dict) else None
    if isinstance(model, str) and model not in models:
        raise UnknownModel(f"No model {model[:200]!r}; models: {', '.join(models)}")


def answer(result: CommandResult, extra: Mapping[str, Any] | None = None) -> StoredResponse:
    """The command's reply as sent (and as stored for its idempotency key, byte for byte), with
    `extra` fields (a flow's resume reply: its flow) before the task."""
    reply = {
        "command_id": str(result.command_id),
        "status": result.status,
        "message": result.message,
        "correlation_id": str(result.correlation_id),
        **(extra or {}),
    }
    headers = [("content-type", "application/json")]
    if result.task_id is None:
        return StoredResponse(202 if result.is_async else 200, headers, orjson.dumps(reply))
    headers.append(("location", f"{API_PREFIX}/tasks/{result.task_id}"))
    return StoredResponse(202, headers, orjson.dumps(reply | {"task_id": str(result.task_id)}))
