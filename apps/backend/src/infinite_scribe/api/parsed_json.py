"""FastAPI routes that take the body strict JSON already parsed (api/middleware/strict_json.py
keeps the value orjson read) instead of parsing it again with Python's json module: a second
parse of a 1 MiB body of numbers was ~10-20 ms of the loop per request (issue 49). FastAPI's
documented way to change the request a route sees: a custom `APIRoute` class."""

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from infinite_scribe.api.middleware.asgi_body import json_of


class ParsedJsonRequest(Request):
    async def json(self) -> Any:
        value = json_of(self.scope)
        return await super().json() if value is None else value


class ParsedJsonRoute(APIRoute):
    """Use as `APIRouter(route_class=ParsedJsonRoute)` for routes that take a JSON body."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def parsed(request: Request) -> Response:
            # `_send` is the server's send, which the Request was built with (Starlette keeps
            # it under this name only).
            return await handler(ParsedJsonRequest(request.scope, request.receive, request._send))

        return parsed
