# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""What an idea says someone is right before their name, for a person neither the hero nor the
rival nor someone's kin (their own readers describe them): the role or title said there
(戏班花旦苏小怜: 戏班花旦; 市长白景行: 市长; "a shipping magnate, Julius Crane": "shipping
magnate"; "the Water Authority's commissioner Livia Sforza": "commissioner"). The words run
back from the name while they can describe a person, and end in a role or a title the lexicon
knows; none where unsure."""

import re

from infinite_scribe.text import named_zh, opposed, reading_en, reading_zh, segment, vocabulary

_ZH_CLAUSE = re.compile('[，,；;：:、。！？!?“”"]')
#: What a run of words before a name is made of when it describes the person: nouns.
_ZH_NOUNS = ("n", "nr", "nz", "j", "eng")
_ZH_MOST = 8
_ZH_TITLES = vocabulary.words("zh", "titles")
_EN_TITLES = vocabulary.words("en", "titles")
_EN_TITLED = _EN_TITLES | reading_en.ROLES
_EN_NOT_DESCRIBING = opposed.NOT_DESCRIBING | vocabulary.words("en", "articles")
_EN_MOST = 3
#: Where a description starts: "his nurse, Ida Sorrell" is "nurse".
_EN_OWNERS = frozenset(vocabulary.phrases("en", "described_articles"))


def before(text: str, person: str, chinese: bool) -> tuple[str, ...]:
    """The role or title `text` says right before `person`'s first mention, if any."""
    at = text.find(person)
    if at <= 0:
        return ()
    said = _zh_before(text[:at]) if chinese else _en_before(text[:at])
    return (said,) if said else ()


def _zh_before(lead: str) -> str | None:
    """The nouns closing `lead`'s last clause, if the last is a role or a title (爱上了 + 戏班
    + 花旦: 戏班花旦)."""
    pairs = segment.tagged(_ZH_CLAUSE.split(lead)[-1])
    run: list[str] = []
    while pairs and pairs[-1][1].startswith(_ZH_NOUNS) and _zh_word(pairs[-1][0]):
        run.insert(0, pairs.pop()[0])
    said = "".join(run)
    known = run and (reading_zh.is_role(run[-1]) or run[-1] in _ZH_TITLES)
    return said if known and 2 <= len(said) <= _ZH_MOST else None


def _zh_word(word: str) -> bool:
    """Chinese, or an acronym (公司 + CEO)."""
    return named_zh.han(word) or (word.isascii() and word.isupper())


def _en_before(lead: str) -> str | None:
    """The lower-case words closing `lead` (a comma after them allowed: "a shipping magnate, "),
    if the last is a role or a title and none is a verb or a function word; else the titles
    said with the name ("Detective Inspector Ravi Menon"), if the last is a role."""
    words = re.findall(r"[\w'\u2019-]+", re.split(r"[,;:.!?]", lead.rstrip().removesuffix(","))[-1])
    run: list[str] = []
    while words and words[-1][:1].islower() and words[-1] not in _EN_OWNERS and len(run) < _EN_MOST:
        run.insert(0, words.pop())
    while run and run[0].lower() in _EN_NOT_DESCRIBING:
        run.pop(0)  # "by a shipping magnate": "shipping magnate"
    if not run:
        while words and words[-1].lower() in _EN_TITLED and len(run) < _EN_MOST:
            run.insert(0, words.pop())
        return " ".join(run) if run and reading_en.is_role(run[-1].lower()) else None
    if {word.lower() for word in run} & _EN_NOT_DESCRIBING:
        return None
    last = run[-1]
    return " ".join(run) if reading_en.is_role(last) or last in _EN_TITLES else None


_KIN = {True: vocabulary.words("zh", "kin"), False: vocabulary.words("en", "kin")}


def of_kin(word: str, owner: str, chinese: bool) -> str | None:
    """A kin word with whose kin they are (父亲 of 陈子墨: 陈子墨的父亲; "father": "Ada Pike's
    father"); None for a word that is no kin."""
    if word.lower() not in _KIN[chinese]:
        return None
    return f"{owner}的{word}" if chinese else f"{owner}'s {word}"
