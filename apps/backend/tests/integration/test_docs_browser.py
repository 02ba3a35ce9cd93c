"""/docs in a real browser with no network but loopback: headless Chromium must render Swagger
UI (operations, the Authorize button) from the API's own assets. Skips without Chromium
(`apt-get install chromium`). SCRIBE_DOCS_SCREENSHOT=<path> also saves a screenshot there."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import LiveServer

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")
BROWSER = next((path for name in BROWSERS if (path := shutil.which(name))), None)

pytestmark = pytest.mark.skipif(
    BROWSER is None, reason="no Chromium on this machine (apt-get install -y chromium)"
)


def chromium(user_dir: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    assert BROWSER is not None
    command = [
        BROWSER,
        "--headless",
        "--no-sandbox",  # tests may run as root, where the sandbox refuses to start
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        f"--user-data-dir={user_dir}",
        # Network limited to loopback: every other name fails to resolve and every other
        # connection goes to a proxy nobody listens on.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--proxy-server=http://127.0.0.1:9",
        "--proxy-bypass-list=127.0.0.1",
        # Let the page's scripts fetch /openapi.json and render before the DOM is taken.
        "--virtual-time-budget=15000",
        "--window-size=1280,1800",
        *arguments,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)


@pytest.mark.slow
def test_docs_render_in_headless_chromium_without_internet(
    live_server: LiveServer, tmp_path: Path
) -> None:
    result = chromium(tmp_path / "profile", "--dump-dom", f"{live_server.url}/docs")
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    assert 'class="swagger-ui' in dom, dom[:2000]
    assert "InfiniteScribe backend" in dom  # the title from /openapi.json
    assert "btn authorize" in dom  # the bearer scheme's Authorize button
    for operation in ("send_command", "create_session", "list_sessions", "get_novel"):
        assert operation in dom, operation  # displayOperationId shows the ids

    screenshot = tmp_path / "docs.png"
    shot = chromium(tmp_path / "profile", f"--screenshot={screenshot}", f"{live_server.url}/docs")
    assert shot.returncode == 0 and screenshot.stat().st_size > 10_000, shot.stderr[-2000:]
    target = os.environ.get("SCRIBE_DOCS_SCREENSHOT")
    if target:
        shutil.copyfile(screenshot, target)


@pytest.mark.slow
def test_redoc_renders_in_headless_chromium_without_internet(
    live_server: LiveServer, tmp_path: Path
) -> None:
    result = chromium(tmp_path / "profile", "--dump-dom", f"{live_server.url}/redoc")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "InfiniteScribe backend" in result.stdout
    assert "send_command" in result.stdout or "Send Command" in result.stdout
