"""`scribe idempotency cleanup|invalidate` and `scribe schema export` against the real database."""

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from typer.testing import CliRunner

from infinite_scribe.application.idempotency import user_scope
from infinite_scribe.cli import app
from infinite_scribe.domain.event_names import validate_event_name
from shared_types.event_payloads import EVENT_PAYLOADS

runner = CliRunner()


def sql(url: str, query: str, *args: object) -> Any:
    async def run() -> Any:
        connection = await asyncpg.connect(url)
        try:
            return await connection.fetchval(query, *args)
        finally:
            await connection.close()

    return asyncio.run(run())


@pytest.fixture
def cli_db(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("IDEMPOTENCY_BACKEND", raising=False)
    return database_url


def insert(url: str, scope: str, n: int, state: str, lease: str | None, expires: str) -> None:
    sql(
        url,
        "INSERT INTO idempotency_cache (scope, key, fingerprint, state, lease_expires_at, "
        "expires_at) SELECT $1, 'k' || g, 'fp', $2::idempotency_state, "
        "now() + $3::text::interval, now() + $4::text::interval FROM generate_series(1, $5) g",
        scope,
        state,
        lease,
        expires,
        n,
    )


def test_cleanup_deletes_expired_entries_in_batches(cli_db: str) -> None:
    scope = f"cleanup:{uuid.uuid4()}"
    insert(cli_db, scope + ":done", 25, "COMPLETED", None, "-1 minute")
    insert(cli_db, scope + ":crashed", 5, "IN_PROGRESS", "-1 minute", "-1 minute")
    insert(cli_db, scope + ":live", 4, "COMPLETED", None, "1 hour")
    insert(cli_db, scope + ":running", 3, "IN_PROGRESS", "1 hour", "-1 minute")

    bounded = runner.invoke(
        app, ["idempotency", "cleanup", "--batch-size", "7", "--max-batches", "2"]
    )
    assert bounded.exit_code == 0, bounded.output
    assert "deleted 14 " in bounded.output  # two batches of 7, though more had expired
    mine = sql(cli_db, "SELECT count(*) FROM idempotency_cache WHERE scope LIKE $1", scope + "%")
    assert mine >= 37 - 14

    result = runner.invoke(app, ["idempotency", "cleanup", "--batch-size", "7"])
    assert result.exit_code == 0, result.output
    assert "deleted" in result.output
    left = sql(
        cli_db,
        "SELECT string_agg(DISTINCT split_part(scope, ':', 3), ',' "
        "ORDER BY split_part(scope, ':', 3)) FROM idempotency_cache WHERE scope LIKE $1",
        scope + "%",
    )
    assert left == "live,running"


def test_invalidate_frees_a_completed_key(cli_db: str) -> None:
    user = uuid.uuid4()
    sql(
        cli_db,
        "INSERT INTO idempotency_cache (scope, key, fingerprint, state, response_status, "
        "response_body, expires_at) VALUES ($1, 'order-1', 'fp', 'COMPLETED', 201, '\\x7b7d', "
        "now() + interval '1 day')",
        user_scope(user),
    )
    result = runner.invoke(
        app, ["idempotency", "invalidate", "--user", str(user), "--key", "order-1"]
    )
    assert result.exit_code == 0, result.output
    assert (
        sql(cli_db, "SELECT count(*) FROM idempotency_cache WHERE scope = $1", user_scope(user))
        == 0
    )
    again = runner.invoke(
        app, ["idempotency", "invalidate", "--user", str(user), "--key", "order-1"]
    )
    assert again.exit_code == 1


def test_invalidate_needs_a_user_id(cli_db: str) -> None:
    result = runner.invoke(app, ["idempotency", "invalidate", "--user", "nobody", "--key", "k"])
    assert result.exit_code == 2


def test_schema_export_writes_the_envelope_and_every_payload(tmp_path: Path) -> None:
    result = runner.invoke(app, ["schema", "export", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    envelope = json.loads((tmp_path / "EventEnvelope.schema.json").read_text())
    assert envelope["$schema"].startswith("https://json-schema.org/")
    assert set(envelope["properties"]) == {
        "event_id",
        "event_type",
        "event_version",
        "aggregate_type",
        "aggregate_id",
        "aggregate_version",
        "actor_id",
        "occurred_at",
        "correlation_id",
        "causation_id",
        "payload",
        "metadata",
    }
    index = json.loads((tmp_path / "index.json").read_text())
    assert len(index["events"]) == len(EVENT_PAYLOADS)
    for (event_type, version), model in EVENT_PAYLOADS.items():
        validate_event_name(event_type)
        schema = json.loads(
            (tmp_path / "events" / f"{event_type}.v{version}.schema.json").read_text()
        )
        assert schema["title"] == event_type
        assert set(schema["properties"]) == set(model.model_fields)
