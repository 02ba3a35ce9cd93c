"""Test routes behind the real app (and its idempotency middleware), a server thread, Redis.

Every route writes a `novels` row per execution, so a test counts executions in the database.
Run as a script, it serves the app in a process a test can kill -9 mid-request.
"""

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from typing import Annotated

import asyncpg
import uvicorn
from fastapi import APIRouter, Depends, FastAPI, Header, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from infinite_scribe.api.app import create_app
from infinite_scribe.api.deps import CurrentUser, services_of
from infinite_scribe.embedded.net import free_port, wait_for_port
from infinite_scribe.settings.settings import Settings

PREFIX = "/api/v1/idem-test"
AUTO_KEY_ROUTES = [f"POST {PREFIX}/auto"]
_attempts: Counter[str] = Counter()


async def _pool(request: Request) -> asyncpg.Pool:
    """The API's own pool: these test routes write raw rows to count executions."""
    return services_of(request.app).pool


PoolDep = Annotated[asyncpg.Pool, Depends(_pool)]


class NovelIn(BaseModel):
    title: str


async def _insert(pool: PoolDep, user: CurrentUser, title: str) -> str:
    novel_id = await pool.fetchval(
        "INSERT INTO novels (user_id, title) VALUES ($1, $2) RETURNING id", user, title
    )
    return str(novel_id)


def build_router() -> APIRouter:
    router = APIRouter(prefix=PREFIX)

    @router.post("/novels", status_code=201)
    async def create(
        body: NovelIn,
        pool: PoolDep,
        user: CurrentUser,
        response: Response,
        x_test_sleep: Annotated[float, Header()] = 0.0,
    ) -> dict[str, str]:
        if x_test_sleep:
            await asyncio.sleep(x_test_sleep)
        novel_id = await _insert(pool, user, body.title)
        response.headers["Location"] = f"{PREFIX}/novels/{novel_id}"
        response.headers["ETag"] = f'"{novel_id}"'
        response.set_cookie("session", "secret")
        response.headers["X-Private"] = "not-replayed"
        return {"id": novel_id, "title": body.title}

    @router.post("/flaky", status_code=201, response_model=None)
    async def flaky(body: NovelIn, pool: PoolDep, user: CurrentUser) -> JSONResponse | dict:
        """Refuses the first attempt per title (409), accepts the next."""
        _attempts[body.title] += 1
        if _attempts[body.title] == 1:
            return JSONResponse({"error_code": "TRY_AGAIN", "message": "later"}, 409)
        return {"id": await _insert(pool, user, body.title)}

    @router.post("/boom", status_code=201)
    async def boom(body: NovelIn, pool: PoolDep, user: CurrentUser) -> dict[str, str]:
        """Raises on the first attempt per title, accepts the next."""
        _attempts["boom:" + body.title] += 1
        if _attempts["boom:" + body.title] == 1:
            raise RuntimeError("simulated failure")
        return {"id": await _insert(pool, user, body.title)}

    @router.post("/auto", status_code=201)
    async def auto(body: NovelIn, pool: PoolDep, user: CurrentUser) -> dict[str, str]:
        return {"id": await _insert(pool, user, body.title)}

    return router


def build_test_app(settings: Settings) -> FastAPI:
    app = create_app(settings)
    app.include_router(build_router())
    return app


def start_redis() -> Iterator[str]:
    """REDIS_URL when set, else a throwaway redis-server on a free loopback port, else skip."""
    import pytest

    given = os.environ.get("REDIS_URL")
    if given:
        yield given
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("Redis tests need REDIS_URL or a redis-server binary on PATH")
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="scribe-redis-")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    # A separate server process (settings from the environment) that a test kills with -9.
    uvicorn.run(
        build_test_app(Settings(idempotency_auto_key_routes=AUTO_KEY_ROUTES)),
        host="127.0.0.1",
        port=int(sys.argv[1]),
        log_level="critical",
    )
