"""A novel's story memory (issue 48), pure: who is in the book, what was said of them, where it
happens and what was planted, each with its evidence (chapter, event id, exact quote).

The memory is a fold of the novel's memory stream (aggregate STORY_MEMORY, id = the novel):
`Seeded` (the bible, as chapter 0) then one `ChapterChecked` per confirmed chapter version,
each carrying what the reader found in that chapter. A chapter checked again (an edit, a
rollback) replaces what it said before: every fact remembers its chapter, so the memory holds
the confirmed book, not its drafts. The document is bounded whatever the book's length:
appearances as chapter ranges, at most MAX_FACTS facts per character (the latest by chapter).
"""

import hashlib
from collections.abc import Callable, Iterable, Mapping
from copy import deepcopy
from typing import Any

AGGREGATE_TYPE = "STORY_MEMORY"
SEEDED = "Novel.Memory.Seeded"
CHAPTER_CHECKED = "Novel.Memory.ChapterChecked"
#: The memory stream's tombstone when the novel is purged: its payloads (quotes) are erased.
PURGED = "Novel.Memory.Purged"

MAX_CHARACTERS = 300
MAX_PLACES = 200
MAX_THREADS = 500
MAX_FACTS = 24
_MAX_PLACE_EVIDENCE = 3

Memory = dict[str, Any]


def blank() -> Memory:
    return {"characters": {}, "places": {}, "threads": {}}


def _add_range(ranges: list[list[int]], chapter: int) -> list[list[int]]:
    """Chapter ranges ([[1, 4], [7, 7]]) with `chapter` in them, merged and sorted."""
    points = [[a, b] for a, b in ranges] + [[chapter, chapter]]
    merged: list[list[int]] = []
    for start, end in sorted(points):
        if merged and start <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def _drop_range(ranges: list[list[int]], chapter: int) -> list[list[int]]:
    kept: list[list[int]] = []
    for start, end in ranges:
        if start <= chapter <= end:
            kept += [[a, b] for a, b in ((start, chapter - 1), (chapter + 1, end)) if a <= b]
        else:
            kept.append([start, end])
    return kept


def without_chapter(memory: Memory, chapter: int) -> Memory:
    """The memory with nothing of `chapter` (before it is read again, or when it is gone)."""
    memory = deepcopy(memory)
    for card in memory["characters"].values():
        card["facts"] = [f for f in card["facts"] if f["chapter"] != chapter]
        if (card.get("intro") or {}).get("chapter") == chapter:
            del card["intro"]
        card["chapters"] = _drop_range(card["chapters"], chapter)
    for place in memory["places"].values():
        place["chapters"] = _drop_range(place["chapters"], chapter)
        place["evidence"] = [e for e in place["evidence"] if e["chapter"] != chapter]
    threads = memory["threads"]
    for thread_id in [t for t, thread in threads.items() if thread["from_chapter"] == chapter]:
        del threads[thread_id]
    for thread in threads.values():
        if thread.get("resolved_chapter") == chapter:
            thread["resolved_chapter"], thread["payoff"] = None, None
    return memory


def _card(memory: Memory, name: str) -> dict[str, Any] | None:
    cards = memory["characters"]
    if name not in cards and len(cards) < MAX_CHARACTERS:
        cards[name] = {"aliases": [], "chapters": [], "facts": []}
    card: dict[str, Any] | None = cards.get(name)
    return card


def thread_id(chapter: int, text: str) -> str:
    return f"{chapter}-{hashlib.sha1(text.encode()).hexdigest()[:10]}"


def with_chapter(
    memory: Memory, chapter: int, event_id: str | None, read: Mapping[str, Any], horizon: int
) -> Memory:
    """The memory after `chapter` was read (what it said before replaced)."""
    memory = without_chapter(memory, chapter)
    evidence = {"chapter": chapter, "event_id": event_id}
    for name in read.get("seen", ()):
        card = _card(memory, name)
        if card is not None and chapter > 0:
            card["chapters"] = _add_range(card["chapters"], chapter)
    for fact in read.get("facts", ()):
        _remember(memory, fact, evidence, horizon)
    for name in read.get("places", ()):
        _place(memory, name, chapter, evidence)
    return memory


