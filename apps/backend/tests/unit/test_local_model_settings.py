"""Which model the settings choose (issue 68, decision 6801): a server named without
LLM_PROVIDER is used, half a server stops start-up saying what is missing, LLM_LOCAL_MODEL
stands alone; what `up` hands the workers for its engine; what health and the banner say."""

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from infinite_scribe.cli import app, local_model as cli_engine
from infinite_scribe.cli.local_model import engine_settings, local_engine
from infinite_scribe.cli.up import _model_line
from infinite_scribe.embedded.local_engine import EngineUnavailable, LocalEngine, LocalModel
from infinite_scribe.runtime.model_health import ModelHealth, ModelStatus
from infinite_scribe.settings.services_file import (
    RunningServices,
    process_start_ticks,
    with_running_services,
    write_services,
)
from infinite_scribe.settings.settings import ConfigurationError, Settings, load_settings

URL = "http://127.0.0.1:11434/v1"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [variable for variable in os.environ if variable.startswith("LLM_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("SCRIBE_ENV_FILE", "")


def test_a_server_named_without_a_provider_is_used() -> None:
    settings = load_settings(llm_base_url=URL, llm_model="qwen2.5:7b-instruct")
    assert settings.llm_provider == "openai"
    assert settings.models == ("offline", "qwen2.5:7b-instruct")


@pytest.mark.parametrize(
    ("given", "missing"),
    [({"llm_base_url": URL}, "LLM_MODEL"), ({"llm_model": "qwen"}, "LLM_BASE_URL")],
)
def test_half_a_server_stops_start_up_naming_what_is_missing(
    given: dict[str, str], missing: str
) -> None:
    with pytest.raises(ConfigurationError, match=f"{missing} is not set, yet a model server"):
        load_settings(**given)


def test_an_explicit_offline_provider_is_kept() -> None:
    settings = load_settings(llm_provider="offline", llm_base_url=URL, llm_model="qwen")
    assert settings.llm_provider == "offline" and settings.models == ("offline",)


@pytest.mark.parametrize(
    ("given", "refused"),
    [
        ({"llm_base_url": URL}, "unset LLM_BASE_URL"),
        ({"llm_model": "qwen", "llm_base_url": URL}, "unset LLM_BASE_URL and LLM_MODEL"),
        ({"llm_provider": "offline"}, "unset LLM_PROVIDER=offline"),
    ],
)
def test_the_local_model_stands_alone(given: dict[str, str], refused: str) -> None:
    with pytest.raises(ConfigurationError, match=refused):
        load_settings(llm_local_model="smollm2", **given)
    alone = load_settings(llm_local_model="smollm2")
    assert alone.llm_provider == "offline" and not alone.uses_local_engine  # until `up` runs it


def test_up_hands_the_workers_the_engine_as_an_openai_server(tmp_path: Path) -> None:
    settings = load_settings(llm_local_model="smollm2")
    engine = LocalEngine(LocalModel("smollm2", tmp_path / "m.gguf", 8192), tmp_path / "log")
    resolved = settings.model_copy(update=engine_settings(settings, engine))
    assert resolved.uses_local_engine and resolved.llm_provider == "openai"
    assert (resolved.llm_base_url, resolved.llm_model) == (engine.base_url, "smollm2")
    assert resolved.llm_schema_form == "llama_cpp"
    assert (resolved.llm_max_concurrency, resolved.llm_timeout_seconds) == (1, 300.0)
    assert f"smollm2 at {engine.base_url} (the local engine)" in _model_line(resolved)
    chosen = load_settings(llm_local_model="smollm2", llm_schema_form="none", llm_max_concurrency=4)
    given = engine_settings(chosen, engine)  # what the operator set stands
    assert "llm_schema_form" not in given and "llm_max_concurrency" not in given


def test_the_banner_names_the_offline_generator_and_a_server() -> None:
    assert "offline generator" in _model_line(load_settings())
    served = load_settings(llm_base_url=URL, llm_model="qwen")
    assert _model_line(served) == f"qwen at {URL} (LLM_BASE_URL)"


def test_up_refuses_a_local_model_that_is_not_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert local_engine(load_settings()) is None
    missing = tmp_path / "absent.gguf"
    monkeypatch.setattr(cli_engine, "engine_missing", lambda: None)
    with pytest.raises(EngineUnavailable, match="no GGUF file"):
        local_engine(load_settings(llm_local_model=str(missing)))
    monkeypatch.setattr(cli_engine, "engine_missing", lambda: "llama_cpp missing")
    with pytest.raises(EngineUnavailable, match=r"LLM_LOCAL_MODEL=smollm2: llama_cpp missing"):
        local_engine(load_settings(llm_local_model="smollm2"))


def test_commands_beside_up_find_its_engine(tmp_path: Path) -> None:
    pid = os.getpid()
    running = RunningServices(
        pid=pid,
        process_started=process_start_ticks(pid),
        database_url="postgresql://u@127.0.0.1:1/db",
        kafka_bootstrap_servers="127.0.0.1:1",
        api_url="http://127.0.0.1:8000",
        embedded_database=True,
        embedded_kafka=True,
        local_model_url="http://127.0.0.1:40001/v1",
        local_model_name="smollm2",
    )
    write_services(tmp_path, running)
    found = with_running_services(
        load_settings(scribe_data_dir=tmp_path, llm_local_model="smollm2")
    )
    assert found.uses_local_engine and found.llm_base_url == "http://127.0.0.1:40001/v1"
    offline = with_running_services(load_settings(scribe_data_dir=tmp_path))
    assert offline.llm_provider == "offline"  # the engine is LLM_LOCAL_MODEL's, not everyone's
    shown = CliRunner().invoke(app, ["services"], env={"SCRIBE_DATA_DIR": str(tmp_path)})
    assert "local model   smollm2 at http://127.0.0.1:40001/v1" in shown.output, shown.output


def test_health_names_the_model_and_the_engines_outage() -> None:
    served = ModelHealth(URL, model="qwen")
    assert served._read(ModelStatus(True, "ok")).detail == "ok (qwen, the model server)"
    down = ModelStatus(False, "the model server at 127.0.0.1:1 cannot be reached")
    assert served._read(down) == down
    engine = ModelHealth(URL, model="smollm2", local=True)
    assert engine._read(ModelStatus(True, "ok")).detail == "ok (smollm2, the local engine)"
    said = engine._read(down).detail
    assert said.startswith("the local engine serving smollm2 is down: the model server at")
    assert "`scribe up` restarts it" in said


def test_health_of_the_offline_generator_and_of_up_s_engine(tmp_path: Path) -> None:
    assert ModelHealth.of(load_settings()).url is None
    settings: Settings = load_settings(llm_local_model="smollm2")
    engine = LocalEngine(LocalModel("smollm2", tmp_path / "m.gguf", 8192), tmp_path / "log")
    health = ModelHealth.of(settings.model_copy(update=engine_settings(settings, engine)))
    assert health.local and health.model == "smollm2"
    assert health.url == f"{engine.base_url}/models"
