"""FastAPI dependencies as `Annotated` aliases: settings, the pool, the current user.

All are `async def`: FastAPI runs a plain `def` dependency in a worker thread, which cost
more than the whole command transaction (bench/commands.py).
"""

from typing import Annotated
from uuid import UUID

import asyncpg
from fastapi import Depends, Header, Request

from infinite_scribe.api.auth import bearer_token
from infinite_scribe.api.token_cache import VerifiedTokens
from infinite_scribe.config import Settings


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


SettingsDep = Annotated[Settings, Depends(get_settings)]
PoolDep = Annotated[asyncpg.Pool, Depends(get_pool)]


async def get_current_user(
    request: Request,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> UUID:
    tokens: VerifiedTokens = request.app.state.verified_tokens
    return tokens.user_id(bearer_token(authorization))


CurrentUser = Annotated[UUID, Depends(get_current_user)]