def _remember(
    memory: Memory, fact: Mapping[str, Any], evidence: dict[str, Any], horizon: int
) -> None:
    kind, chapter = fact["kind"], evidence["chapter"]
    if kind in ("status", "trait"):
        card = _card(memory, fact["who"])
        if card is not None:
            kept = {
                k: fact[k] for k in ("kind", "attribute", "value", "said", "quote") if k in fact
            }
            facts = [*card["facts"], kept | evidence]
            card["facts"] = sorted(facts, key=lambda f: f["chapter"])[-MAX_FACTS:]
    elif kind == "thread" and len(memory["threads"]) < MAX_THREADS:
        # The bible's outline plants threads in the chapters it names (as chapter 0's facts).
        planted = int(fact.get("planted_chapter") or chapter)
        due = int(fact.get("due_chapter") or planted + horizon)
        memory["threads"][thread_id(planted, fact["text"])] = {
            "text": fact["text"],
            "who": fact.get("who"),
            "from_chapter": chapter,
            "planted_chapter": planted,
            "due_chapter": due,
            "resolved_chapter": None,
            "evidence": [evidence | {"quote": fact["quote"]}],
            "payoff": None,
        }
    elif kind == "payoff":
        thread = memory["threads"].get(fact["thread"])
        if thread is not None and thread["planted_chapter"] < chapter:
            thread["resolved_chapter"] = chapter
            thread["payoff"] = evidence | {"quote": fact["quote"]}
    elif kind == "intro":  # who the bible says they are: every bible character's evidence
        card = _card(memory, fact["who"])
        if card is not None:
            card["intro"] = evidence | {"quote": fact["quote"]}
    elif kind == "alias":
        card = _card(memory, fact["who"])
        if card is not None and fact["alias"] not in card["aliases"]:
            card["aliases"].append(fact["alias"])


def _place(memory: Memory, name: str, chapter: int, evidence: dict[str, Any]) -> None:
    places = memory["places"]
    if name not in places and len(places) < MAX_PLACES:
        places[name] = {"chapters": [], "evidence": []}
    place = places.get(name)
    if place is not None and chapter > 0:
        place["chapters"] = _add_range(place["chapters"], chapter)
        if len(place["evidence"]) < _MAX_PLACE_EVIDENCE:
            place["evidence"].append(evidence | {"quote": name})


def renamed(memory: Memory, cast: list[str]) -> Memory:
    """The memory with the bible's characters renamed as its new `cast` says (the cards in
    the same order, issue 38's rule): a renamed character keeps what the book said of them,
    under the new name, with the old name as an alias."""
    memory = deepcopy(memory)
    cards, before = memory["characters"], memory.get("cast") or []
    for old, new in zip(before, cast, strict=False):
        if old == new or old not in cards or new in cards or old in cast:
            continue
        card = cards.pop(old)
        card["aliases"] = [a for a in card["aliases"] if a != new] + [old]
        cards[new] = card
    memory["cast"] = list(cast)
    return memory


# The waiver rule, said once (issue 78): a trait a chapter says against the one established is
# a finding, and its fact is held `contested` (by that finding's id) until the writer waives
# the finding as intended; a contested fact is nothing the memory says (its view, a brief's
# digest, the check of a later chapter). A chapter that says the trait changed (facts marked
# `change`) contradicts nothing, so its fact is never contested.


def contest(memory: Memory, finding: Mapping[str, Any]) -> None:
    """Hold the trait facts `finding` (a trait said against the established one) is about."""
    card = memory["characters"].get(finding.get("who"))
    for fact in card["facts"] if card is not None else ():
        if (
            fact["kind"] == "trait"
            and fact["chapter"] == finding["chapter"]
            and fact.get("attribute") == finding.get("attribute")
        ):
            fact["contested"] = finding["id"]


def waive(memory: Memory, finding_id: str) -> None:
    """The writer waived `finding_id` as intended: the facts it held are established."""
    for card in memory["characters"].values():
        for fact in card["facts"]:
            if fact.get("contested") == finding_id:
                del fact["contested"]


