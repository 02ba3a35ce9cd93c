"""A confirmed stage extends the codex (issue 76, DESIGN 6b'), pure: the cast of CHARACTERS as
people, the locations of WORLDVIEW as places, each with source `stage` and the confirming
event's id. What the codex already names keeps its entry and role: the writer's word is law,
a stage only adds what it newly named."""

from collections.abc import Iterator, Mapping
from typing import Any
from uuid import UUID

from infinite_scribe.domain.codex import HERO, RIVAL, Codex, CodexEntry, Kind
from shared_types.enums import GenesisStage

MAX_ENTRIES = 100
#: A card's role as the codex says it (the roles the guard holds generators to).
_ROLES = {"protagonist": HERO, "主角": HERO, "antagonist": RIVAL, "反派": RIVAL, "rival": RIVAL}


def extended(
    codex: Mapping[str, Any], stage: GenesisStage, data: Mapping[str, Any], event_id: UUID
) -> dict[str, Any] | None:
    """The codex with what the confirmed `data` of `stage` newly names; None: nothing new
    (or no codex read yet: the idea is read first, with the first proposal)."""
    if not codex:
        return None
    found = Codex.from_json(codex)
    entries = list(found.entries)
    for kind, name, said in _named(stage, data):
        if found.named(name) is not None or name in found.not_names or len(entries) >= MAX_ENTRIES:
            continue
        role: str | None = _ROLES.get(said.lower(), said) if said else None
        if role in (HERO, RIVAL) and any(e.role == role for e in entries):
            role = None  # the writer's hero stays the hero
        entries.append(CodexEntry(kind, name, role, source="stage", event_id=str(event_id)))
        found = found.with_entries(entries)
    if len(entries) == len(Codex.from_json(codex).entries):
        return None
    return found.as_json()


def _named(stage: GenesisStage, data: Mapping[str, Any]) -> Iterator[tuple[Kind, str, str]]:
    """(kind, name, role) of what the stage's data names."""
    where: dict[GenesisStage, tuple[str, Kind]] = {
        GenesisStage.CHARACTERS: ("characters", "person"),
        GenesisStage.WORLDVIEW: ("locations", "place"),
    }
    key, kind = where.get(stage, ("", "person"))
    items = data.get(key) if key else None
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            continue
        name = " ".join(item["name"].split())[:100]
        role = item.get("role") if kind == "person" else None
        if name:
            yield kind, name, " ".join(role.split())[:40] if isinstance(role, str) else ""
