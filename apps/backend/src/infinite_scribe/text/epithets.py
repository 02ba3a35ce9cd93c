"""A person an idea names only by an epithet or a title (issue 76, third walk): "the Warden",
"the Grey Bishop", 人称“老狐狸”的会长, “鬼手”处处陷害. By kind, never by phrase:

- English: "the" and a capitalised run is a person when its last word is a title, a role or
  an epithet's ending (`named_en.epithet`), when "who"/"whose" follows it (a word English keeps for
  people), or when it acts on someone ("the Warden hunts her": a verb, then him, her or them
  in the same clause).
- Chinese: a quoted run of Han characters is a person's nickname when a naming word opens it
  (人称, 外号), a title stands right before it (督陶官“冯阎王”), or it is the subject of the
  clause (a verb or an adverb right after the closing quote: “鬼手”处处陷害).

Such a person with no name of their own, whom no word ties to the hero (kin, a friend), is the
idea's rival when no word marks another (`unmarked_rival`): an idea that names its antagonist
only by a title does so because the title is who they are to the hero.
"""

import re

from infinite_scribe.text import segment, vocabulary

_EN_WHO = re.compile(r"^,?\s+(?:who|whose)\b")
#: A verb right after the run (in -s, or a modal and a verb) and, a few lower-case words on,
#: a person as its object.
_EN_ACTS = re.compile(
    rf"^\s+(?:(?:{vocabulary.alternation('en', 'modal_verbs')})\s+[a-z]+"
    r"|[a-z]+s(?<!ss)(?<!\bis)(?<!\bhas)(?<!\bwas))"
    rf"(?:\s+[a-z]+){{0,5}}?\s+(?:{vocabulary.alternation('en', 'object_pronouns')})\b"
)
_EN_TIED = re.compile(
    rf"\b(?:{vocabulary.alternation('en', 'kin')}|{vocabulary.alternation('en', 'allies')})"
    r"\b,?\s+$",
    re.I,
)
_ZH_NAMING = tuple(vocabulary.longest_first(vocabulary.words("zh", "epithet_naming")))
_ZH_TITLES = vocabulary.words("zh", "titles", "roles")
_ZH_QUOTED = re.compile(r"[“「\"]([\u3400-\u9fff]{2,8})[”」\"]")
_ZH_CALLED = re.compile(
    rf"(?:(?:^|[个位名])(?:{vocabulary.alternation('zh', 'naming')})|名叫|叫做|名为)"
    r"([\u3400-\u9fff]{2,4}?)的"
)
_CLOSING = '”」"'
_ZH_OPPOSING = tuple(vocabulary.words("zh", "opposing_adverbs"))
#: Tags of a word that opens a clause's predicate: a verb, an adverb, a conjunction (却).
_PREDICATE = ("v", "d", "c", "p")


def en_acting(after: str) -> bool:
    """Whether what follows "the" and a run says a person: "who"/"whose", or a verb acting
    on someone ("hunts her")."""
    return bool(_EN_WHO.match(after) or _EN_ACTS.match(after))


def zh_people(text: str) -> list[str]:
    """The nicknames a Chinese text names people by, without their quotes."""
    found = []
    for match in _ZH_QUOTED.finditer(text):
        before, after = text[: match.start()], text[match.end() :]
        if before.endswith(_ZH_NAMING) or _titled(before) or _subject(after):
            found.append(match.group(1))
    return found


def zh_described(text: str, nickname: str) -> str | None:
    """What a nickname's person is, said after it (人称“铁面判官”的巡检: 巡检; 外号“冰狼”的
    俄国商人: 俄国商人): the nouns right after its closing quote and 的."""
    at = text.find(nickname)
    after = text[at + len(nickname) : at + len(nickname) + 14] if at > 0 else ""
    if not after or after[0] not in _CLOSING or after[1:2] != "的":
        return None
    nouns: list[str] = []
    for word, flag in segment.tagged(after[2:], guessed=0):
        # The tagger makes some trades verbs (杀手/v, 巡检/v): a role word is one anyway.
        noun = flag.startswith(("n", "a")) or word in _ZH_TITLES
        if not noun or len(nouns) == 3:
            break
        nouns.append(word)
    said = "".join(nouns)
    return said if 2 <= len(said) <= 8 else None


def zh_called(text: str) -> list[str]:
    """The people a Chinese text names with a naming verb after a measure (一个叫小石头的乞丐,
    一位名叫高远的保安): the run up to 的 is a name, whatever the tagger made of it."""
    return [match.group(1) for match in _ZH_CALLED.finditer(text)]


def zh_naming(word: str) -> bool:
    """Whether `word` opens with a word that names someone (被称作…): never a thing."""
    return word.startswith(_ZH_NAMING)


def _titled(before: str) -> bool:
    return any(before.endswith(title) for title in _ZH_TITLES)


def _subject(after: str) -> bool:
    if after.startswith(_ZH_OPPOSING):
        return True
    words = segment.tagged(after[:12])
    return bool(words) and words[0][1].startswith(_PREDICATE) and words[0][0] != "的"


def unmarked_rival(
    epithets: list[str], rivals: tuple[str, ...], tied: list[str] | tuple[str, ...]
) -> tuple[str, ...]:
    """`rivals`, or, when no word marked one, the first person named only by an epithet whom
    no word ties to the hero."""
    return rivals or next(((person,) for person in epithets if person not in tied), ())


def en_tied(before: str) -> bool:
    """Whether a word ties the person after `before` to the hero ("her mentor, the Abbot")."""
    return bool(_EN_TIED.search(before))