def established(facts: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """`facts` without those a finding holds contested."""
    return [f for f in facts if not f.get("contested")]


def latest_before(
    memory: Memory, who: str, chapter: int, kind: str, attribute: str | None = None
) -> dict[str, Any] | None:
    """The last established fact of `kind` (and `attribute`) about `who` stated before
    `chapter`."""
    card = memory["characters"].get(who)
    if card is None:
        return None
    found = [
        f
        for f in established(card["facts"])
        if f["kind"] == kind and f.get("attribute") == attribute and f["chapter"] < chapter
    ]
    return found[-1] if found else None


def known_names(memory: Memory) -> dict[str, str]:
    """Every name and alias the memory knows -> the character's name."""
    names: dict[str, str] = {}
    for name, card in memory["characters"].items():
        names[name] = name
        names.update({alias: name for alias in card["aliases"]})
    return names


def known_cards(memory: Memory) -> dict[str, str]:
    """Each character's name -> who the bible says they are (its card's first sentence)."""
    cards = memory["characters"].items()
    return {name: str(card["intro"]["quote"]) for name, card in cards if card.get("intro")}


def open_threads(memory: Memory) -> list[tuple[str, str]]:
    return [
        (t, th["text"]) for t, th in memory["threads"].items() if th["resolved_chapter"] is None
    ]


def _status(card: Mapping[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """A character's status as of the book's end: the last one said, else alive once seen in
    a chapter (nothing said otherwise), else unknown."""
    said = [f for f in established(card["facts"]) if f["kind"] == "status"]
    if said:
        return said[-1]["value"], [said[-1]]
    return ("alive" if card["chapters"] else "unknown"), []


def _evidence(fact: Mapping[str, Any]) -> dict[str, Any]:
    return {"chapter": fact["chapter"], "event_id": fact.get("event_id"), "quote": fact["quote"]}


def _shown(card: Mapping[str, Any], facts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A character's evidence: the facts shown, then who the bible says they are (each
    sentence once)."""
    shown: dict[tuple[int, str], dict[str, Any]] = {}
    for evidence in [
        *(_evidence(f) for f in facts),
        *([card["intro"]] if card.get("intro") else []),
    ]:
        shown.setdefault((evidence["chapter"], evidence["quote"]), dict(evidence))
    return list(shown.values())


#: (attribute, normalised value) -> the value in the novel's language (text/rules.trait_word).
Words = Callable[[str, Any], Any]


def _word(fact: Mapping[str, Any], words: Words | None) -> Any:
    """A trait as the writer reads it: the word the book said, else the value in its words."""
    if fact.get("said"):
        return fact["said"]
    return words(fact["attribute"], fact["value"]) if words is not None else fact["value"]


def view(memory: Memory, words: Words | None = None) -> dict[str, Any]:
    """The memory as `GET /novels/{id}/memory` shows it: each character's status and traits
    (the latest established of each, in the writer's words), with the evidence of each."""
    characters = []
    for name, card in memory["characters"].items():
        status, evidence = _status(card)
        latest = {f["attribute"]: f for f in established(card["facts"]) if f["kind"] == "trait"}
        characters.append(
            {
                "name": name,
                "aliases": list(card["aliases"]),
                "status": status,
                "traits": {attribute: _word(fact, words) for attribute, fact in latest.items()},
                "chapters": card["chapters"],
                "evidence": _shown(card, [*evidence, *latest.values()]),
            }
        )
    places = [{"name": name} | dict(place) for name, place in memory["places"].items()]
    threads = [
        {"id": tid}
        | {k: v for k, v in thread.items() if k != "payoff"}
        | {"evidence": [*thread["evidence"], *([thread["payoff"]] if thread["payoff"] else [])]}
        for tid, thread in memory["threads"].items()
    ]
    return {"characters": characters, "places": places, "threads": threads}


#: What a chapter's brief carries of the memory (issue 48): bounded whatever the book's length.
DIGEST_CHARACTERS = 12
DIGEST_THREADS = 8
#: Characters seen this many chapters before the one written count as on stage.
DIGEST_RECENT = 3


def _said_before(card: Mapping[str, Any], chapter: int) -> tuple[str | None, dict[str, Any]]:
    facts = [f for f in established(card["facts"]) if f["chapter"] < chapter]
    statuses = [f["value"] for f in facts if f["kind"] == "status"]
    traits = {f["attribute"]: f["value"] for f in facts if f["kind"] == "trait"}
    return (statuses[-1] if statuses else None), traits


def _died_in(card: Mapping[str, Any], chapter: int) -> int:
    """The chapter before `chapter` that said last what became of the character (their death)."""
    statuses = [
        f["chapter"]
        for f in established(card["facts"])
        if f["kind"] == "status" and f["chapter"] < chapter
    ]
    return statuses[-1] if statuses else 0


def _recent(card: Mapping[str, Any], chapter: int) -> bool:
    return any(a < chapter and b >= chapter - DIGEST_RECENT for a, b in card["chapters"])


def digest(memory: Memory | None, chapter: int, hint: str) -> dict[str, Any]:
    """What the book remembers that a writer of `chapter` needs, as of the chapters before it:
    the characters `hint` (its outline entry, the writer's words) names or the last chapters
    saw, with their status and traits; who is dead; the threads still open."""
    if not memory:
        return {}
    characters: list[dict[str, Any]] = []
    dead: list[str] = []
    died: dict[str, int] = {}
    for name, card in memory["characters"].items():
        status, traits = _said_before(card, chapter)
        if status == "dead":
            dead.append(name)
            died[name] = _died_in(card, chapter)
        named = any(n and n in hint for n in (name, *card["aliases"]))
        if (named or _recent(card, chapter)) and len(characters) < DIGEST_CHARACTERS:
            characters.append({"name": name, "status": status or "alive", "traits": traits})
    threads = sorted(
        (t for t in memory["threads"].values() if t["resolved_chapter"] is None),
        key=lambda t: t["due_chapter"],
    )
    open_threads = [
        {
            "text": t["text"],
            "planted_chapter": t["planted_chapter"],
            "due_chapter": t["due_chapter"],
        }
        for t in threads
        if t["planted_chapter"] < chapter
    ][:DIGEST_THREADS]
    dead = dead[:DIGEST_CHARACTERS]
    return {
        "characters": characters,
        "dead": dead,
        # When each died: the offline writer plays its earlier chapters back as they were
        # drafted, with who was dead then (chapter_book.earlier_briefs).
        "died": {name: died[name] for name in dead},
        "threads": open_threads,
    }
