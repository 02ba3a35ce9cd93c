"""Who the offline writer's story names: the writer's codex as its `Named` (issue 76: it wins
over the idea re-read, so a rename or a role the writer set is applied exactly), and the cast."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

from infinite_scribe.agents.llm.offline.words import CHINESE, ENGLISH
from infinite_scribe.agents.llm.port import GenerationRequest
from infinite_scribe.domain.codex import ORIGIN, Codex
from infinite_scribe.domain.language import HAN
from infinite_scribe.text import described, named
from infinite_scribe.text.codex_reading import FEEDBACK_NAMES
from infinite_scribe.text.facts import Facts
from infinite_scribe.text.named import Named


def codex_named(codex: Mapping[str, Any]) -> Named | None:
    """What the codex names, the hero first and the rival marked; None: no codex yet."""
    found = Codex.from_json(codex)
    if not found.entries:
        return None
    people = [e.name for e in found.of_kind("person")]
    hero = found.hero
    if hero is not None and hero.kind == "person":
        people = [hero.name, *(p for p in people if p != hero.name)]
    return Named(
        people=tuple(people),
        places=tuple(e.name for e in found.of_kind("place") if e.role != ORIGIN),
        times=tuple(e.name for e in found.of_kind("time")),
        things=tuple(e.name for e in found.of_kind("object")),
        rivals=tuple(rival.name for rival in (found.rival,) if rival is not None),
    )


def given_of(request: GenerationRequest, feedbacks: list[str]) -> Named:
    """What the writer named, but the words they marked "not a name": the codex's names (and
    the people a feedback added, text/codex_reading.py; a name it asks to give someone is an
    offered edit), else what the idea and each feedback's first FEEDBACK_NAMES characters name."""
    codex = codex_named(request.codex)
    texts = [*(said[:FEEDBACK_NAMES] for said in feedbacks), request.user_input or ""]
    given = Named()
    for text in texts if codex is None else []:
        given = given.over(named.read(text, bool(HAN.search(text))))
    given = given if codex is None else codex.over(given)  # the codex's hero stays the hero
    not_names = Codex.from_json(request.codex).not_names
    kept = (tuple(i for i in getattr(given, f.name) if i not in not_names) for f in fields(Named))
    return Named(*kept) if not_names else given


def names_in(antagonist: str | None, chinese: bool) -> tuple[str, ...]:
    """The names a feedback's antagonist holds ("把反派改成…副探长顾远山", "make the rival Jonas
    Crane"): the people read, or an English capitalised phrase of two words or more."""
    if not antagonist:
        return ()
    people = named.read(antagonist, chinese).people
    if not people and not chinese and antagonist[:1].isupper() and " " in antagonist:
        return (antagonist,)
    return people


def codex_held(wished: Facts, codex: Mapping[str, Any], chinese: bool) -> Facts:
    """A feedback's facts without a new name for the hero or the rival where the writer has a
    codex: the worker offers that as an EditCodex (issue 76). "The colony AI" stays."""
    if not Codex.from_json(codex).entries:
        return wished
    foe = None if names_in(wished.antagonist, chinese) else wished.antagonist
    return replace(wished, hero_name=None, antagonist=foe)


def rival_described(codex: Mapping[str, Any], chinese: bool) -> str | None:
    """The codex's words for the rival as a description ("the night warden"; 父亲 is the
    hero's: 陈子墨的父亲); None: none."""
    found = Codex.from_json(codex)
    rival, hero = found.rival, found.hero
    if rival is None or not rival.words:
        return None
    said = rival.words[0]
    if hero is not None and (kin := described.of_kin(said, hero.name, chinese)):
        return kin
    return said if chinese or said.lower().startswith(("the ", "a ", "an ")) else f"the {said}"


def rival_named(codex: Mapping[str, Any]) -> str | None:
    """The rival's name as the writer gave it, which the first stages tell them by before the
    cast ("her rival, Bastien Vogl", not 苏州城里的绣庄老板 without 周万金); None: none named."""
    rival = Codex.from_json(codex).rival
    return rival.name if rival is not None else None


def kindred(bank: str, given: str) -> bool:
    """Whether a bank name would pass for the writer's: a shared word or surname (顾南, 顾远山)."""
    if " " in bank or " " in given:
        return bool(set(bank.split()) & set(given.split()))
    return bank[:1] == given[:1] or bank in given or given in bank


@dataclass(frozen=True)
class Cast:
    """Who is in the story: the confirmed cast's names, else names chosen once per session."""

    name: str
    foe_name: str
    mentor: str
    ally: str


def bank_names(order: Sequence[str], given: Sequence[str], added: Sequence[str] = ()) -> list[str]:
    """Four names of the bank in the session's `order`, without what would pass for a name the
    writer `given` (filtered after the draw), nor one a feedback `added`: a person a feedback
    adds moves no name the writer has seen (陈阿福 stands beside 陈默, who stays the mentor)."""
    pool = [n for n in order if n not in added and not any(kindred(n, g) for g in given)]
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
