"""What the routers share: the one dependency that resolves the caller, the idempotency key
headers, the common error answers, JSON responses, and a command route's answer."""

from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

import orjson
from fastapi import Depends, Header, Query, Request, Response

from infinite_scribe.api.command_route import command_reply
from infinite_scribe.api.container import ApiServices
from infinite_scribe.api.deps import CurrentUser, request_context, services_of
from infinite_scribe.api.middleware.idempotency import INLINE_KEY, InlineKey
from infinite_scribe.api.middleware.idempotency_replies import Reply
from infinite_scribe.api.schemas.errors import error_answer
from infinite_scribe.api.schemas.genesis import CommandReply, DuplicateCommandBody, ErrorBody
from infinite_scribe.application.command_service import CommandService
from infinite_scribe.application.context import RequestContext
from infinite_scribe.application.ports.genesis import EventLines
from infinite_scribe.application.reads import encode_sequence

ERRORS: dict[int | str, dict[str, Any]] = {
    404: error_answer("No such session for this user"),
    422: error_answer("Invalid request"),
}
_KEY = {"max_length": 255, "pattern": r"^[\x20-\x7e]+$"}  # as valid_key
# One key header in the document: it cannot say "one of the two", and a client that sent both
# (as a schema listing both allows) got a 400 (issue 21). X-Idempotency-Key is still read, as
# the same header under its older name.
IdempotencyKey = Annotated[
    str | None, Header(alias="X-Idempotency-Key", include_in_schema=False, **_KEY)
]
StandardIdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Makes the request idempotent (docs/idempotency.md). `X-Idempotency-Key` "
        "is the same header under its older name; send one of the two (both: 400)",
        **_KEY,
    ),
]


async def _command_key(
    idempotency_key: IdempotencyKey = None, standard_idempotency_key: StandardIdempotencyKey = None
) -> str | None:
    # async: FastAPI runs a plain function dependency on its thread pool, a thread hop for
    # every command (the other dependencies here are async for the same reason).
    return idempotency_key or standard_idempotency_key


#: The request's idempotency key, from either header (both: the middleware's 400).
CommandKey = Annotated[str | None, Depends(_command_key)]

#: Every list pages the same way: `cursor` in, `next_cursor` out (application/reads.py).
CursorQuery = Annotated[
    str | None, Query(max_length=512, description="`next_cursor` of the previous page")
]


@dataclass(frozen=True)
class Caller:
    """What every route needs, resolved by one dependency (each FastAPI dependency costs
    measurable CPU per request): the app's services and who is acting."""

    services: ApiServices
    context: RequestContext
    #: A keyed request whose answer this route stores with its write
    #: (api/middleware/idempotency.py).
    inline_key: InlineKey | None = None


async def caller(request: Request, user_id: CurrentUser) -> Caller:
    return Caller(
        services=services_of(request.app),
        context=request_context(request.scope, user_id),
        inline_key=getattr(request.state, INLINE_KEY, None),
    )


CallerDep = Annotated[Caller, Depends(caller)]


def json_response(body: dict[str, Any], status_code: int) -> Response:
    return Response(orjson.dumps(body), status_code=status_code, media_type="application/json")


def raw_response(reply: Reply) -> Response:
    status, headers, body = reply
    return Response(body, status, headers={k.decode(): v.decode() for k, v in headers})


def lines_response(page: EventLines) -> Response:
    """An `EventPage` from the store's JSON texts: joined, never parsed (issue 49)."""
    cursor = None if page.next_after is None else encode_sequence(page.next_after)
    events = ",".join(page.lines).encode()
    body = b'{"events":[' + events + b'],"next_cursor":' + orjson.dumps(cursor) + b"}"
    return Response(body, status_code=200, media_type="application/json")


def command_responses(
    errors: dict[int | str, dict[str, Any]], conflicts: str
) -> dict[int | str, dict[str, Any]]:
    """A command route's documented answers: `errors`, 202, 200 and the 409s it names."""
    return {
        **errors,
        202: {"description": "Async command received; follow `task_id` (also `Location`)"},
        200: {"model": CommandReply, "description": "Sync command completed"},
        409: {"model": DuplicateCommandBody | ErrorBody, "description": conflicts},
    }


async def sent(
    call: Caller,
    aggregate_id: UUID,
    command: tuple[str, dict[str, Any]],
    key: str | None,
    commands: CommandService | None = None,
) -> Response:
    """A command route's answer (the FastAPI side of api/command_route.py, which answers the
    well-formed commands before routing): 202 RECEIVED or 200 COMPLETED."""
    reply = await command_reply(
        call.services, call.context, aggregate_id, command, key, call.inline_key, commands
    )
    return raw_response(reply)
