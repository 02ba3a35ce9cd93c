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
    """`names` (hero, foe, mentor, ally) with those the confirmed `cards` give each role (by
    role, 主角 / protagonist, ..., else by place), the foe's kept when a feedback renamed it."""
    if not isinstance(cards, list):
        return names
    cards = [c for c in cards if isinstance(c, Mapping) and isinstance(c.get("name"), str)]
    for index, role in enumerate(roles):
        aliases = (role, _ROLE_ALIASES.get(role, role))
        found = [c for c in cards if str(c.get("role", "")).strip().lower() in aliases]
        found += cards[index : index + 1]
        if found and not (index == 1 and foe_renamed):
            names[index] = str(found[0]["name"])[:200]
    return names


_ROLE_ALIASES = dict(zip(ENGLISH.roles + CHINESE.roles, CHINESE.roles + ENGLISH.roles, strict=True))
