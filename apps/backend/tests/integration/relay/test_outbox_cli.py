"""`scribe outbox status|requeue|cleanup` and `scribe events replay` against the real database."""

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from typer.testing import CliRunner

from infinite_scribe.cli import app
from infinite_scribe.persistence.database import run_with_pool
from infinite_scribe.persistence.event_store import envelope_of
from shared_types import DomainEventRow, EventEnvelope, EventMetadata
from tests.support.events import append_events

runner = CliRunner()


@pytest.fixture
def cli_db(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", database_url)
    return database_url


def _failed_row(database_url: str, key: str, position_offset: int = 0) -> uuid.UUID:
    async def insert(pool: asyncpg.Pool) -> uuid.UUID:
        return await pool.fetchval(  # type: ignore[no-any-return]
            "INSERT INTO event_outbox (topic, key, payload, status, attempts, last_error, "
            "last_error_class) VALUES ('t', $1, '{}'::jsonb, 'FAILED', 4, 'too big', "
            "'MSG_SIZE_TOO_LARGE') RETURNING id",
            key,
        )

    return run_with_pool(database_url, insert)  # type: ignore[no-any-return]


def test_status_lists_counts_and_failed_rows(cli_db: str) -> None:
    key = f"status-{uuid.uuid4()}"
    row = _failed_row(cli_db, key)
    run_with_pool(
        cli_db,
        lambda pool: pool.execute(
            "INSERT INTO event_outbox (topic, key, payload) VALUES ('t', $1, '{}'::jsonb)", key
        ),
    )
    result = runner.invoke(app, ["outbox", "status"])
    assert result.exit_code == 0, result.output
    assert "PENDING" in result.output and "SENT" in result.output
    assert f"FAILED {row} key={key}" in result.output
    assert "MSG_SIZE_TOO_LARGE: too big" in result.output
    assert "oldest PENDING:" in result.output and "s ago" in result.output
    assert "held behind a FAILED row" in result.output


def test_requeue_by_id_and_all_failed(cli_db: str) -> None:
    first, second = (_failed_row(cli_db, f"rq-{uuid.uuid4()}") for _ in range(2))
    result = runner.invoke(app, ["outbox", "requeue", "--id", str(first)])
    assert result.exit_code == 0, result.output
    assert "requeued 1 row(s)" in result.output
    row = run_with_pool(
        cli_db, lambda pool: pool.fetchrow("SELECT * FROM event_outbox WHERE id = $1", first)
    )
    assert row["status"] == "PENDING" and row["attempts"] == 0 and row["last_error"] is None
    again = runner.invoke(app, ["outbox", "requeue", "--id", str(first)])
    assert again.exit_code == 1  # no longer FAILED: nothing changed
    result = runner.invoke(app, ["outbox", "requeue", "--all-failed"])
    assert result.exit_code == 0
    status = run_with_pool(
        cli_db,
        lambda pool: pool.fetchval("SELECT status::text FROM event_outbox WHERE id = $1", second),
    )
    assert status == "PENDING"
    assert (
        run_with_pool(
            cli_db,
            lambda pool: pool.fetchval("SELECT count(*) FROM event_outbox WHERE status = 'FAILED'"),
        )
        == 0
    )


@pytest.mark.parametrize("args", [[], ["--id", "x"], ["--all-failed", "--id", str(uuid.uuid4())]])
def test_requeue_rejects_bad_arguments(cli_db: str, args: list[str]) -> None:
    assert runner.invoke(app, ["outbox", "requeue", *args]).exit_code == 2


def test_cleanup_deletes_only_old_sent_rows(cli_db: str) -> None:
    key = f"cleanup-{uuid.uuid4()}"

    async def insert(pool: asyncpg.Pool) -> None:
        await pool.execute(
            "INSERT INTO event_outbox (topic, key, payload, status, sent_at, created_at) "
            "SELECT 't', $1, '{}'::jsonb, 'SENT', now(), now() - interval '10 days' "
            "FROM generate_series(1, 25)",
            key,
        )
        await pool.execute(
            "INSERT INTO event_outbox (topic, key, payload, status, sent_at) "
            "VALUES ('t', $1, '{}'::jsonb, 'SENT', now()), ('t', $1, '{}'::jsonb, 'PENDING', NULL)",
            key,
        )

    run_with_pool(cli_db, insert)
    result = runner.invoke(app, ["outbox", "cleanup", "--older-than", "48", "--batch", "10"])
    assert result.exit_code == 0, result.output
    assert "deleted" in result.output
    left = run_with_pool(
        cli_db,
        lambda pool: pool.fetch(
            "SELECT status::text AS s FROM event_outbox WHERE key = $1 ORDER BY s", key
        ),
    )
    assert [r["s"] for r in left] == ["PENDING", "SENT"]


def _append(database_url: str, session: str, correlation: uuid.UUID, count: int) -> list[str]:
    events = [
        EventEnvelope(
            event_type="Genesis.Session.FeedbackSubmitted",
            aggregate_type="GENESIS_SESSION",
            aggregate_id=session,
            aggregate_version=n + 1,
            correlation_id=correlation,
            payload={"n": n},
            metadata=EventMetadata(user_id="u-1", source_service="api"),
        )
        for n in range(count)
    ]

    async def append(pool: asyncpg.Pool) -> None:
        await append_events(pool, events, "replay-origin")

    run_with_pool(database_url, append)
    return [str(event.event_id) for event in events]


def _replayed(database_url: str, topic: str) -> list[asyncpg.Record]:
    return run_with_pool(  # type: ignore[no-any-return]
        database_url,
        lambda pool: pool.fetch(
            "SELECT * FROM event_outbox WHERE topic = $1 ORDER BY position", topic
        ),
    )


def test_replay_by_session_correlation_and_time(cli_db: str) -> None:
    session, other = str(uuid.uuid4()), str(uuid.uuid4())
    correlation = uuid.uuid4()
    ids = _append(cli_db, session, correlation, 3)
    _append(cli_db, other, uuid.uuid4(), 2)

    topic = f"replay-{uuid.uuid4().hex[:6]}"
    result = runner.invoke(app, ["events", "replay", "--session", session, "--topic", topic])
    assert result.exit_code == 0, result.output
    assert "re-enqueued 3 event(s)" in result.output
    rows = _replayed(cli_db, topic)
    assert [str(r["event_id"]) for r in rows] == ids  # commit order
    assert all(r["status"] == "PENDING" and r["key"] == session for r in rows)
    stored = run_with_pool(
        cli_db,
        lambda pool: pool.fetchrow(
            "SELECT * FROM domain_events WHERE event_id = $1", rows[0]["event_id"]
        ),
    )
    expected = envelope_of(DomainEventRow.model_validate(dict(stored))).model_dump(mode="json")
    assert rows[0]["payload"] == expected

    topic = f"replay-{uuid.uuid4().hex[:6]}"
    result = runner.invoke(
        app, ["events", "replay", "--correlation-id", str(correlation), "--topic", topic]
    )
    assert "re-enqueued 3 event(s)" in result.output
    assert len(_replayed(cli_db, topic)) == 3

    topic = f"replay-{uuid.uuid4().hex[:6]}"
    since = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S")
    result = runner.invoke(app, ["events", "replay", "--since", since, "--topic", topic])
    assert result.exit_code == 0, result.output
    replayed = {str(r["event_id"]) for r in _replayed(cli_db, topic)}
    assert set(ids) <= replayed and len(replayed) >= 5

    future = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    result = runner.invoke(app, ["events", "replay", "--since", future, "--topic", topic])
    assert "re-enqueued 0 event(s)" in result.output


@pytest.mark.parametrize(
    "args", [[], ["--session", "a", "--correlation-id", str(uuid.uuid4())], ["--since", "nope"]]
)
def test_replay_rejects_bad_arguments(cli_db: str, args: list[str]) -> None:
    assert runner.invoke(app, ["events", "replay", *args]).exit_code == 2
