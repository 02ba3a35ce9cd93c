"""FastAPI dependencies as `Annotated` aliases: the services, the pool, the current user (and
the request's context for the application).

All are `async def`: FastAPI runs a plain `def` dependency in a worker thread, which cost
more than the whole command transaction (bench/commands.py).
"""

from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Request
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase
from starlette.types import Scope

from infinite_scribe.api.auth import bearer_token
from infinite_scribe.api.container import ApiServices
from infinite_scribe.api.request_head import verified_user
from infinite_scribe.application.context import RequestContext
from infinite_scribe.observability.log_context import bind


def services_of(app: Any) -> ApiServices:
    """The one place that reads the container off the app (routes and ASGI middleware)."""
    services: ApiServices = app.state.services
    return services


def request_context(scope: Scope, user_id: UUID) -> RequestContext:
    """Who is acting, with the request's ids (api/middleware/request_context.py set them)."""
    state = scope.get("state", {})
    return RequestContext(
        user_id=user_id, request_id=state.get("request_id"), traceparent=state.get("traceparent")
    )


async def get_services(request: Request) -> ApiServices:
    return services_of(request.app)


Services = Annotated[ApiServices, Depends(get_services)]


class BearerUser(SecurityBase):
    """The current user from `Authorization: Bearer <JWT>`, declared to OpenAPI as the
    `BearerAuth` HTTP bearer scheme (so /docs has Authorize). Unlike FastAPI's HTTPBearer it
    keeps the project's verification, token cache and error bodies (MISSING_TOKEN, ...)."""

    def __init__(self) -> None:
        self.model = HTTPBearerModel(
            bearerFormat="JWT", description="An access token: `Authorization: Bearer <JWT>`"
        )
        self.scheme_name = "BearerAuth"

    async def __call__(self, request: Request) -> UUID:
        user_id = verified_user(request.scope)  # the operation gate's: verified once
        if user_id is None:
            tokens = services_of(request.app).verified_tokens
            user_id = tokens.user_id(bearer_token(request.headers.get("authorization")))
        # The request's log lines name who is acting and on which session.
        bind(user_id=user_id, session_id=request.path_params.get("session_id"))
        return user_id


get_current_user = BearerUser()
CurrentUser = Annotated[UUID, Depends(get_current_user)]
