"""The local engine's launcher without the engine (issue 68): which file `LLM_LOCAL_MODEL`
names, what is refused and how, and the command line the engine is started with."""

import sys
from pathlib import Path

import pytest

from infinite_scribe.cli import local_model
from infinite_scribe.embedded import local_engine
from infinite_scribe.embedded.local_engine import (
    DEFAULT_CONTEXT_TOKENS,
    EngineUnavailable,
    LocalEngine,
    LocalModel,
    resolve_model,
)
from infinite_scribe.settings.settings import Settings


def gguf(path: Path) -> Path:
    path.write_bytes(b"GGUF" + bytes(60))
    return path


def test_a_path_names_the_model_by_its_file(tmp_path: Path) -> None:
    model = resolve_model(str(gguf(tmp_path / "qwen2.5-7b-instruct-q4_k_m.gguf")))
    assert model.name == "qwen2.5-7b-instruct-q4_k_m"
    assert model.context_tokens == DEFAULT_CONTEXT_TOKENS
    assert resolve_model(str(model.path), 2048).context_tokens == 2048


def test_a_missing_file_is_refused_with_its_path(tmp_path: Path) -> None:
    with pytest.raises(EngineUnavailable, match=r"no GGUF file at .*nothing\.gguf"):
        resolve_model(str(tmp_path / "nothing.gguf"))


def test_a_file_that_is_not_gguf_is_refused(tmp_path: Path) -> None:
    text = tmp_path / "model.gguf"
    text.write_text("not a model")
    with pytest.raises(EngineUnavailable, match="is not a GGUF file"):
        resolve_model(str(text))


def test_a_packaged_model_not_installed_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(local_engine.PACKAGED, "absent", ("no_such_package_here", "x.gguf", 4096))
    with pytest.raises(EngineUnavailable, match="make model"):
        resolve_model("absent")


def test_a_packaged_model_is_found_in_its_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "packaged_model_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    gguf(package / "tiny.gguf")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(local_engine.PACKAGED, "tiny", ("packaged_model_pkg", "tiny.gguf", 4096))
    model = resolve_model("tiny")
    assert (model.name, model.path, model.context_tokens) == ("tiny", package / "tiny.gguf", 4096)


def test_the_engine_is_started_as_llama_cpp_server_with_the_model_alias(tmp_path: Path) -> None:
    model = LocalModel("smollm2", tmp_path / "m.gguf", 8192)
    engine = LocalEngine(model, tmp_path / "engine.log", port=18123, threads=2)
    command = engine.command()
    assert command[:3] == [sys.executable, "-m", "infinite_scribe.embedded.engine_server"]
    options = dict(zip(command[3::2], command[4::2], strict=True))
    assert options == {
        "--model": str(tmp_path / "m.gguf"),
        "--model_alias": "smollm2",
        "--host": "127.0.0.1",
        "--port": "18123",
        "--n_ctx": "8192",
        "--interrupt_requests": "false",
        "--n_threads": "2",
        "--n_threads_batch": "2",  # two engines of every core each spun at their barriers
    }
    assert engine.base_url == "http://127.0.0.1:18123/v1"
    cached = LocalEngine(model, tmp_path / "engine.log", port=18123, cache=True).command()
    assert dict(zip(cached[3::2], cached[4::2], strict=True))["--cache"] == "true"
    assert not engine.alive and engine.pid is None


def test_without_llama_cpp_the_engine_refuses_to_spawn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local_engine, "engine_missing", lambda: "llama_cpp missing: make model")
    engine = LocalEngine(LocalModel("m", tmp_path / "m.gguf", 512), tmp_path / "engine.log")
    with pytest.raises(EngineUnavailable, match="make model"):
        engine.spawn()
    engine.stop()  # nothing started: nothing to stop, no error


def test_the_engines_environment_holds_none_of_its_settings_and_its_own_host_and_port(
    tmp_path: Path,
) -> None:
    """Issue 79 Q4: the engine's server reads PORT and HOST over its arguments (and its other
    settings, any case, where no argument names them)."""
    engine = LocalEngine(LocalModel("m", gguf(tmp_path / "m.gguf"), 512), tmp_path / "log")
    parent = {
        "PORT": "8001",
        "HOST": "0.0.0.0",
        "host": "0.0.0.0",
        "Api_Key": "secret",
        "CONFIG_FILE": "/tmp/x.json",
        "N_CTX": "99",
        "PATH": "/usr/bin",
        "LLM_BASE_URL": "http://x",
    }
    env = engine.environment(parent)
    assert env == {
        "PATH": "/usr/bin",
        "LLM_BASE_URL": "http://x",
        "HOST": "127.0.0.1",
        "PORT": str(engine.port),
    }


def test_the_engines_variables_are_the_installed_servers_settings() -> None:
    """ENGINE_VARIABLES names every setting the installed server reads (skipped without it)."""
    settings = pytest.importorskip("llama_cpp.server.settings")
    read = {*settings.Settings.model_fields, *settings.ConfigFileSettings.model_fields}
    assert read | {"config_file"} <= local_engine.ENGINE_VARIABLES


def test_the_settings_choose_the_engines_threads_and_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local_model, "engine_missing", lambda: None)
    (tmp_path / "m.gguf").write_bytes(b"GGUF")
    chosen = {"llm_local_model": str(tmp_path / "m.gguf"), "scribe_data_dir": tmp_path}
    engine = local_model.local_engine(
        Settings(llm_local_threads=1, llm_local_cache=True, **chosen)  # type: ignore[arg-type]
    )
    assert engine is not None and (engine.threads, engine.cache) == (1, True)
    plain = local_model.local_engine(Settings(**chosen))  # type: ignore[arg-type]
    assert plain is not None and (plain.threads, plain.cache) == (None, False)
