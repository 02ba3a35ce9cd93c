"""The writer's codex (issue 76, DESIGN 6b'): what the writer named, as data.

People (with a role and the words that describe them), places, times (a deadline among them)
and objects, each with where it came from. Read from the idea once, corrected by the writer's
structured edits, extended by confirmed stages; every generator is held to it by the guard.
Pure: no I/O. Stored as JSON (`as_json` / `from_json`) in the session's snapshot.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

Kind = Literal["person", "place", "time", "object"]
#: Where an entry came from: the idea, a feedback, a structured edit, a confirmed stage.
Source = Literal["idea", "feedback", "edit", "stage"]
#: The roles a person's entry may carry that the guard holds generators to.
HERO, RIVAL = "hero", "rival"
DEADLINE = "deadline"
#: A place's role when it is only said as where someone comes from ("from 上海", 上海来的): it
#: names them, it does not move the story there (no generator is held to put it in the world).
ORIGIN = "origin"


@dataclass(frozen=True)
class CodexEntry:
    """One named thing: `name` is kept verbatim by every generator."""

    kind: Kind
    name: str
    #: A person's role (`hero`, `rival`, `mentor`, ...), a time's (`deadline`); None: none.
    role: str | None = None
    #: The writer's words that describe it ("a pawnbroker's apprentice", "from 上海").
    words: tuple[str, ...] = ()
    source: Source = "idea"
    #: The event that established it (a confirmed stage, an edit); None for the idea's read.
    event_id: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "role": self.role,
            "words": list(self.words),
            "source": self.source,
            "event_id": self.event_id,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "CodexEntry":
        return cls(
            kind=data["kind"],
            name=str(data["name"]),
            role=data.get("role"),
            words=tuple(str(word) for word in data.get("words") or ()),
            source=data.get("source", "idea"),
            event_id=data.get("event_id"),
        )


@dataclass(frozen=True)
class Codex:
    """A session's codex: its entries in the order they were named, and the writer's
    language (`zh` or `en`)."""

    entries: tuple[CodexEntry, ...] = ()
    language: str = "en"
    #: Words the writer marked "not a name": never read as an entry again.
    not_names: tuple[str, ...] = field(default=())
    #: The writer's renames so far (first name -> name now): a generator reads the writer's
    #: own earlier words (the idea) with the names they have now.
    renames: Mapping[str, str] = field(default_factory=dict)

    def of_kind(self, kind: Kind) -> tuple[CodexEntry, ...]:
        return tuple(entry for entry in self.entries if entry.kind == kind)

    def with_role(self, role: str) -> CodexEntry | None:
        return next((entry for entry in self.entries if entry.role == role), None)

    @property
    def hero(self) -> CodexEntry | None:
        return self.with_role(HERO)

    @property
    def rival(self) -> CodexEntry | None:
        return self.with_role(RIVAL)

    def named(self, name: str) -> CodexEntry | None:
        return next((entry for entry in self.entries if entry.name == name), None)

    def with_entries(self, entries: Iterable[CodexEntry]) -> "Codex":
        return replace(self, entries=tuple(entries))

    def as_json(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "entries": [entry.as_json() for entry in self.entries],
            "not_names": list(self.not_names),
            "renames": dict(self.renames),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> "Codex":
        if not data:
            return cls()
        return cls(
            entries=tuple(CodexEntry.from_json(entry) for entry in data.get("entries") or ()),
            language=str(data.get("language") or "en"),
            not_names=tuple(str(word) for word in data.get("not_names") or ()),
            renames={str(k): str(v) for k, v in (data.get("renames") or {}).items()},
        )


def grown(
    codex: Mapping[str, Any],
    people: Mapping[str, tuple[str, ...]] | Iterable[str],
    event_id: str,
) -> Codex:
    """`codex` with the people a feedback named (issue 76), each an entry of source `feedback`
    that points at the feedback's event, with the words it describes them with (`people` a
    mapping); a name it has (or marked "not a name") is not added twice."""
    read = Codex.from_json(codex)
    known = {entry.name for entry in read.entries} | set(read.not_names)
    words = people if isinstance(people, Mapping) else {}
    added = [
        CodexEntry("person", name, words=words.get(name, ()), source="feedback", event_id=event_id)
        for name in dict.fromkeys(people)
        if name not in known
    ]
    return read.with_entries((*read.entries, *added)) if added else read
