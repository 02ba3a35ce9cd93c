"""What the offline generator knows about the writer's story: the facts read from their idea,
what they confirmed and their feedback, merged with the most recent word winning."""

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace


@dataclass(frozen=True)
class Facts:
    """The story's parts, each None (or empty) when nothing the writer gave names it.

    `hero` is a role without its article or measure word ("forensic doctor", "女法医");
    `event` is what happens to the hero, a clause that follows the hero ("discovers that ...",
    "发现……"); `acts` are (act number, what happens in it) the writer asked for.
    """

    hero: str | None = None
    hero_name: str | None = None
    place: str | None = None
    time: str | None = None
    event: str | None = None
    antagonist: str | None = None
    elements: tuple[str, ...] = ()
    acts: tuple[tuple[int, str], ...] = ()
    styles: tuple[str, ...] = ()
    places: tuple[str, ...] = ()  # every place named, `place` first

    @classmethod
    def told(
        cls,
        hero: str | None,
        name: str | None,
        places: Sequence[str],
        time: str | None,
        event: str | None,
    ) -> "Facts":
        """An idea's facts, the first of its places where the story is."""
        place = places[0] if places else None
        return cls(
            hero=hero, hero_name=name, place=place, places=tuple(places), time=time, event=event
        )

    def over(self, older: "Facts") -> "Facts":
        """These facts, `older`'s filling what these leave open (lists joined, these first)."""
        merged: dict[str, object] = {}
        for item in fields(self):
            mine, theirs = getattr(self, item.name), getattr(older, item.name)
            if isinstance(mine, tuple):
                merged[item.name] = _unique((*mine, *theirs))
            else:
                merged[item.name] = theirs if mine is None else mine
        return replace(self, **merged)  # type: ignore[arg-type]

    @property
    def story_changed(self) -> bool:
        """Whether these (feedback) facts change who, where, when, what happens or who
        stands against the hero."""
        parts = (self.hero, self.place, self.time, self.event, self.antagonist)
        return any(value is not None for value in parts)


def _unique(items: tuple[object, ...]) -> tuple[object, ...]:
    seen: list[object] = []
    for item in items:
        if item not in seen and not any(
            isinstance(item, str) and isinstance(s, str) and item in s for s in seen
        ):
            seen.append(item)
    return tuple(seen)


def cap(text: str) -> str:
    """`text` with its first letter a capital ("the vault" -> "The vault")."""
    return text[:1].upper() + text[1:]
