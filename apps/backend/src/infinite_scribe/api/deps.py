"""FastAPI dependencies as `Annotated` aliases: the services, the pool, the current user.

All are `async def`: FastAPI runs a plain `def` dependency in a worker thread, which cost
more than the whole command transaction (bench/commands.py).
"""

from typing import Annotated, Any
from uuid import UUID

import asyncpg
from fastapi import Depends, Header, Request

from infinite_scribe.api.auth import bearer_token
from infinite_scribe.api.container import ApiServices
from infinite_scribe.config import Settings


def services_of(app: Any) -> ApiServices:
    """The one place that reads the container off the app (routes and ASGI middleware)."""
    services: ApiServices = app.state.services
    return services


async def get_services(request: Request) -> ApiServices:
    return services_of(request.app)


Services = Annotated[ApiServices, Depends(get_services)]


async def get_settings(request: Request) -> Settings:
    return services_of(request.app).settings


async def get_pool(request: Request) -> asyncpg.Pool:
    return services_of(request.app).pool


SettingsDep = Annotated[Settings, Depends(get_settings)]
PoolDep = Annotated[asyncpg.Pool, Depends(get_pool)]


async def get_current_user(
    request: Request,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> UUID:
    tokens = services_of(request.app).verified_tokens
    return tokens.user_id(bearer_token(authorization))


CurrentUser = Annotated[UUID, Depends(get_current_user)]
