# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""The one a Chinese idea sets against its hero by opposition, and the clauses that are theirs
(issue 76): a person named after someone else whose clause opposes them (督陶官冯保却想……,
站长刘大勇偏偏要……, 但知府赵德昌……) is the rival, as one a word marks (宿敌, 对手); a later
clause whose subject is someone else (她的上司周启明劝她……) or that opposes the hero tells
what others do, not what happens to the hero."""

import re

from infinite_scribe.text import harm_zh, segment, vocabulary

#: An adverb right after a name that sets its clause against what came before (却, 偏偏).
_ADVERBS = tuple(vocabulary.longest_first(vocabulary.words("zh", "opposing_adverbs")))
#: A conjunction opening a clause that sets it against what came before (但, 然而, 可): a
#: word of its own, not the first character of another (但凡, 可能, 可以).
_OPENERS = frozenset(vocabulary.words("zh", "opposing_openers"))
_FOE_MARKS = vocabulary.words("zh", "request_foe")
_CLAUSE_MARKS = "，,；;：:、"
_CLAUSE = re.compile(f"[{_CLAUSE_MARKS}。！？!?]")


def opener(clause: str) -> str:
    """The conjunction of opposition `clause` opens with, or ""."""
    first = segment.words(clause.lstrip())[:1]
    return first[0] if first and first[0] in _OPENERS else ""


def opposed(text: str, people: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The people `text` sets against someone it named before them: their name followed by an
    adverb of opposition, or first in a clause a conjunction of opposition opens."""
    found = []
    for person in people:
        at = text.find(person)
        if at <= 0 or not any(0 <= text.find(p) < at for p in people if p != person):
            continue  # the first person named opposes no one: 苏念却不肯…… is the hero
        clause = _CLAUSE.split(text[:at])[-1]
        first = not any(p in clause for p in people)
        if text[at + len(person) :].startswith(_ADVERBS) or (first and opener(clause)):
            found.append(person)
    return tuple(found)


_TITLES = vocabulary.words("zh", "titles", "roles")
_ROLE_ENDS = vocabulary.characters("zh", "role_ends")
_POSSESSIVE = re.compile("^[他她它][们]?的")


def title_before(text: str, person: str) -> str | None:
    """The title or role said right before the name of someone opposed (督陶官冯保, 巡抚大人
    周廷玉, 她的上司周启明: 上司), without a conjunction or a possessive opening it."""
    at = text.find(person)
    said = _CLAUSE.split(text[: max(at, 0)])[-1].strip()
    said = said[len(opener(said)) :]
    said = _POSSESSIVE.sub("", said)
    if not (2 <= len(said) <= 8) or not all("\u4e00" <= c <= "\u9fff" for c in said):
        return None
    titled = said.endswith(tuple(_TITLES)) or said.endswith(_ROLE_ENDS)
    nouns = all(flag.startswith("n") for _, flag in segment.tagged(said))
    return said if at > 0 and (titled or nouns) else None


def own_clauses(event: str, people: tuple[str, ...] = (), hero: str | None = None) -> str:
    """What happens, up to a later clause about someone else: one about the one set against
    the hero (找到凶手 + 宿敌是白三爷), one that opposes it (但……, ……却……), or one whose
    subject is another person named (发现社论被改过 + 她的上司周启明劝她别声张)."""
    cut = re.split(f"([{_CLAUSE_MARKS}])", event)
    others = [person for person in people if person != hero]
    for index in range(2, len(cut), 2):
        clause = cut[index].strip()
        foe = any(mark in clause for mark in _FOE_MARKS) or bool(opener(clause))
        harmed = any(person in clause for person in others) and harm_zh.harms(clause)
        if foe or harmed or any(_subject(clause, person) for person in others):
            return "".join(cut[: index - 1])
    return event


def _subject(clause: str, person: str) -> bool:
    """Whether `person` acts in `clause`: their name is followed by a verb or an adverb, in a
    clause that does not open with a verb (the hero's, whose subject goes unsaid: 等妹妹周雪
    回来, 发现妹妹周雪……)."""
    at = clause.find(person)
    if at < 0:
        return False
    if clause[at + len(person) :].startswith(_ADVERBS):
        return True
    opening = segment.tagged(clause[:at])[:1]
    following = segment.tagged(clause[at + len(person) :])[:1]
    acts = bool(following) and following[0][1][:1] in ("v", "d")
    return acts and not (opening and opening[0][1].startswith("v"))
