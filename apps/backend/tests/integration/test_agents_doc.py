"""docs/agents.md's "A local OpenAI-compatible server, step by step", run against a fake server
that speaks the protocol (issue 55): step 2's shell block as written (its `BASE` pointed at the
fake), and step 3's settings as written (the URL the fake's) building the worker's provider,
whose proposal comes back from the server with the model the doc names."""

import os
import re
import shutil
import subprocess
import uuid

import pytest

from infinite_scribe.agents.llm.factory import build_provider
from infinite_scribe.agents.llm.port import GenerationRequest
from infinite_scribe.settings.settings import Settings
from shared_types.enums import GenesisStage
from tests.support.fake_llm import FakeLLMServer
from tests.support.paths import REPO

DOC = (REPO / "docs" / "agents.md").read_text(encoding="utf-8")
_STEP = r"{title}.*?```bash\n(.*?)```"


def _block(title: str) -> str:
    found = re.search(_STEP.format(title=re.escape(title)), DOC, re.S)
    assert found is not None, title
    return found.group(1)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_step_two_reaches_the_server() -> None:
    with FakeLLMServer() as llm:
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", _block("**Check it answers**")],
            env={"PATH": os.environ["PATH"], "BASE": f"{llm.base_url}"},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert f'"id":"{llm.MODEL}"' in done.stdout.replace(" ", "")
        assert '"choices"' in done.stdout
        assert llm.requests[-1].body["model"] == "qwen2.5:7b-instruct"


async def test_step_three_settings_reach_the_model(settings: Settings) -> None:
    given = dict(re.findall(r"^\s*(LLM_[A-Z_]+)=(\S+)", _block("**Point `make run` at it**"), re.M))
    assert given["LLM_PROVIDER"] == "openai" and given["LLM_MODEL"]
    with FakeLLMServer() as llm:
        fields = {key.lower(): value for key, value in given.items()}
        fields["llm_base_url"] = llm.base_url
        provider = build_provider(Settings.model_validate(settings.model_dump() | fields))
        request = GenerationRequest(uuid.uuid4(), GenesisStage.CONCEPT_SELECTION, user_input="a")
        proposal = await provider.generate(request)
        await provider.aclose()
        assert proposal.concepts and llm.requests[-1].body["model"] == given["LLM_MODEL"]
