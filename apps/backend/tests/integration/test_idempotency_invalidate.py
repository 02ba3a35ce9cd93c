"""`scribe idempotency invalidate` and the command inbox agree: after it, a command sent again
with the key runs again (it is decided anew), where freeing the HTTP cache alone would have had
the inbox replay the original command."""

import asyncio
import uuid
from uuid import UUID

import asyncpg
import httpx
import pytest
from typer.testing import CliRunner

from infinite_scribe.application.idempotency import user_scope
from infinite_scribe.cli import app
from tests.support.genesis_client import command, new_session

runner = CliRunner()


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("IDEMPOTENCY_BACKEND", raising=False)


async def abandon(http: httpx.AsyncClient, session_id: UUID, key: str) -> httpx.Response:
    return await command(
        http, session_id, "AbandonSession", {"reason": "r"}, **{"Idempotency-Key": key}
    )


async def test_invalidate_makes_the_command_run_again(
    http: httpx.AsyncClient, pool: asyncpg.Pool, user_id: uuid.UUID, cli_env: None
) -> None:
    session_id = await new_session(http)
    key = f"abandon-{uuid.uuid4()}"
    first = await abandon(http, session_id, key)
    assert first.status_code == 200, first.text
    replay = await abandon(http, session_id, key)
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.json() == first.json()

    # The HTTP cache alone is not enough: the inbox replays the original command.
    await pool.execute(
        "DELETE FROM idempotency_cache WHERE scope = $1 AND key = $2", user_scope(user_id), key
    )
    inbox_replay = await abandon(http, session_id, key)
    assert inbox_replay.status_code == 200
    assert inbox_replay.json()["command_id"] == first.json()["command_id"]

    # The CLI runs its own event loop: in a thread, as from a shell.
    arguments = ["idempotency", "invalidate", "--user", str(user_id), "--key", key]
    result = await asyncio.to_thread(runner.invoke, app, arguments)
    assert result.exit_code == 0, (result.output, result.exc_info)
    assert "1 command(s) released" in result.output
    again = await abandon(http, session_id, key)
    # Decided anew: the session is abandoned already, so this time it is refused.
    assert again.status_code == 409 and again.json()["error_code"] == "INVALID_STATE"
    kept = await pool.fetchval(
        "SELECT count(*) FROM command_inbox WHERE session_id = $1 AND command_type = $2",
        session_id,
        "AbandonSession",
    )
    assert kept == 1  # the original command stays, as history
