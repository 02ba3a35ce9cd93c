"""Genesis commands: the payload model of each command type (validated at the API edge)."""

import re
from typing import Annotated, Any, ClassVar, Literal, Self
from uuid import UUID, uuid4

import orjson
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
)

from infinite_scribe.domain.codex import Kind
from infinite_scribe.domain.json_text import has_digit_run, nested_deeper, without_strings
from shared_types.enums import GenesisStage

MAX_TEXT = 10_000
MAX_DEPTH = 32
_INT64 = (-(2**63), 2**63 - 1)


def storable_json(value: Any) -> Any:
    """Refuse what PostgreSQL JSONB or the encoder cannot take (NUL characters, integers
    beyond 64 bits, absurd nesting), so such input is a 422 instead of a database error.

    Checked on orjson's text in C (a walk in Python was ~50 ms for 19,800 values, on the
    loop: issue 49); anything the text cannot clear (an encoding error, a `\\u0000`, a run
    of 19 digits, nesting past the limit) is walked for the exact verdict."""
    try:
        text = orjson.dumps(value)
    except (orjson.JSONEncodeError, TypeError):
        return _walked(value)
    structure = without_strings(text)
    if b"\\u0000" in text or has_digit_run(structure, 19) or nested_deeper(structure, MAX_DEPTH):
        return _walked(value)
    return value


def _walked(value: Any, depth: int = 0) -> Any:
    if depth > MAX_DEPTH:
        raise ValueError(f"JSON nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text must not contain NUL characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:
            raise ValueError("text must be valid Unicode (no lone surrogates)") from error
    elif isinstance(value, bool):
        pass
    elif isinstance(value, int):
        if not _INT64[0] <= value <= _INT64[1]:
            raise ValueError("integers must fit in 64 bits")
    elif isinstance(value, dict):
        for key, item in value.items():
            _walked(key, depth + 1)
            _walked(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _walked(item, depth + 1)
    return value


def _text_only(value: Any) -> Any:
    """An enum's name must be text: anything else is refused here, before the enum is asked
    (Python's Enum builds its error from the value's repr: ~70 ms for a list of 19,800 large
    numbers, twice per request, on the loop: issue 49)."""
    if not isinstance(value, str):
        raise ValueError("must be one of the names as a string")
    return value


#: A stage's name in a command (its enum, refused cheaply when not text).
StageName = Annotated[GenesisStage, BeforeValidator(_text_only)]

#: A JSON object / text that PostgreSQL can store as given.
JsonObject = Annotated[dict[str, Any], AfterValidator(storable_json)]
Text = Annotated[str, AfterValidator(storable_json)]


class CommandPayload(BaseModel):
    """Base of every payload: unknown fields are refused so typos never pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: 202 + RECEIVED (an agent finishes it later) or 200 + COMPLETED in the same transaction.
    is_async: ClassVar[bool] = True


#: One theme or style the writer asks for ("科幻", "第一人称").
Preference = Annotated[Text, Field(min_length=1, max_length=200)]
MAX_PREFERENCES = 20


class RequestConceptGeneration(CommandPayload):
    user_input: Text | None = Field(default=None, max_length=MAX_TEXT)
    preferences: JsonObject = Field(default_factory=dict)
    # The request shape of the Story 2.2 example (spec/story-2.2-summary.zh.md).
    theme_preferences: list[Preference] = Field(default_factory=list, max_length=MAX_PREFERENCES)
    style_preferences: list[Preference] = Field(default_factory=list, max_length=MAX_PREFERENCES)


class RequestStageGeneration(CommandPayload):
    #: Optional guard: when given it must name the current stage.
    stage: StageName | None = None
    preferences: JsonObject = Field(default_factory=dict)


class SubmitFeedback(CommandPayload):
    feedback: Text = Field(min_length=1, max_length=MAX_TEXT)
    details: JsonObject = Field(default_factory=dict)


class ConfirmStage(CommandPayload):
    """Confirm the current stage: name the chosen option of its proposal (`choice`, 0-based;
    the concepts of CONCEPT_SELECTION, the one proposal of the other stages) and optionally
    edit its fields (`data`), or confirm `data` as given. One of the two is required."""

    is_async: ClassVar[bool] = False

    stage: StageName
    #: The index of the chosen option in the stage's current proposal.
    choice: int | None = Field(default=None, ge=0, le=100)
    #: With `choice`: fields that replace the chosen option's; alone: the confirmed data.
    data: JsonObject | None = None
    #: Optional guard: the session `version` the writer saw (another: 409 VERSION_CONFLICT).
    expected_version: int | None = Field(default=None, ge=0, le=2**31 - 1)


class _Resolved(CommandPayload):
    """A command about one event of the session's log (`event_id`), which the application
    resolves from the log before it decides (decide stays pure: it reads no log)."""

    event_id: UUID
    #: What the application resolved (None: not an event the command may name). Private:
    #: never read from a request.
    _target: Any = PrivateAttr(default=None)

    @property
    def target(self) -> Any:
        return self._target

    def resolved(self, target: Any) -> Self:
        copy = self.model_copy()
        copy._target = target
        return copy


class RollbackToVersion(_Resolved):
    """Go back to a version of the session (an `event_id` of its history): its stage, confirmed
    data and proposal become what they were right after that event, as a new event. Its target
    is a genesis.VersionTarget."""

    is_async: ClassVar[bool] = False

    #: Optional guard: the session `version` the writer saw (another: 409 VERSION_CONFLICT).
    expected_version: int | None = Field(default=None, ge=0, le=2**31 - 1)


#: A model's name as the worker knows it: "offline", or the configured model's.
ModelName = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[\w.:/@+-]+$")]


class RegenerateProposal(_Resolved):
    """Generate a proposal of the current stage again (the proposal `event_id` of its history)
    from the same recorded inputs with another `model` (issue 55); the new proposal is a new
    version, the old one stays in the history and can be kept by rolling back to it. Its
    target is the proposal's recorded inputs (ports.writes.ProposalInput)."""

    model: ModelName


class AbandonSession(CommandPayload):
    is_async: ClassVar[bool] = False

    reason: Text | None = Field(default=None, max_length=MAX_TEXT)


class CancelGeneration(CommandPayload):
    """Stop the generation the agents are writing (the running request of any kind): its task
    is CANCELLED, the model call stopped, no proposal lands; 409 when none is running."""

    is_async: ClassVar[bool] = False

    reason: Text | None = Field(default=None, max_length=1000)


# The writer's structured edits of the codex (issue 76, DESIGN 6b').
MAX_EDITS = 20
MAX_WORDS = 8
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _clean(value: str) -> str:
    """A name as it is kept: trimmed, one line, no control characters."""
    value = " ".join(value.split())
    if not value:
        raise ValueError("must not be blank")
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


#: A name as the writer wrote it (kept verbatim by every generator).
Name = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_clean)]
#: A role: a short word (`hero`, `rival`, `mentor`, `deadline`, ...).
Role = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[\w -]+$")]
Words = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_clean)]


