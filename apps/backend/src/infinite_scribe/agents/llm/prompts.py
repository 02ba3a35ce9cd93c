"""Render a stage's prompt from the files in `agents/prompts/` and a GenerationRequest.

Templates use `string.Template` placeholders (`${name}`): substitution never interprets the
values, so a writer's text containing `$` or braces cannot break or steer the template. The
writer's inputs and earlier stages go in as JSON blocks, which the system prompt tells the
model to treat as data.
"""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from string import Template
from typing import Any

import orjson

from infinite_scribe.agents.llm.language import LANGUAGE_NAMES, writer_language
from infinite_scribe.agents.llm.port import GenerationRequest
from infinite_scribe.domain.codex import Codex
from infinite_scribe.domain.genesis import STAGE_ORDER
from infinite_scribe.domain.outline_plan import BatchBrief
from infinite_scribe.domain.prompt_echoes import Echoes, echoes_of
from shared_types.enums import GenesisStage

_PACKAGE = "infinite_scribe.agents"
#: What of a codex entry a prompt names (its source and event are bookkeeping).
_CODEX_KEYS = ("kind", "name", "role", "words")


@dataclass(frozen=True, slots=True)
class RenderedPrompt:
    """The two chat messages sent to a model."""

    system: str
    user: str


@cache
def prompt_version() -> str:
    """A short digest of every template: changes whenever a prompt does (provenance)."""
    digest = hashlib.sha256()
    folder = files(_PACKAGE).joinpath("prompts")
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if entry.name.endswith(".md"):
            digest.update(entry.name.encode() + b"\0" + entry.read_bytes())
    return f"prompts-{digest.hexdigest()[:12]}"


@cache
def prompt_echoes() -> Echoes:
    """Every template's headings, labels and instructions: what the guard refuses a generator
    saying back (domain/prompt_echoes.py)."""
    folder = files(_PACKAGE).joinpath("prompts")
    templates = sorted(folder.iterdir(), key=lambda item: item.name)
    return echoes_of(t.read_text(encoding="utf-8") for t in templates if t.name.endswith(".md"))


@cache
def load_template(name: str) -> Template:
    """`prompts/<name>.md` from the installed package (cached; the files never change)."""
    text = files(_PACKAGE).joinpath("prompts", f"{name}.md").read_text(encoding="utf-8")
    return Template(text)


def _context(request: GenerationRequest) -> str:
    return load_template("context").substitute(
        confirmed_data=prompt_json(earlier_confirmed(request)),
        writer_input=prompt_json(writer_input(request)),
        language=LANGUAGE_NAMES[writer_language(request)],
    )


def codex_block(codex: Mapping[str, Any]) -> str:
    """The writer's codex as the prompt names it, fixed (issue 76): what stays the same across
    a session's calls, so it goes first, before the stage's request (an engine's prefix cache
    serves it); "" when there is none."""
    entries = [
        {key: value for key, value in entry.items() if key in _CODEX_KEYS and value}
        for entry in Codex.from_json(codex).as_json()["entries"]
    ]
    if not entries:
        return ""
    return load_template("codex").substitute(codex=prompt_json(entries)).strip() + "\n\n"


def render(request: GenerationRequest) -> RenderedPrompt:
    """The system and user messages for `request`'s stage (a revision adds its section)."""
    context = _context(request)
    if request.is_revision:
        context += "\n" + load_template("revision").substitute(
            previous_proposal=prompt_json(request.previous_proposal or {}),
            feedback=prompt_json(request.feedback),
        )
    if request.failed_checks:  # the guard's one retry (issue 76): last, after what stays the same
        context += "\n" + load_template("guard_retry").substitute(
            checks=prompt_json(list(request.failed_checks))
        )
    user = load_template(request.stage.value.lower()).substitute(context=context)
    user = codex_block(request.codex) + user.strip()
    return RenderedPrompt(system=load_template("system").template.strip(), user=user.strip())


def render_batch(request: GenerationRequest, brief: BatchBrief) -> RenderedPrompt:
    """The messages for one batch of a long outline's chapters (decision 5404): the stage's
    context, the acts and the chapters just before the batch."""
    batch = brief.batch
    user = load_template("outline_batch").substitute(
        total=brief.total,
        count=batch.count,
        act=batch.act + 1,
        first=batch.first,
        last=batch.first + batch.count - 1,
        acts=prompt_json(list(brief.acts)),
        recent=prompt_json(list(brief.recent)),
        context=_context(request),
    )
    user = codex_block(request.codex) + user.strip()
    return RenderedPrompt(system=load_template("system").template.strip(), user=user.strip())


def earlier_confirmed(request: GenerationRequest) -> dict[str, Any]:
    """The confirmed data of the stages before the request's, in stage order."""
    earlier = STAGE_ORDER[: STAGE_ORDER.index(request.stage)]
    return {
        stage.value: request.confirmed_data[stage.value]
        for stage in earlier
        if stage.value in request.confirmed_data
    }


def writer_input(request: GenerationRequest) -> dict[str, Any]:
    """What the writer asked for, leaving out what they did not say."""
    wishes: dict[str, Any] = {
        "idea": request.user_input,
        "themes": list(request.theme_preferences),
        "styles": list(request.style_preferences),
        "preferences": dict(request.preferences),
    }
    return {key: value for key, value in wishes.items() if value}


def prompt_json(value: Any) -> str:
    """A prompt's JSON block: indented, Chinese as it is (readable for the model, and half the
    tokens of escapes). orjson, not `json.dumps`: with an indent the standard encoder runs in
    Python (0.73 ms for a 26 KB context, 0.06 ms here, on the worker's loop for every draft), and
    the text is the same (every prompt of the unit tier compared)."""
    return orjson.dumps(value, default=str, option=_INDENTED).decode()


#: Dates and dataclasses go to `default=str` as `json.dumps` sent them (orjson writes its own form).
_INDENTED = (
    orjson.OPT_INDENT_2
    | orjson.OPT_NON_STR_KEYS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
)


#: Every stage that has a prompt file (FINISHED proposes nothing).
PROMPT_STAGES = tuple(stage for stage in STAGE_ORDER if stage is not GenesisStage.FINISHED)
