"""README's curl walk runs as written: the block between `<!-- readme-walk -->` markers, in
bash with curl and python3, against the API with the relay, the broker and an agent worker
(the offline generator, the default everybody sees first)."""

import asyncio
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import asyncpg
import pytest

from infinite_scribe.settings.settings import Settings
from tests.conftest import make_token
from tests.support.agent_stack import agent_stack, stack_settings

pytestmark = [
    pytest.mark.kafka,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed"),
]

README = Path(__file__).resolve().parents[5] / "README.md"
BLOCK = re.compile(r"<!-- readme-walk -->\s*```bash\n(.*?)```\s*<!-- /readme-walk -->", re.S)
HAN = re.compile(r"[\u4e00-\u9fff]")


def walk_script() -> str:
    found = BLOCK.search(README.read_text(encoding="utf-8"))
    assert found, "README has no readme-walk block"
    return found.group(1)


async def test_the_readme_walk_runs_to_a_novel(settings: Settings, clean_db: asyncpg.Pool) -> None:
    config = stack_settings(settings)
    user = uuid.uuid4()
    async with agent_stack(config) as server:
        environment = {
            "API": server.url,
            "TOKEN": make_token(config, user),
            "PATH": "/usr/bin:/bin",
        }
        result = await asyncio.to_thread(
            subprocess.run,
            ["bash", "-euo", "pipefail", "-c", walk_script()],
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    output = result.stdout
    novel = await clean_db.fetchrow("SELECT * FROM novels WHERE user_id = $1", user)
    assert novel is not None and novel["target_chapters"] > 0
    session = await clean_db.fetchrow("SELECT * FROM genesis_sessions WHERE user_id = $1", user)
    confirmed = session["confirmed_data"]
    assert novel["outline"] == confirmed["PLOT_OUTLINE"] and "source" not in novel["outline"]
    assert f"# {novel['title']}\n" in output and "## 情节大纲" in output  # in the book's language
    assert HAN.search(novel["title"]) and HAN.search(novel["logline"])
    assert output.count('"status":"COMPLETED"') == 5  # five stages confirmed
