"""Reading a model's JSON reply: a stage's proposal or a batch of outline chapters, validated
by the Pydantic models their schemas come from (agents/llm/replies.py); InvalidOutput else."""

import json
import re
from typing import Any

from pydantic import ValidationError

from infinite_scribe.agents.llm.port import GenerationRequest, InvalidOutput
from infinite_scribe.domain.proposals import (
    OutlineBatch,
    Proposal,
    ProposalSource,
    proposal_model,
)
from shared_types.enums import GenesisStage

# Some local models wrap JSON in a Markdown fence even in JSON mode; strip exactly that.
_FENCE = re.compile(r"^\s*```(?:json)?\s*\n(?P<body>.*)\n\s*```\s*$", re.DOTALL)


def applied_feedback(request: GenerationRequest) -> list[str]:
    """The feedback a revision has taken in: the previous proposal's, and this request's."""
    earlier = (request.previous_proposal or {}).get("feedback_applied")
    said = [text for text in earlier if isinstance(text, str)] if isinstance(earlier, list) else []
    return [text[:1000] for text in [*said, *filter(None, [request.feedback])]][-20:]


def truncated(text: str) -> bool:
    """Whether JSON text ends inside a string or with an object or array still open (one pass,
    no parse): what a reply cut off looks like, whatever the server said about it."""
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
    return in_string or depth > 0


def json_object(content: str) -> dict[str, Any]:
    """The JSON object a reply holds (a Markdown fence around it stripped)."""
    fenced = _FENCE.match(content)
    text = fenced.group("body") if fenced else content
    try:
        # A raw newline inside a string is a common slip of a model (and of a grammar that allows
        # it): the text is kept as written, the JSON read.
        data: Any = json.loads(text, strict=False)
    except ValueError as error:
        if truncated(text):
            # The server may say `stop` for a reply its proxy or its own limit cut (issue 55).
            raise InvalidOutput("the reply was cut off: its JSON ends before it closes") from error
        raise InvalidOutput(f"the reply is not JSON: {error}") from error
    if not isinstance(data, dict):
        raise InvalidOutput(f"the reply is JSON {type(data).__name__}, not an object")
    return data


def parse_batch(content: str) -> list[dict[str, Any]]:
    """A batch of outline chapters from a model's reply; InvalidOutput if it is not one."""
    try:
        batch = OutlineBatch.model_validate(json_object(content))
    except ValidationError as error:
        raise InvalidOutput(f"the reply is not a batch of outline chapters: {error}") from error
    return [chapter.model_dump(mode="json") for chapter in batch.chapters]


def parse_proposal(
    stage: GenesisStage, content: str, feedback_applied: list[str] | None = None
) -> Proposal:
    """Validate a model's reply as `stage`'s proposal; InvalidOutput if it is not one."""
    data = json_object(content)
    data.pop("source", None)  # the model does not get to claim it was offline (or anything)
    data.pop("revision_note", None)  # read from the diff, never the model's (decision 7602)
    stamped = {"source": ProposalSource.LLM, "feedback_applied": feedback_applied or []}
    try:
        return proposal_model(stage).model_validate(data | stamped)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or '(root)'}: {item['msg']}"
            for item in error.errors()[:5]
        )
        raise InvalidOutput(
            f"the reply is not a valid {stage.value} proposal: {problems}"
        ) from error
