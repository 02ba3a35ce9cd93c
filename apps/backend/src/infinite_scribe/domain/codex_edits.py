"""The writer's structured edits of the codex applied (issue 76, DESIGN 6b'), pure.

The command (`commands.EditCodex`) is checked for shape by pydantic (a 422 at the edge); what
an edit names is checked here against the codex when the command is decided (`InvalidEdit`, a
422 that changes nothing).
"""

from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from uuid import UUID

from infinite_scribe.domain.codex import HERO, RIVAL, Codex, CodexEntry
from infinite_scribe.domain.commands import Add, EditCodex, NotAName, Rename, SetRole
from infinite_scribe.domain.errors import InvalidEdit, InvalidState
from infinite_scribe.domain.renaming import renamed_everywhere

MAX_ENTRIES = 100
#: Roles only one entry holds: setting one on a person takes it from whoever held it.
SINGLE_ROLES = frozenset({HERO, RIVAL})


def codex_edited(codex: Mapping[str, Any], command: EditCodex, event_id: UUID) -> dict[str, Any]:
    """The CodexUpdated payload of the writer's edits: the codex after them, the edits as
    given, and the renames they make (which `codex_fields` makes everywhere)."""
    if not codex:
        raise InvalidState("The codex is read from the idea with the first proposal")
    after, renames = edited(Codex.from_json(codex), list(command.edits), str(event_id))
    edits = [edit.model_dump(mode="json") for edit in command.edits]
    return {"source": "edit", "codex": after.as_json(), "edits": edits, "renames": renames}


def codex_fields(
    payload: Mapping[str, Any], confirmed: Mapping[str, Any], last: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The session's fields a CodexUpdated event sets: the codex it carries, and its renames
    made everywhere in the confirmed stages and the proposal (every stage's fields, the
    outline) and nowhere else."""
    renames = payload.get("renames") or {}
    renamed = None if last is None else renamed_everywhere(dict(last), renames)
    if renamed is not None and last is not None and "revision_note" in last:
        # The note says what the revision did, in the names it had then (a true note).
        renamed["revision_note"] = last["revision_note"]
    return {
        "codex": dict(payload.get("codex") or {}),
        "confirmed_data": renamed_everywhere(dict(confirmed), renames),
        "last_result": renamed,
    }


def edited(codex: Codex, edits: list[Any], event_id: str) -> tuple[Codex, dict[str, str]]:
    """`codex` with `edits` applied in order, and the renames they make (old -> new name);
    InvalidEdit when an edit names no entry or would make a name twice."""
    renames: dict[str, str] = {}
    for edit in edits:
        codex = _one(codex, edit, event_id, renames)
    if len(codex.entries) > MAX_ENTRIES:
        raise InvalidEdit(f"A codex holds at most {MAX_ENTRIES} entries")
    made = {old: new for old, new in renames.items() if old != new}
    return replace(codex, renames=_since_first(codex.renames, made)), made


def _since_first(before: Mapping[str, str], made: Mapping[str, str]) -> dict[str, str]:
    """The renames from each first name to the name now (`before`, then `made`); a name
    renamed back to its first is no rename. Bounded like the codex: the latest kept."""
    after = {first: made.get(now, now) for first, now in before.items()}
    after |= {old: new for old, new in made.items() if old not in before.values()}
    kept = {first: now for first, now in after.items() if first != now}
    return dict(list(kept.items())[-MAX_ENTRIES:])


def _one(codex: Codex, edit: Any, event_id: str, renames: dict[str, str]) -> Codex:
    if isinstance(edit, Add):
        if codex.named(edit.name) is not None:
            raise InvalidEdit(f"The codex already names {edit.name!r}")
        entry = CodexEntry(
            edit.kind, edit.name, edit.role, tuple(edit.words), source="edit", event_id=event_id
        )
        kept = _without_role(codex.entries, edit.role)
        not_names = tuple(word for word in codex.not_names if word != edit.name)
        return replace(codex, entries=(*kept, entry), not_names=not_names)
    named = codex.named(edit.name)
    if named is None:
        raise InvalidEdit(f"The codex names no {edit.name!r}")
    entry = named
    if isinstance(edit, Rename):
        if edit.to != edit.name and codex.named(edit.to) is not None:
            raise InvalidEdit(f"The codex already names {edit.to!r}")
        # Renamed twice in one command: from its first name to its last.
        origin = next((old for old, new in renames.items() if new == edit.name), edit.name)
        renames[origin] = edit.to
        changed = CodexEntry(
            entry.kind, edit.to, entry.role, entry.words, source="edit", event_id=event_id
        )
        return _replaced(codex, entry, changed)
    if isinstance(edit, SetRole):
        changed = CodexEntry(
            entry.kind, entry.name, edit.role, entry.words, source="edit", event_id=event_id
        )
        others = _without_role(codex.entries, edit.role)
        return _replaced(codex.with_entries(others), entry, changed)
    gone = tuple(e for e in codex.entries if e.name != edit.name)
    if isinstance(edit, NotAName):
        return replace(codex, entries=gone, not_names=(*codex.not_names, edit.name))
    return codex.with_entries(gone)


def _replaced(codex: Codex, old: CodexEntry, new: CodexEntry) -> Codex:
    return codex.with_entries(new if e.name == old.name else e for e in codex.entries)


def _without_role(entries: tuple[CodexEntry, ...], role: str | None) -> tuple[CodexEntry, ...]:
    """`entries` with a single role (`hero`, `rival`) taken from whoever held it."""
    if role not in SINGLE_ROLES:
        return entries
    return tuple(
        CodexEntry(e.kind, e.name, None, e.words, e.source, e.event_id) if e.role == role else e
        for e in entries
    )
