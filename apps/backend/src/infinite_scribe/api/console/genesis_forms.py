"""What the writer's forms send: the command payloads built from the session's proposal and
the form fields. Pure functions, so the switch to `ConfirmStage.choice` (issue 19) is one edit
here (`confirm_payload`)."""

import copy
from collections.abc import Mapping
from typing import Any

from infinite_scribe.api.console.card_lists import arrange, grow, step_into
from infinite_scribe.domain.confirmation import options_of
from shared_types import GenesisStage

MAX_PREFERENCES = 20


def confirm_payload(
    stage: GenesisStage,
    proposal: Mapping[str, Any] | None,
    choice: int,
    fields: Mapping[str, list[str]] | None = None,
) -> dict[str, Any]:
    """ConfirmStage's payload for option `choice`: the server copies the chosen option of the
    current proposal into the confirmed data (DESIGN section 6), with the fields the writer
    edited on the page (`f:<path>` form fields) replacing the option's (issue 29)."""
    options = options_of(stage, proposal)
    if not 0 <= choice < len(options):
        raise IndexError(f"option {choice} is not in the current proposal")
    payload: dict[str, Any] = {"stage": stage.value, "choice": choice}
    option = options[choice]
    edited = edited_option(option, _of_option(fields or {}, choice))
    changed = {key: value for key, value in edited.items() if value != option.get(key)}
    if changed:
        payload["data"] = changed
    return payload


def edited_option(option: Mapping[str, Any], fields: Mapping[str, list[str]]) -> dict[str, Any]:
    """`option` with every text the form sent for one of its texts (`f:characters.0.name`);
    a list of texts comes as one line per item. Paths the option does not have are ignored:
    the writer edits the proposal's fields, the form cannot add others."""
    edited = copy.deepcopy(dict(option))
    grow(edited, fields)  # a blank card filled in: a new item to edit like the others
    for name, values in fields.items():
        if not name.startswith("f:") or not values:
            continue
        *parents, last = name[2:].split(".")
        holder: Any = edited
        for step in parents:
            holder = step_into(holder, step)
        key = int(last) if isinstance(holder, list) and last.isdigit() else last
        current = step_into(holder, last)
        if isinstance(current, str):
            holder[key] = values[-1].strip()
        elif isinstance(current, list) and all(isinstance(item, str) for item in current):
            holder[key] = [line.strip() for line in values[-1].splitlines() if line.strip()]
    arrange(edited, fields)  # moved and removed cards (issue 38)
    return edited


def _of_option(fields: Mapping[str, list[str]], choice: int) -> dict[str, list[str]]:
    """The form's fields for option `choice`: each concept's own (`f2:title` for the third;
    issue 38: concepts are edited before one is chosen), with the single proposal's (`f:`)."""
    own = f"f{choice}:"
    chosen = {
        f"f:{name[len(own) :]}": values for name, values in fields.items() if name.startswith(own)
    }
    return {name: values for name, values in fields.items() if not _is_option_field(name)} | chosen


def _is_option_field(name: str) -> bool:
    head, colon, _ = name.partition(":")
    return bool(colon) and head[:1] == "f" and head[1:].isdigit()


def split_list(text: str | None) -> list[str]:
    """ "科幻, 悬疑" / one per line -> ["科幻", "悬疑"] (bounded like the command's lists)."""
    if not text:
        return []
    parts = [part.strip() for line in text.splitlines() for part in line.split(",")]
    return [part[:200] for part in parts if part][:MAX_PREFERENCES]


def request_command(
    stage: GenesisStage, themes: str | None, styles: str | None, text: str | None
) -> tuple[str, dict[str, Any]]:
    """The command that asks the agents for the current stage's proposal."""
    theme_list, style_list = split_list(themes), split_list(styles)
    if stage is GenesisStage.CONCEPT_SELECTION:
        payload: dict[str, Any] = {
            "theme_preferences": theme_list,
            "style_preferences": style_list,
        }
        if text:
            payload["user_input"] = text
        return "RequestConceptGeneration", payload
    preferences: dict[str, Any] = {}
    if theme_list:
        preferences["themes"] = theme_list
    if style_list:
        preferences["styles"] = style_list
    if text:
        preferences["notes"] = text
    return "RequestStageGeneration", {"stage": stage.value, "preferences": preferences}
