"""The writer's codex as the offline writer's `Named` (issue 76): its names, roles and places
take precedence over what the writer re-reads from the idea, so a rename or a role the writer
set is applied exactly by the offline writer too."""

import re
from collections.abc import Mapping
from dataclasses import fields, replace
from typing import Any

from infinite_scribe.agents.llm.port import GenerationRequest
from infinite_scribe.domain.codex import ORIGIN, RIVAL, Codex
from infinite_scribe.text import named
from infinite_scribe.text.codex_reading import FEEDBACK_NAMES
from infinite_scribe.text.facts import Facts
from infinite_scribe.text.named import Named

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def codex_named(codex: Mapping[str, Any]) -> Named | None:
    """What the codex names, the hero first and the rival marked; None: no codex yet (the
    writer reads the idea as before)."""
    found = Codex.from_json(codex)
    if not found.entries:
        return None
    people = [e.name for e in found.of_kind("person")]
    hero = found.hero
    if hero is not None and hero.kind == "person":
        people = [hero.name, *(p for p in people if p != hero.name)]
    rival = found.rival
    return Named(
        people=tuple(people),
        places=tuple(e.name for e in found.of_kind("place") if e.role != ORIGIN),
        times=tuple(e.name for e in found.of_kind("time")),
        things=tuple(e.name for e in found.of_kind("object")),
        rivals=(rival.name,) if rival is not None and rival.role == RIVAL else (),
    )


def without(given: Named, words: tuple[str, ...]) -> Named:
    """`given` without the words the writer marked "not a name"."""
    if not words:
        return given
    kept = (tuple(i for i in getattr(given, f.name) if i not in words) for f in fields(Named))
    return Named(*kept)


def given_of(request: GenerationRequest, feedbacks: list[str]) -> Named:
    """What the writer named: the codex's names, the people a feedback added among them (the
    worker reads those, text/codex_reading.py: never a name a feedback asks to give someone,
    which is offered as an edit); without a codex, what the idea and each feedback's first
    words (up to 80 characters) name; without the words the writer marked "not a name"."""
    codex = codex_named(request.codex)
    texts = [*(said[:FEEDBACK_NAMES] for said in feedbacks), request.user_input or ""]
    given = Named()
    for text in texts if codex is None else []:
        given = given.over(named.read(text, bool(_HAN.search(text))))
    given = given if codex is None else codex.over(given)  # the codex's hero stays the hero
    return without(given, Codex.from_json(request.codex).not_names)


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
    if wished.hero_name:
        wished = replace(wished, hero_name=None)
    if names_in(wished.antagonist, chinese):
        wished = replace(wished, antagonist=None)
    return wished


def rival_described(codex: Mapping[str, Any], chinese: bool) -> str | None:
    """What the writer's codex describes the rival as ("night warden", 茶楼掌柜), said as a
    description ("the night warden"); None where it has no rival or no words for them."""
    rival = Codex.from_json(codex).rival
    if rival is None or rival.role != RIVAL or not rival.words:
        return None
    said = rival.words[0]
    return said if chinese or said.lower().startswith(("the ", "a ", "an ")) else f"the {said}"


def rival_named(codex: Mapping[str, Any]) -> str | None:
    """The rival's name as the writer gave it, which the first stages tell them by before the
    cast ("her rival, Bastien Vogl", not 苏州城里的绣庄老板 without 周万金); None: none named."""
    rival = Codex.from_json(codex).rival
    return rival.name if rival is not None and rival.role == RIVAL else None


def kindred(bank: str, given: str) -> bool:
    """Whether a bank name would pass for the writer's ("Mira Okafor" by "Tunde Okafor",
    "顾南" by "顾远山"): a shared word, a shared surname."""
    if " " in bank or " " in given:
        return bool(set(bank.split()) & set(given.split()))
    return bank[:1] == given[:1] or bank in given or given in bank
