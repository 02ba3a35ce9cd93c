# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""A Chinese idea that says what its hero is by a copula (X是…的Y) and gives her task a clause
of its own (她必须在…前…, issue 76): the hero's role is the noun the copula's clause ends on,
and what happens is the clause in which the hero, by name or by pronoun, must do something.
Anything else is left to the reader's other rules (when unsure, nothing is read here)."""

import re
from dataclasses import dataclass

from infinite_scribe.text import segment, vocabulary
from infinite_scribe.text.named_zh import han, zh_place

_COPULAS = vocabulary.longest_first(vocabulary.words("zh", "copulas"))
_MODALS = vocabulary.words("zh", "modals")
_COPULAS_OPEN = tuple(_COPULAS)
_PRONOUNS = vocabulary.words("zh", "subject_pronouns")
_MODIFIERS = vocabulary.words("zh", "modifiers")
#: A word that says whom someone is set against or kin to is no role of their own.
_NOT_ROLES = vocabulary.words("zh", "request_foe", "kin")
_CLAUSE = re.compile(r"[，,；;。！？!?\n]")
_NOUNS = ("n", "nz", "ng", "j")  # 刑警/j: the tagger calls some roles abbreviations
#: What may stand before the role a copula gives: a 的, a number and its measure word.
_BEFORE_ROLE = ("uj", "m", "q", "mq")


@dataclass(frozen=True)
class Said:
    """The hero as the copula says: their role, their name and their task (None: unsaid)."""

    role: str
    name: str
    task: str | None


def copula_hero(text: str, people: tuple[str, ...]) -> Said | None:
    """The hero of the first clause that opens on a person, if a copula follows the name and
    the clause ends on a role; None otherwise."""
    clauses = [clause.strip() for clause in _CLAUSE.split(text) if clause.strip()]
    for index, clause in enumerate(clauses):
        name = next((person for person in people if clause.startswith(person)), None)
        if name is None:
            continue
        said = clause[len(name) :]
        copula = next((word for word in _COPULAS if said.startswith(word)), None)
        role = _role(said[len(copula) :]) if copula else None
        return Said(role, name, _task(clauses[index + 1 :], name)) if role else None
    return None


def _role(described: str) -> str | None:
    """The nouns a copula's clause ends on, with the modifiers before them (一名 + 女 +
    法医), if a 的 or a measure word opens them; never a place nor a word of kin or rivalry."""
    pairs = segment.tagged(described)
    start = end = len(pairs)
    while start and pairs[start - 1][1] in _NOUNS and han(pairs[start - 1][0]):
        start -= 1
    if start == end:
        return None
    cut = start > 1 and len(pairs[start - 1][0]) == 1 and pairs[start - 1][1] == "v"
    if cut and pairs[start - 2][1] in _BEFORE_ROLE:
        start -= 1  # 最不起眼的 + 转/v + 学生: one role the tagger cut
    while start and pairs[start - 1][0] in _MODIFIERS:
        start -= 1
    if start and pairs[start - 1][1] not in _BEFORE_ROLE:
        return None
    role = "".join(word for word, _ in pairs[start:end])
    unfit = zh_place(role) or any(word in role for word in _NOT_ROLES)
    return role if 2 <= len(role) <= 8 and not unfit else None


def _task(clauses: list[str], name: str) -> str | None:
    """The first clause whose subject is the hero (by name or pronoun) and that opens on what
    they must do, without its subject (她必须…: 必须…); else the first that says what they do
    (她替地下党藏起一卷胶片: 替地下党藏起一卷胶片)."""
    done = None
    for clause in clauses:
        subject = next((s for s in (name, *_PRONOUNS) if clause.startswith(s)), None)
        rest = clause[len(subject) :] if subject else ""
        if any(rest.startswith(modal) for modal in _MODALS):
            return rest
        if subject is None and clause.startswith(tuple(_MODALS)) and len(clause) >= 4:
            return clause  # 只好在期末之前学会忍耐: the subject left unsaid
        if done is None and len(rest) >= 4 and not rest.startswith(_COPULAS_OPEN):
            done = rest
    return done
