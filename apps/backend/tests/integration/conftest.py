"""Fixtures the integration tests share beyond the root conftest's."""

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from click.testing import Result
from typer.testing import CliRunner

from infinite_scribe.cli import app

runner = CliRunner()


@pytest.fixture
def scribe(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Awaitable[Result]]:
    """`scribe <args>` against the tests' database (in a thread: the CLI runs its own loop)."""
    monkeypatch.setenv("DATABASE_URL", database_url)

    async def invoke(*args: str) -> Result:
        return await asyncio.to_thread(runner.invoke, app, list(args))

    return invoke