class Rename(CommandPayload):
    op: Literal["rename"]
    name: Name
    to: Name


class SetRole(CommandPayload):
    op: Literal["set_role"]
    name: Name
    #: None: the entry keeps no role.
    role: Role | None


class Add(CommandPayload):
    op: Literal["add"]
    kind: Kind
    name: Name
    role: Role | None = None
    words: list[Words] = Field(default_factory=list, max_length=MAX_WORDS)


class Remove(CommandPayload):
    op: Literal["remove"]
    name: Name


class NotAName(CommandPayload):
    op: Literal["not_a_name"]
    name: Name


_EDIT_OPS = frozenset({"rename", "set_role", "add", "remove", "not_a_name"})


def _edit_op(value: Any) -> str | None:
    """An edit's `op` when it is one we know, else None: pydantic's own discriminator echoes
    an unknown tag in its message, and a hostile `op` (50,000 long floats) made that message
    1.25 MB and held the API's loop 340 ms (the hostile-input walk, seen at the merge)."""
    op = value.get("op") if isinstance(value, dict) else getattr(value, "op", None)
    return op if isinstance(op, str) and op in _EDIT_OPS else None


Edit = Annotated[
    Annotated[Rename, Tag("rename")]
    | Annotated[SetRole, Tag("set_role")]
    | Annotated[Add, Tag("add")]
    | Annotated[Remove, Tag("remove")]
    | Annotated[NotAName, Tag("not_a_name")],
    Discriminator(_edit_op),
]


class EditCodex(CommandPayload):
    """Correct the codex: `edits` applied in order, all or none; allowed when no generation
    is running. A rename renames the name everywhere in the confirmed stages and the current
    proposal; nothing else changes."""

    is_async: ClassVar[bool] = False

    edits: list[Edit] = Field(min_length=1, max_length=MAX_EDITS)
    #: Optional guard: the session `version` the writer saw (another: 409 VERSION_CONFLICT).
    expected_version: int | None = Field(default=None, ge=0, le=2**31 - 1)


def by_type(*models: type[CommandPayload]) -> dict[str, type[CommandPayload]]:
    """command_type -> payload model: each model is the payload of the command named as it."""
    return {model.__name__: model for model in models}


#: command_type -> payload model; the application registry is built from this table.
PAYLOAD_MODELS = by_type(
    RequestConceptGeneration,
    RequestStageGeneration,
    SubmitFeedback,
    ConfirmStage,
    AbandonSession,
    RollbackToVersion,
    CancelGeneration,
    RegenerateProposal,
    EditCodex,
)


class CommandIds(BaseModel):
    """Ids the application mints for decide (keeps decide deterministic and pure)."""

    model_config = ConfigDict(frozen=True)

    command_id: UUID
    novel_id: UUID
    #: The id of the event a codex entry points at (an edit's, a confirmed stage's).
    event_id: UUID = Field(default_factory=uuid4)
