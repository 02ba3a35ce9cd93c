"""The CLI beside `scribe up` (services.json), `db downgrade` safety, --version, completion and
progress bars, with the real CLI against the real database."""

import io
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from infinite_scribe.cli import app
from infinite_scribe.cli.progress import progress
from infinite_scribe.settings.services_file import (
    RunningServices,
    process_start_ticks,
    read_services,
    remove_services,
    services_path,
    sole_up,
    with_running_services,
    write_services,
)
from infinite_scribe.settings.settings import ConfigurationError, load_settings

runner = CliRunner()


def _services(database_url: str, pid: int | None = None, **changes: object) -> RunningServices:
    pid = pid or os.getpid()
    fields: dict[str, object] = {
        "pid": pid,
        "process_started": process_start_ticks(pid),
        "database_url": database_url,
        "kafka_bootstrap_servers": "127.0.0.1:1",
        "api_url": "http://127.0.0.1:8000",
        "embedded_database": True,
        "embedded_kafka": True,
    }
    return RunningServices(**(fields | changes))  # type: ignore[arg-type]


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("DATABASE_URL", "POSTGRES_HOST", "KAFKA_BOOTSTRAP_SERVERS", "KAFKA_HOST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("JWT_SECRET_KEY", raising=False)
    monkeypatch.setenv("SCRIBE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SCRIBE_ENV_FILE", "")
    return tmp_path


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_commands_find_a_running_up(database_url: str, data_dir: Path) -> None:
    write_services(data_dir, _services(database_url))
    assert services_path(data_dir).stat().st_mode & 0o777 == 0o600  # the URL may hold a password
    result = runner.invoke(app, ["outbox", "status"])
    assert result.exit_code == 0, result.output
    assert "outbox rows:" in result.output
    result = runner.invoke(app, ["services", "--env"])
    assert result.exit_code == 0, result.output
    assert f"export DATABASE_URL='{database_url}'" in result.output
    assert "export KAFKA_BOOTSTRAP_SERVERS='127.0.0.1:1'" in result.output
    result = runner.invoke(app, ["services"])
    assert result.exit_code == 0 and f"pid {os.getpid()}" in result.output
    assert "embedded      database, kafka" in result.output
    assert runner.invoke(app, ["db", "current"]).exit_code == 0
    assert runner.invoke(app, ["idempotency", "cleanup"]).exit_code == 0


def test_explicit_environment_wins_over_the_services_file(
    database_url: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_services(data_dir, _services("postgresql://nobody@127.0.0.1:1/none"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "explicit:9092")
    found = with_running_services(load_settings())
    assert found.resolved_database_url() == database_url
    assert found.resolved_kafka_servers() == "explicit:9092"
    assert runner.invoke(app, ["outbox", "status"]).exit_code == 0


@pytest.mark.parametrize("reason", ["dead pid", "pid reused"])
def test_a_stale_services_file_is_detected(database_url: str, data_dir: Path, reason: str) -> None:
    if reason == "dead pid":
        stale = _services(database_url, pid=_dead_pid())
    else:  # our pid, but not our start time: the pid was reused after a kill -9
        stale = _services(database_url, process_started=(process_start_ticks(os.getpid()) or 0) + 1)
    write_services(data_dir, stale)
    result = runner.invoke(app, ["outbox", "status"])
    assert result.exit_code == 2
    assert "DATABASE_URL is not set" in result.output and "is stale" in result.output
    result = runner.invoke(app, ["services"])
    assert result.exit_code == 1 and "stale" in result.output


def test_no_services_file_says_so(data_dir: Path) -> None:
    result = runner.invoke(app, ["outbox", "status"])
    assert result.exit_code == 2
    assert "no running `scribe up` found" in result.output
    assert runner.invoke(app, ["worker", "dlq", "list"]).exit_code == 2


def test_the_embedded_database_of_up_needs_no_production_secret(
    database_url: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_services(data_dir, _services(database_url))
    # Found through the file, or pointed at by hand: no JWT secret demanded.
    with_running_services(load_settings()).check_serving_secret()
    monkeypatch.setenv("DATABASE_URL", database_url)
    with_running_services(load_settings()).check_serving_secret()
    # An external database in the file (an `up` beside a real server) still needs one.
    write_services(data_dir, _services(database_url, embedded_database=False))
    with pytest.raises(ConfigurationError, match="JWT_SECRET_KEY"):
        with_running_services(load_settings()).check_serving_secret()
    # Another database than the embedded one needs one too.
    write_services(data_dir, _services("postgresql://postgres@127.0.0.1:1/embedded"))
    with pytest.raises(ConfigurationError, match="JWT_SECRET_KEY"):
        with_running_services(load_settings()).check_serving_secret()


def test_remove_only_removes_its_own_file(database_url: str, data_dir: Path) -> None:
    write_services(data_dir, _services(database_url))
    remove_services(data_dir, pid=os.getpid() + 1)
    assert read_services(data_dir) is not None
    remove_services(data_dir, pid=os.getpid())
    assert read_services(data_dir) is None


def test_up_refuses_to_start_twice_on_one_data_dir(database_url: str, data_dir: Path) -> None:
    write_services(data_dir, _services(database_url))
    result = runner.invoke(app, ["up", "--port", "1"])
    assert result.exit_code == 2
    assert "already running" in result.output and f"pid {os.getpid()}" in result.output


def test_up_refuses_while_another_holds_the_data_dir_lock(data_dir: Path) -> None:
    with sole_up(data_dir):  # an `up` still starting: no services.json yet
        result = runner.invoke(app, ["up", "--port", "1"])
    assert result.exit_code == 2
    assert "already running: another `scribe up` holds" in result.output
    with sole_up(data_dir):  # released with its holder
        pass


def _current_revision() -> str:
    """The last line of `scribe db current` (log lines may come before it on the same output)."""
    return runner.invoke(app, ["db", "current"]).output.strip().splitlines()[-1]


def test_downgrade_needs_a_target_and_base_needs_yes(
    fresh_database: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", str(fresh_database()))  # type: ignore[operator]
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["db", "downgrade"])
    assert result.exit_code == 2 and "Missing argument" in result.output
    result = runner.invoke(app, ["db", "downgrade", "base"])
    assert result.exit_code == 2 and "--yes" in result.output
    head = _current_revision()
    assert "empty" not in head  # nothing dropped
    assert runner.invoke(app, ["db", "downgrade", "-1"]).exit_code == 0  # one step back
    one_back = _current_revision()
    assert one_back not in (head, "") and "empty" not in one_back
    result = runner.invoke(app, ["db", "downgrade", "-99"])  # as far as base: the same guard
    assert result.exit_code == 2 and "--yes" in result.output
    assert _current_revision() == one_back
    result = runner.invoke(app, ["db", "downgrade", "base", "--yes"])
    assert result.exit_code == 0, result.output
    assert "empty" in runner.invoke(app, ["db", "current"]).output


def test_version_and_completion() -> None:
    from importlib.metadata import version

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"scribe {version('infinite-scribe-backend')}"
    help_text = runner.invoke(app, ["--help"]).output
    assert "--install-completion" in help_text and "--show-completion" in help_text
    scribe = str(Path(sys.executable).parent / "scribe")
    # Typer detects the shell from the parent processes (`bash` here is read as a stray
    # argument), so ask from a bash that stays the parent (`; true` keeps it from exec-ing):
    # run from a process tree without a shell, it would answer "Shell  not supported".
    shown = subprocess.run(
        ["bash", "-c", f"'{scribe}' --show-completion; true"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    assert "complete -o default -F _scribe_completion scribe" in shown.stdout
    # What bash asks when Tab is pressed after `scribe ou`:
    completing = os.environ | {
        "_SCRIBE_COMPLETE": "complete_bash",
        "COMP_WORDS": "scribe ou",
        "COMP_CWORD": "1",
    }
    answer = subprocess.run(
        [scribe], env=completing, capture_output=True, text=True, timeout=60, check=False
    )
    assert answer.stdout.split() == ["outbox"], answer


def test_progress_shows_on_a_terminal_and_stays_silent_otherwise() -> None:
    terminal = io.StringIO()
    console = Console(file=terminal, force_terminal=True, width=100)
    with progress("deleting rows", console=console) as advance:
        advance(3)
        advance(4)
    with progress("replaying", total=10, unit="events", console=console) as advance:
        advance(10)
    assert "deleting rows" in terminal.getvalue() and "7 rows" in terminal.getvalue()
    assert "10/10" in terminal.getvalue()
    piped = io.StringIO()
    with progress("quiet", console=Console(file=piped, force_terminal=False)) as advance:
        advance(1)
    assert piped.getvalue() == ""


def test_long_commands_still_print_their_result(cli_db_url: str) -> None:
    session = str(uuid.uuid4())
    result = runner.invoke(app, ["events", "replay", "--session", session])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("re-enqueued 0 event(s)")
    result = runner.invoke(app, ["outbox", "cleanup", "--older-than", "1000"])
    assert result.exit_code == 0 and "deleted 0 SENT row(s)" in result.output
    result = runner.invoke(app, ["idempotency", "cleanup", "--batch-size", "1"])
    assert result.exit_code == 0 and "expired idempotency entries" in result.output


@pytest.fixture
def cli_db_url(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", database_url)
    return database_url
