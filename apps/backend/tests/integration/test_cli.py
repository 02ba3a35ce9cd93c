"""The `scribe` command line against the real database."""

import subprocess
import sys
import uuid

import jwt
import pytest
from typer.testing import CliRunner

from infinite_scribe.cli import app

runner = CliRunner()


def test_db_sql_prints_the_whole_migration() -> None:
    result = runner.invoke(app, ["db", "sql"])
    assert result.exit_code == 0, result.output
    for needle in (
        "CREATE TABLE domain_events",
        "idx_command_inbox_unique_pending_command",
        "idx_flow_resume_handles_unique_correlation",
        "CREATE FUNCTION trigger_set_timestamp",
        "COMMIT",
    ):
        assert needle in result.output


def test_db_upgrade_current_downgrade(
    fresh_database: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", str(fresh_database()))  # type: ignore[operator]
    assert "empty" in runner.invoke(app, ["db", "current"]).output
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert "empty" not in runner.invoke(app, ["db", "current"]).output
    assert runner.invoke(app, ["db", "downgrade", "base", "--yes"]).exit_code == 0
    assert "empty" in runner.invoke(app, ["db", "current"]).output


@pytest.mark.parametrize(
    "command",
    [
        ["db", "current"],
        ["db", "upgrade"],
        ["idempotency", "cleanup"],
        ["outbox", "status"],
        ["events", "replay", "--session", "00000000-0000-4000-8000-000000000001"],
    ],
)
def test_database_commands_need_a_database_url(
    monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("POSTGRES_HOST", raising=False)
    result = runner.invoke(app, command)
    assert result.exit_code == 2
    assert "DATABASE_URL" in result.output


def test_token_is_signed_with_the_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "cli-test-secret-0123456789-0123456789"
    monkeypatch.setenv("JWT_SECRET_KEY", secret)
    user = uuid.uuid4()
    result = runner.invoke(app, ["token", "--user", str(user), "--ttl", "120"])
    assert result.exit_code == 0, result.output
    claims = jwt.decode(result.output.strip(), secret, algorithms=["HS256"])
    assert claims["sub"] == str(user)
    assert claims["exp"] - claims["iat"] == 120


def test_token_rejects_a_bad_user_id() -> None:
    result = runner.invoke(app, ["token", "--user", "bob"])
    assert result.exit_code == 2


def test_invalid_configuration_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAY_BATCH_SIZE", "-3")
    result = runner.invoke(app, ["token", "--user", str(uuid.uuid4())])
    assert result.exit_code == 2
    assert "RELAY_BATCH_SIZE" in result.output


def test_api_refuses_the_default_secret_against_a_real_database(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("JWT_SECRET_KEY", raising=False)
    result = runner.invoke(app, ["api", "--port", "1"])
    assert result.exit_code == 2
    assert "JWT_SECRET_KEY" in result.output


def test_python_m_with_invalid_service_type() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "infinite_scribe"],
        env={"SERVICE_TYPE": "toaster", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "SERVICE_TYPE" in result.stderr
