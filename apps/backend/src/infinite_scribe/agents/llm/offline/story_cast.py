"""The cast of the offline writer's story (`story.Story.cast`): names drawn from the bank, and
the names the confirmed character cards give by role."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from infinite_scribe.agents.llm.offline.codex_named import kindred
from infinite_scribe.agents.llm.offline.words import CHINESE, ENGLISH


@dataclass(frozen=True)
class Cast:
    """Who is in the story: the confirmed cast's names, else names chosen once per session."""

    name: str
    foe_name: str
    mentor: str
    ally: str


def bank_names(order: Sequence[str], given: Sequence[str]) -> list[str]:
    """Four names of the bank in the session's `order`, without what would pass for a name the
    writer `given` (filtered after the draw: a new name in a feedback moves no other name)."""
    pool = [n for n in order if not any(kindred(n, g) for g in given)]
    return (pool + [n for n in order if n not in pool and n not in given] + list(order))[:4]


def carded(names: list[str], cards: Any, roles: Sequence[str], foe_renamed: bool) -> list[str]:
    """`names` (hero, foe, mentor, ally) with those the confirmed `cards` give each role, the
    foe's kept when a feedback renamed the antagonist."""
    if not isinstance(cards, list):
        return names
    cards = [c for c in cards if isinstance(c, Mapping) and isinstance(c.get("name"), str)]
    for index, role in enumerate(roles):
        card = _card(cards, role, index)
        if card is not None and not (index == 1 and foe_renamed):
            names[index] = str(card["name"])[:200]
    return names


def _card(cards: Sequence[Mapping[str, Any]], role: str, index: int) -> Mapping[str, Any] | None:
    """The card with `role` (主角 / protagonist, ...), else the card at the role's index."""
    for card in cards:
        if str(card.get("role", "")).strip().lower() in (role, _ROLE_ALIASES.get(role, role)):
            return card
    return cards[index] if index < len(cards) else None


_ROLE_ALIASES = dict(zip(ENGLISH.roles + CHINESE.roles, CHINESE.roles + ENGLISH.roles, strict=True))
