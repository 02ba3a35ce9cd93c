"""`scribe model pull` (issue 77) against a hub on loopback (tests/support/model_hub.py): a
pulled file is checked and listed and `LLM_LOCAL_MODEL` names it; a transfer cut mid-way
resumes where it stopped (a Range request) and ends with the same bytes; a wrong checksum, a
refused connection, a missing file and a hostile name each end with one clear line and leave
no file behind. No byte comes from outside the machine."""

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from infinite_scribe.cli import app
from infinite_scribe.embedded.kafka import free_port
from infinite_scribe.embedded.local_engine import EngineUnavailable, resolve_model
from infinite_scribe.embedded.model_store import CATALOGUE, models_dir, pulled_models
from tests.support.model_hub import ModelHub

runner = CliRunner()
REPO = "writers/tiny-GGUF"
FILE = "tiny-Q4_K_M.gguf"
KEY = f"{REPO}/{FILE}"
#: A GGUF header and 1.5 MB that no compressor or cache could fake.
DATA = b"GGUF" + os.urandom(1_500_000)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SCRIBE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("LLM_MODEL_HUB_URL", raising=False)
    return tmp_path


@pytest.fixture
def hub() -> Iterator[ModelHub]:
    with ModelHub({KEY: DATA}) as running:
        yield running


def pull(hub_url: str, *arguments: str) -> tuple[int, str]:
    result = runner.invoke(app, ["model", "pull", *arguments, "--hub-url", hub_url])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def left_in(data_dir: Path) -> list[str]:
    folder = models_dir(data_dir)
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def test_a_pulled_model_is_checked_listed_and_runs_by_its_name(
    data_dir: Path, hub: ModelHub
) -> None:
    code, output = pull(hub.url, KEY)
    assert code == 0, output
    path = models_dir(data_dir) / FILE
    assert path.read_bytes() == DATA
    assert hashlib.sha256(DATA).hexdigest() in output
    assert "LLM_LOCAL_MODEL=tiny-Q4_K_M" in output
    (pulled,) = pulled_models(data_dir)
    assert (pulled.name, pulled.size, pulled.repo) == ("tiny-Q4_K_M", len(DATA), REPO)

    listed = runner.invoke(app, ["model", "list"]).output
    assert "tiny-Q4_K_M" in listed and "1.5 MB" in listed and KEY in listed
    for name in CATALOGUE:
        assert name in listed  # the ones to pull, with sizes and licences

    for spec in ("tiny-Q4_K_M", KEY):  # LLM_LOCAL_MODEL takes the name or repo/file
        model = resolve_model(spec, None, data_dir)
        assert (model.name, model.path) == ("tiny-Q4_K_M", path.resolve())

    fetched = len([r for r in hub.requests if r[0] == "GET"])
    assert pull(hub.url, KEY)[0] == 0  # pulled already: nothing fetched again
    assert len([r for r in hub.requests if r[0] == "GET"]) == fetched


def test_a_cut_transfer_resumes_where_it_stopped(data_dir: Path, hub: ModelHub) -> None:
    hub.cut_after = 600_000
    code, output = pull(hub.url, KEY)
    assert code == 1 and "broke off" in output and "resume" in output, output
    part = models_dir(data_dir) / f"{FILE}.part"
    kept = part.stat().st_size
    assert 0 < kept <= 600_000
    assert "(interrupted)" in runner.invoke(app, ["model", "list"]).output

    code, output = pull(hub.url, KEY)
    assert code == 0, output
    assert (models_dir(data_dir) / FILE).read_bytes() == DATA
    assert not part.exists()
    ranges = [r[2] for r in hub.requests if r[0] == "GET" and r[1].startswith("/store/")]
    assert ranges == [None, f"bytes={kept}-"], "the second transfer asked for the rest only"


def test_a_server_that_cannot_resume_sends_it_all_again(data_dir: Path, hub: ModelHub) -> None:
    hub.cut_after = 400_000
    assert pull(hub.url, KEY)[0] == 1
    hub.ignore_range = True
    code, output = pull(hub.url, KEY)
    assert code == 0, output
    assert (models_dir(data_dir) / FILE).read_bytes() == DATA


def test_a_wrong_checksum_keeps_nothing(data_dir: Path, hub: ModelHub) -> None:
    hub.announced_sha256 = "0" * 64
    code, output = pull(hub.url, KEY)
    assert code == 1 and "SHA-256" in output and "removed" in output, output
    assert "Traceback" not in output
    assert left_in(data_dir) == []
    assert pulled_models(data_dir) == []
    with pytest.raises(EngineUnavailable, match="scribe model pull"):
        resolve_model(KEY, None, data_dir)


def test_the_catalogue_checksum_wins_over_the_servers(data_dir: Path) -> None:
    """A hub serving another file under a catalogue name (a mirror gone wrong) is refused."""
    published = CATALOGUE["qwen3-1.7b"]
    with ModelHub({f"{published.repo}/{published.file}": DATA}) as hub:
        code, output = pull(hub.url, "qwen3-1.7b")
    assert code == 1 and published.sha256 in output, output
    assert left_in(data_dir) == []


def test_a_given_checksum_is_checked(data_dir: Path, hub: ModelHub) -> None:
    assert pull(hub.url, KEY, "--sha256", "ab" * 32)[0] == 1
    code, output = pull(hub.url, KEY, "--sha256", hashlib.sha256(DATA).hexdigest().upper())
    assert code == 0, output


def test_a_missing_file_is_named(data_dir: Path, hub: ModelHub) -> None:
    code, output = pull(hub.url, f"{REPO}/other.gguf")
    assert code == 1 and "no such file" in output and f"{REPO}/other.gguf" in output
    assert left_in(data_dir) == []


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd.gguf",
        "owner/repo/../x.gguf",
        "owner/repo/sub/x.gguf",
        "owner/repo/x.bin",
        "/abs/path/x.gguf",
        "not-in-the-catalogue",
    ],
)
def test_a_hostile_name_is_refused_and_fetches_nothing(
    data_dir: Path, hub: ModelHub, name: str
) -> None:
    code, output = pull(hub.url, name)
    assert code == 2 and ("unknown model" in output or "owner/repo" in output), output
    assert hub.requests == [] and left_in(data_dir) == []


def test_no_network_is_one_clear_line(tmp_path: Path) -> None:
    """A real process: a refused connection ends with exit 1 and one line, no traceback."""
    closed = f"http://127.0.0.1:{free_port()}"
    env = {**os.environ, "SCRIBE_DATA_DIR": str(tmp_path), "LLM_MODEL_HUB_URL": closed}
    done = subprocess.run(
        [sys.executable, "-m", "infinite_scribe.cli", "model", "pull", KEY],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "cannot reach 127.0.0.1" in done.stderr and "network" in done.stderr
    assert done.stdout == ""
