"""The fake LLM server's answers on the wire (split from fake_llm.py, which serves them): a
valid proposal as the offline writer would write it, and OpenAI's completion and chunk shapes."""

import json
import re
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, uuid5

from infinite_scribe.agents.llm.language import CHINESE, LANGUAGE_NAMES
from infinite_scribe.agents.llm.offline import OfflineGenerator
from infinite_scribe.agents.llm.port import GenerationRequest
from infinite_scribe.domain.proposals import OUTLINE_BATCH_SCHEMA
from shared_types.enums import GenesisStage

if TYPE_CHECKING:
    from tests.support.fake_llm import Reply, SeenRequest

#: The model the fake says it is.
MODEL = "fake-model"
SCRIPTED_NOTE = "Scripted by the fake LLM server."


def _outline_batch(seen: "SeenRequest") -> str | None:
    """A batch of outline chapters when the request asks for one (decision 5404): the chapters
    the prompt names, as a model that follows it would write them."""
    if seen.schema_name != OUTLINE_BATCH_SCHEMA:
        return None
    asked = _ASKED_CHAPTERS.search(seen.prompt)
    first, last = (int(asked[1]), int(asked[2])) if asked else (1, 1)
    chapters = [
        {"title": f"Scripted chapter {n}", "summary": f"What happens in chapter {n}."}
        for n in range(first, last + 1)
    ]
    return json.dumps({"chapters": chapters})


_ASKED_CHAPTERS = re.compile(r"chapters (\d+) to (\d+) of the book")


async def _valid_content(seen: "SeenRequest") -> str:
    batch = _outline_batch(seen)
    if batch is not None:
        return batch
    stage = seen.stage or GenesisStage.CONCEPT_SELECTION
    session = uuid5(NAMESPACE_URL, seen.prompt)
    # Like a model, answer in the language the prompt asks for (agents/prompts/context.md).
    asks_chinese = LANGUAGE_NAMES[CHINESE] in seen.prompt
    request = GenerationRequest(
        session_id=session, stage=stage, preferences={"语言": "中文"} if asks_chinese else {}
    )
    proposal = await OfflineGenerator().generate(request)
    data = proposal.model_dump(mode="json", exclude={"source"}) | {"note": SCRIPTED_NOTE}
    return json.dumps(data, ensure_ascii=False)


#: Characters per token of the fake's tokenizer.
TOKEN_CHARACTERS = 4
#: Chunks a streamed reply is cut into.
STREAM_CHUNKS = 10


def _pieces(content: str, count: int) -> list[str]:
    size = max(-(-len(content) // count), 1)
    return [content[start : start + size] for start in range(0, len(content), size)] or [""]


def _chunk(body: Mapping[str, Any], delta: Mapping[str, Any], finish: str | None) -> bytes:
    chunk = {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": body.get("model", MODEL),
        "choices": [{"index": 0, "delta": dict(delta), "finish_reason": finish}],
    }
    return b"data: " + json.dumps(chunk, ensure_ascii=False).encode() + b"\n\n"


def _completion(body: Mapping[str, Any], content: str, reply: "Reply") -> dict[str, Any]:
    message = {"role": "assistant", "content": content, "refusal": reply.refusal}
    return {
        "id": f"chatcmpl-fake-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", MODEL),
        "choices": [
            {"index": 0, "message": message, "finish_reason": reply.finish_reason, "logprobs": None}
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
