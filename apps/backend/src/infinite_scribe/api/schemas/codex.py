"""The writer's codex as the API shows it (issue 76): what the writer named, each entry with
its role and where it came from; corrected with the `EditCodex` command."""

from collections.abc import Mapping
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field


class CodexEntryOut(BaseModel):
    kind: Literal["person", "place", "time", "object"]
    #: Kept verbatim by every generator.
    name: str
    #: `hero`, `rival` (people), `deadline` (times), `origin` (a place someone comes from), or
    #: another the writer set; null: none.
    role: str | None = None
    #: The writer's words that describe it.
    words: list[str] = Field(default_factory=list)
    #: Where it came from: the idea, a feedback, a structured edit, a confirmed stage.
    source: Literal["idea", "feedback", "edit", "stage"]
    #: The event that established it (an edit, a confirmed stage); null for the idea's read.
    event_id: UUID | None = None


class CodexOut(BaseModel):
    #: The writer's language (`zh` or `en`).
    language: str
    entries: list[CodexEntryOut]
    #: Words the writer marked "not a name": never read as an entry again.
    not_names: list[str] = Field(default_factory=list)
    #: The writer's renames so far: each first name -> the name now.
    renames: dict[str, str] = Field(default_factory=dict)

    @classmethod
    def of(cls, codex: Mapping[str, Any]) -> "CodexOut | None":
        """None: not read yet (it is read from the idea with the first proposal)."""
        return cls.model_validate(dict(codex)) if codex else None
