"""What the tests read of the schemas the project sends a model: every reply's schema, and the
schema a request body carries in whatever form it was sent (agents/llm/schema_forms.py)."""

from collections.abc import Mapping
from typing import Any

from infinite_scribe.agents.llm.replies import (
    beats_reply,
    outline_batch_reply,
    review_reply,
    stage_reply,
)
from infinite_scribe.agents.llm.schema_forms import Structured
from infinite_scribe.domain.proposals import PROPOSAL_MODELS


def every_reply() -> list[Structured]:
    """Every schema the project sends a model (the engine test compiles each one)."""
    stages = [stage_reply(stage) for stage in PROPOSAL_MODELS]
    return [*stages, outline_batch_reply(), beats_reply(), review_reply()]


def sent_schema(body: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The schema a request body carries in any form (None: none)."""
    response_format = body.get("response_format")
    if isinstance(response_format, Mapping):
        inner = response_format.get("json_schema")
        if isinstance(inner, Mapping) and isinstance(inner.get("schema"), Mapping):
            return inner["schema"]
        if isinstance(response_format.get("schema"), Mapping):
            return response_format["schema"]
    schema = body.get("format")
    return schema if isinstance(schema, Mapping) else None
