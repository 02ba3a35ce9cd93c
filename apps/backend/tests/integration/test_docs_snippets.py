"""Docs that run (issue 56): every shell block marked `<!-- runnable -->` in README.md and docs/
runs as written, in bash -euo pipefail from a directory outside the repository, against a
started API. A stream snippet stops after STREAM_SECONDS (curl's exit 28 is how it ends)."""

import os
import re
import shutil
import signal
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from infinite_scribe.persistence import migrate
from infinite_scribe.settings.settings import Settings
from tests.conftest import TEST_JWT_SECRET, LiveServer, make_token
from tests.support.paths import REPO

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")

RUNNABLE = re.compile(r"<!-- runnable -->\s*```bash\n(.*?)```", re.S)
DOCS = sorted([REPO / "README.md", *(REPO / "docs").rglob("*.md")])
SNIPPETS = [
    (f"{path.relative_to(REPO)}#{number}", block.group(1))
    for path in DOCS
    for number, block in enumerate(RUNNABLE.finditer(path.read_text(encoding="utf-8")), 1)
]
CURL_TIMED_OUT = 28
#: How long a stream snippet may wait for the first domain event before curl stops it.
STREAM_WAIT_SECONDS = 60


def environment(**values: str) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "STREAM_SECONDS": "3", **values}


def run(script: str, cwd: Path, **values: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        env=environment(**values),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def run_while_commanding(script: str, cwd: Path, api: str, token: str, session: str) -> str:
    """Runs `script`; once its stream is open, sends the session a command (its events are
    what the stream must show) and reads until a domain event arrives (then stops the script:
    how long the relay takes under load is not the snippet's concern). Returns stdout."""
    process = subprocess.Popen(
        ["bash", "-euo", "pipefail", "-c", script],
        env=environment(API=api, TOKEN=token, STREAM_SECONDS=str(STREAM_WAIT_SECONDS)),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # curl goes with bash when the stream is stopped
    )
    assert process.stdout is not None
    lines = [process.stdout.readline()]
    if lines[0].startswith(": stream open"):
        command = {"command_type": "RequestConceptGeneration", "payload": {}}
        sent = httpx.post(
            f"{api}/api/v1/genesis/sessions/{session}/commands",
            json=command,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert sent.status_code == 202, sent.text
        while lines[-1] and lines[-1] != "event: domain_event\n":
            lines.append(process.stdout.readline())  # curl's own time limit ends a silent one
        os.killpg(process.pid, signal.SIGTERM)
    rest, errors = process.communicate(timeout=120)
    assert process.returncode in (0, CURL_TIMED_OUT, -signal.SIGTERM), (lines, rest, errors)
    assert "Traceback" not in errors, errors
    return "".join(lines) + rest


def test_the_docs_mark_snippets_runnable() -> None:
    assert any(name.startswith("README.md#") for name, _ in SNIPPETS)


@pytest.fixture(scope="module")
def snippet_server(fresh_database: Callable[[], str]) -> Iterator[LiveServer]:
    """An API on a database of its own: in the full suite the shared database's live stream
    went 60 s without a domain event (other tests' writers share its event horizon)."""
    url = fresh_database()
    migrate.upgrade(url)
    own = Settings(database_url=url, jwt_secret_key=TEST_JWT_SECRET)  # type: ignore[arg-type]
    with LiveServer(own) as server:
        yield server


@pytest.mark.parametrize(("name", "script"), SNIPPETS, ids=[name for name, _ in SNIPPETS])
def test_a_runnable_snippet_runs_against_the_api(
    name: str, script: str, settings: Settings, snippet_server: LiveServer, tmp_path: Path
) -> None:
    live_server = snippet_server
    token = make_token(settings, uuid.uuid4())
    headers = {"Authorization": f"Bearer {token}"}
    created = httpx.post(f"{live_server.url}/api/v1/genesis/sessions", headers=headers)
    assert created.status_code == 201, created.text
    session = created.json()["session_id"]
    output = run_while_commanding(script, tmp_path, live_server.url, token, session)
    if "stream-tickets" in script:
        assert output.startswith(": stream open") and "event: domain_event" in output, output


def stream_snippet() -> str:
    return next(script for _, script in SNIPPETS if "stream-tickets" in script)


def test_outside_the_repository_without_a_token_it_says_so(
    live_server: LiveServer, tmp_path: Path
) -> None:
    # Seen on 5af61bc: a relative .venv/bin/scribe made no token, then `KeyError: 'stream_url'`.
    result = run(stream_snippet(), tmp_path, API=live_server.url)
    assert result.returncode != 0
    assert "run this from the repository root, or set TOKEN" in result.stderr
    assert "Traceback" not in result.stderr and "KeyError" not in result.stderr


def test_a_refused_token_prints_the_servers_message(
    live_server: LiveServer, tmp_path: Path
) -> None:
    result = run(stream_snippet(), tmp_path, API=live_server.url, TOKEN="not-a-jwt")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "token" in result.stderr.lower(), result.stderr


def test_no_session_yet_is_said_not_a_traceback(
    settings: Settings, live_server: LiveServer, tmp_path: Path
) -> None:
    token = make_token(settings, uuid.uuid4())
    result = run(stream_snippet(), tmp_path, API=live_server.url, TOKEN=token)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and "nothing at" in result.stderr, result.stderr
