"""Each setting is described once, next to its field, and README.md's table is generated from
that: a field without a description, or a README table that differs from the code, fails here."""

from pathlib import Path

from typer.testing import CliRunner

from infinite_scribe.cli import app
from infinite_scribe.settings.settings import GROUPS, Settings
from infinite_scribe.settings.table import (
    BEGIN,
    END,
    default_text,
    settings_table,
    table_in,
    variable,
    with_table,
)
from tests.support.paths import REPO

README = REPO / "README.md"


def test_every_setting_has_a_description() -> None:
    missing = [name for name, field in Settings.model_fields.items() if not field.description]
    assert missing == []


def test_every_setting_is_in_exactly_one_group() -> None:
    grouped = [name for group in GROUPS for name in group.model_fields]
    assert sorted(grouped) == sorted(Settings.model_fields)
    assert len(grouped) == len(set(grouped))


def test_the_readme_table_is_the_code_s() -> None:
    table = table_in(README.read_text(encoding="utf-8"))
    assert table is not None, f"README.md has no {BEGIN} ... {END} block"
    assert table == settings_table(), "run `scribe settings --write README.md`"


def test_rows_name_the_environment_variable_and_a_readable_default() -> None:
    fields = Settings.model_fields
    assert variable("relay_batch_size", fields["relay_batch_size"]) == "RELAY_BATCH_SIZE"
    assert default_text("database_url", fields["database_url"]) == "unset"
    assert default_text("postgres_password", fields["postgres_password"]) == "empty"
    assert default_text("cors_origins", fields["cors_origins"]) == "empty"
    assert default_text("relay_poll_interval", fields["relay_poll_interval"]) == "5"
    assert default_text("http_max_body_bytes", fields["http_max_body_bytes"]) == "1048576 (1 MiB)"
    assert default_text("kafka_topic", fields["kafka_topic"]) == "`domain-events`"
    assert "| `RELAY_BATCH_SIZE` | 500 | Outbox rows claimed per batch. |" in settings_table()


def test_check_fails_on_a_drifted_readme(tmp_path: Path) -> None:
    current = tmp_path / "README.md"
    drifted = settings_table().replace("| 500 |", "| 400 |")
    current.write_text(with_table(f"# x\n\n{BEGIN}\n{END}\n", drifted), encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(app, ["settings", "--check", str(current)]).exit_code == 1
    assert runner.invoke(app, ["settings", "--write", str(current)]).exit_code == 0
    assert runner.invoke(app, ["settings", "--check", str(current)]).exit_code == 0
    assert table_in(current.read_text(encoding="utf-8")) == settings_table()
