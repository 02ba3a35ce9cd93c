# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""What the writer named (issue 69): the people, places, times and things of an idea or a
feedback, exactly as written, so every stage carries them verbatim and the generator never
invents a name for a role the writer named.

Chinese: jieba's part-of-speech tags (`nr` people, `ns` places, `t` times) with a few rules
where the tagger splits a name (韩/j 小川/nr -> 韩小川) or tags an invented one as a verb
(顾/v 南站/ns -> 顾南); a thing is the noun a measure word opens (一只停在九点的怀表 -> 怀表).
English: capitalised runs (people, or places after "in"/"on"/"at" and places' own words),
years, festivals and hours, and the noun phrase a verb takes ("carry a kidney", "buys an ivory
compass"). A phrase with a verb in it is never a place or a name; a title is no part of a name
(Captain Hollis Wren); the rival is the one a word marks (nemesis, 宿敌).
"""

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from infinite_scribe.agents.llm.offline import segment, vocabulary
from infinite_scribe.agents.llm.offline.facts import lexicon
from infinite_scribe.domain.codex import HERO, RIVAL, Codex

SURNAMES = frozenset(vocabulary.characters("zh", "surnames"))
_ZH_ROLES = vocabulary.words("zh", "roles")
_PEOPLE_WORDS = (*_ZH_ROLES, "人")  # 洋孩子, 证人: a person, never a thing
_ZH_PLACES = vocabulary.words("zh", "places")
_ZH_PLACE_ENDS = vocabulary.characters("zh", "place_ends")
_NOT_PLACES = vocabulary.words("zh", "not_places")
NOT_NAME_OPENERS = frozenset(vocabulary.characters("zh", "not_name_openers"))
#: A tagged name ending so is a place (龙井村, 广寒宫); 王铁山 and 赵德海 are people.
_STRICT_PLACE_ENDS = tuple("村镇城宫寺院堡港站岛州窟园街碑")
ZH_TIME = re.compile(
    r"(?:公元前?)?\d{1,4}年(?:代)?"
    r"|(?:民国|万历|开元|光绪|康熙|乾隆|嘉靖|贞观|永乐|天宝|洪武|崇祯|宣统)[一二三四五六七八九十元]+年"
    r"|除夕|春节|元宵节?|上元节|清明节?|端午节?|七夕|中秋节?|重阳节?|冬至|腊八"
)
_OPENS = ("", "，", "。")
_ZH_WHEN = f"(?:{ZH_TIME.pattern})[^，,。的]{{0,4}}"
_ZH_OPENING = re.compile(
    f"^(?:{_ZH_WHEN}[，,])?(?:{_ZH_WHEN}的|在)(?P<place>[\u4e00-\u9fff]{{2,8}})[，,]"
)
_MEASURE = re.compile(r"^[一两几][只幅块张卷枚封个把件颗本条面串盏]$")
_ZH_KIN = re.compile(r"妹妹|姐姐|哥哥|弟弟|母亲|父亲|师父|师兄|师姐|女儿|儿子|妻子|丈夫|朋友")
FESTIVAL = re.compile(
    r"\b(?:New Year's Eve|New Year's Day|Christmas Eve|Christmas|Easter|Halloween|Midsummer"
    r"|Harvest Festival|[A-Z][a-z]+ (?:Festival|Eve|Day))\b|\b(?:midnight|dawn|dusk|noon)\b"
)
_EN_YEAR = re.compile(r"\b(?:1[0-9]|2[0-9])\d{2}s?\b")
_EN_RUN = re.compile(r"\b[A-Z][\w'’-]*(?:\s+(?:of\s+|de\s+|the\s+)?[A-Z][\w'’-]*)*")
_EN_PLACE_WORDS = vocabulary.words("en", "place_nouns") | vocabulary.words("en", "name_places")
_EN_AFTER_PLACE = re.compile(
    r"\b(?:in|on|at|to|from|across|near|into|of)\s+(?:\d{3,4}s?\s+|the\s+)?$", re.I
)
_EN_OPENERS = lexicon("in on at during the a an when after before while by it")
#: A thing: the noun phrase a verb takes ("buys an ivory compass", "must carry a kidney"); a
#: verb is a word in -s or -ed (not a preposition or a pronoun) or a base form after "must",
#: never said of the draft itself ("it needs a darker tone", "this lacks a climax").
_EN_THING = re.compile(
    r"(?<![Ii]t )(?<![Tt]his )(?<![Tt]hat )(?<![Tt]here )"
    r"\b(?!(?:across|towards|besides|unless|was|has|is|his|its|this|as|us|perhaps|always)\b)"
    r"(?:carry|find|found|hide|keep|hold|smuggle|bury|steal|buy|[a-z]{2,}(?:s|ed))\s+"
    r"((?:a|an|the)\s+|(?:his|her|their)\s+)((?:[a-z][a-z-]*\s+){0,2}[a-z][a-z-]*?)"
    r"(?=\s+(?:across|in|at|from|out|for|that|to|on|of|before|while|which)\b|[,.;]|$)"
)
_EN_NOT_THINGS = vocabulary.words("en", "roles") | _EN_PLACE_WORDS
_EN_BEFORE_THING = re.compile(
    r"\b(?:before|until|after|when)\s+(the\s+)([a-z]+(?:\s+[a-z]+)?)\s+[a-z]+s\b"
)
_EN_TITLES = vocabulary.words("en", "titles") | vocabulary.words("en", "roles")
_ZH_MARKS = vocabulary.words("zh", "request_foe")
_EN_MARK = "|".join(w.replace("-", " ") for w in vocabulary.words("en", "request_foe"))
_EN_MARK_BEFORE = re.compile(rf"\b(?:{_EN_MARK})\b,?\s+(?:[A-Z][\w'’-]*\s+)?$")
_EN_MARK_AFTER = re.compile(rf"^,\s+(?:his|her|their|the|a|an)\s+(?:[a-z-]+\s+)?(?:{_EN_MARK})\b")
_ZH_MARK_AFTER = re.compile("^是[^，,。；;]*?(?:" + "|".join(_ZH_MARKS) + ")")
_EN_KIN = re.compile(r"\b(?:brother|sister|mother|father|daughter|wife|husband|friend)\s+$")


@dataclass(frozen=True)
class Named:
    """The writer's named items in the order written; `kin` are people named as family or
    friends of someone (never the rival)."""

    people: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    times: tuple[str, ...] = ()
    things: tuple[str, ...] = ()
    kin: tuple[str, ...] = ()
    #: People a word marks as the rival ("his nemesis, ...", 宿敌…, "… 是她的对手").
    rivals: tuple[str, ...] = ()
    #: A person with the title the writer gave them ("Captain Hollis Wren": the name is
    #: "Hollis Wren", the title stays with their card).
    titled: tuple[str, ...] = ()

    def over(self, older: "Named") -> "Named":
        return Named(*(_unique((*getattr(self, f), *getattr(older, f))) for f in _FIELDS))

    @property
    def items(self) -> tuple[str, ...]:
        return _unique((*self.people, *self.places, *self.times, *self.things))


_FIELDS = ("people", "places", "times", "things", "kin", "rivals", "titled")


def _unique(items: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item for item in items if item))


@lru_cache(maxsize=256)
def read(text: str, chinese: bool) -> Named:
    """What `text` names (its first 500 characters). Cached: a session's idea is read at
    every stage and every chapter (a cold 500 characters of Chinese is about 1.7 ms)."""
    text = " ".join(text.split())[:500]
    return _read_zh(text) if chinese else _read_en(text)


def _read_zh(text: str) -> Named:
    pairs = segment.tagged(text)
    people: list[str] = []
    places: list[str] = []
    things: list[str] = []
    kin: list[str] = []
    times = [m.group(0) for m in ZH_TIME.finditer(text)]
    for index, (word, flag) in enumerate(pairs):
        after = pairs[index + 1] if index + 1 < len(pairs) else ("", "x")
        before = pairs[index - 1][0] if index else ""
        later = pairs[index + 2][0] if index + 2 < len(pairs) else ""
        name = _zh_name(word, flag, after, before, later)
        if people and name is None and (before + word).startswith(people[-1]):
            continue  # 韩 + 小川, 顾 + 南站: the rest of a name the tagger split
        if name:
            people.append(name)
            if _ZH_KIN.search(before):
                kin.append(name)
        elif (flag == "ns" and not _describes(after)) or (
            flag in ("n", "nr", "nz") and zh_place(word)
        ):
            _add_place(places, pairs, index)
        elif flag == "t" and len(word) >= 2 and word not in text[: text.find(word)].join(times):
            times.append(word)
        if _MEASURE.match(word) or (word == "着" and flag == "uz"):
            thing = _zh_thing(pairs[index + 1 : index + 9])
            if thing:
                things.append(thing)
        elif flag == "n" and (after[0] == "被" or (before in _OPENS and after[0] == "是")):
            things.append(word)  # 鹦鹉是……, 账本被……
        elif word in _ONLY and after[0] == "的":
            things.append(_zh_noun_run(pairs[index + 2 : index + 5]))  # 唯一的调度日志
    opening = opening_place(text)
    if opening and not any(p in opening for p in places):
        places.insert(0, opening)
    places = [p for p in places if not any(p in n for n in (*people, *times))]
    times = [t for t in times if not any(t in name for name in people)]
    places = [p for p in places if p not in things]
    things = [t for t in things if t and t not in places and not t.endswith(_PEOPLE_WORDS)]
    things = [t for t in things if not any(t in n for n in people)]
    rivals = _rivals(text, people, True)
    return Named(*map(_unique, (tuple(people), tuple(places), tuple(times), tuple(things),
                                tuple(kin), rivals)))  # fmt: skip


def holders(text: str, given: Named) -> dict[str, str]:
    """Who each thing is tied to: the last person `text` names before it in its sentence
    ("Tomas Ferrer ... buys an ivory compass"; 宿敌白三爷却带着一把左轮枪)."""
    found = {}
    for thing in given.things:
        at = text.find(thing)
        before = re.split(r"[.;!?。；！？]", text[: max(at, 0)])[-1]
        people = sorted((before.rfind(p), p) for p in given.people if p in before)
        if at >= 0 and people:
            found[thing] = people[-1][1]
    return found


def _describes(after: tuple[str, str]) -> bool:
    """Whether a place right before `after` describes it (日本商人, 日本商会: a nationality or
    an origin), so is no place of the story (火星殖民地 is one place)."""
    return after[1] in ("n", "nz", "nt") and not zh_place(after[0])


def opening_place(text: str) -> str | None:
    """The place a Chinese idea or draft opens with (宣统二年的大连, 在大连), whatever the
    tagger makes of the word (大连 is tagged an adverb), if no verb is in it."""
    match = _ZH_OPENING.match(text)
    place = match.group("place") if match else ""
    verb = any(flag[0] in "vpu" for _, flag in segment.tagged(place))
    return place if place and not verb else None


def _rivals(text: str, people: list[str], chinese: bool) -> tuple[str, ...]:
    """The people a word marks as the rival, before the name in its clause ("his nemesis,
    Commodore Ruth Calloway", 宿敌白三爷, 对手是…冯保) or after it ("Marc Vidal, her old
    enemy", 马六是白露的对手)."""
    found = []
    for person in people:
        at = text.find(person)
        before, after = text[: max(at, 0)], text[at + len(person) :]
        if chinese:
            clause = re.split(r"[，,。；;！!？?]", before)[-1]
            marked = any(mark in clause for mark in _ZH_MARKS) or _ZH_MARK_AFTER.match(after)
        else:
            marked = _EN_MARK_BEFORE.search(before) or _EN_MARK_AFTER.match(after)
        if marked:
            found.append(person)
    return tuple(found)


def _zh_name(word: str, flag: str, after: tuple[str, str], before: str, later: str) -> str | None:
    """A person's name: tagged `nr` (not a place, a role or a dictionary word without a
    surname), or a surname alone before the given name the tagger split off (韩 + 小川;
    顾 + 南站 where 站上 is a word: 顾南)."""
    if flag in ("nr", "nrt") and 2 <= len(word) <= 4 and han(word) and word not in _ZH_ROLES:
        place = word in _ZH_PLACES or word.endswith(_STRICT_PLACE_ENDS)
        # nrt: a transliterated name (佐藤), a name whatever its first character.
        if not place and (flag == "nrt" or word[0] in SURNAMES or not segment.known(word)):
            return word
        return None
    if len(word) != 1 or word not in SURNAMES or word in NOT_NAME_OPENERS:
        return None
    given, tag = after
    if not given or tag in ("v", "p", "x", "uj", "f") or not han(given) or len(given) > 2:
        return None
    if before and len(before) == 1 and before in SURNAMES:
        return None
    if tag == "ns" and len(given) == 2 and later and segment.known(given[1] + later[0]):
        return word + given[0]
    return word + given


def han(word: str) -> bool:
    return bool(word) and all("\u3400" <= c <= "\u9fff" for c in word)


def _add_place(places: list[str], pairs: list[tuple[str, str]], index: int) -> None:
    """The place at `index` with the plain nouns before it and the proper name before them
    (金陵 + 女子 + 学院), not another place (月球基地 + 广寒宫: 广寒宫)."""
    start = index
    while start and pairs[start - 1][1] == "n" and not zh_place(pairs[start - 1][0]):
        start -= 1
    if start < index and start and pairs[start - 1][1] in ("ns", "nr"):
        start -= 1
    places.append("".join(word for word, _ in pairs[start : index + 1]))


def zh_place(word: str) -> bool:
    return word in _ZH_PLACES or (
        len(word) >= 2 and word.endswith(_ZH_PLACE_ENDS) and word not in _NOT_PLACES and han(word)
    )


#: "the only" before a thing: 唯一的调度日志 is a thing, whatever the tagger says of 日志.
_ONLY = frozenset(["唯一", "仅有", "仅存"])


def _zh_noun_run(pairs: list[tuple[str, str]]) -> str:
    """The nouns a thing is written with (调度/n 日志/ns -> 调度日志)."""
    run = []
    for word, flag in pairs:
        if flag not in ("n", "ns", "nz", "vn", "ng") or not han(word):
            break
        run.append(word)
    return "".join(run)


def _zh_thing(pairs: list[tuple[str, str]]) -> str | None:
    """The noun a measure word (or 着) opens: the last noun before the clause goes on that is
    no person (一个带着怀表的洋孩子: 怀表), with the nouns before it (铜 + 钥匙)."""
    found = None
    for index, (word, flag) in enumerate(pairs):
        if flag == "x" or (found and flag in ("v", "p", "d")):
            break
        following = pairs[index + 1][1] if index + 1 < len(pairs) else "x"
        noun = flag in ("n", "nz", "ng") or (flag == "v" and following == "x")
        if noun and len(word) >= 2 and following in ("x", "v", "p", "d", "f", "uj"):
            start = index
            while flag != "v" and start and pairs[start - 1][1] == "n" and han(pairs[start - 1][0]):
                start -= 1
            thing = "".join(w for w, _ in pairs[start : index + 1])
            found = found if thing.endswith(_PEOPLE_WORDS) else thing
        if flag == "n" and len(word) == 1 and index and pairs[index - 1][1] == "a":
            found = pairs[index - 1][0] + word  # 旧/a 信/n
    return found


def _read_en(text: str) -> Named:
    people: list[str] = []
    places: list[str] = []
    kin: list[str] = []
    things: list[str] = []
    titled: list[str] = []
    times = [m.group(0) for m in FESTIVAL.finditer(text)]
    times += [m.group(0) for m in _EN_YEAR.finditer(text)]
    for match in _EN_RUN.finditer(text):
        run = match.group(0)
        words = run.split()
        while words and words[0].lower() in _EN_OPENERS:
            words.pop(0)
        title = []
        while len(words) > 2 and words[0].lower() in _EN_TITLES:
            title.append(words.pop(0))  # "Captain Hollis Wren": the name is "Hollis Wren"
        run = " ".join(words)
        if not run or any(run in t or t in run for t in times if not t[0].isdigit()):
            continue
        lead = text[: match.start() + match.group(0).find(run)]
        noun = re.match(r"\s+([a-z]+)", text[match.end() :])
        if noun and noun.group(1) in _EN_PLACE_WORDS:  # "A Mars colony"
            places.append(f"{run} {noun.group(1)}")
        elif _EN_AFTER_PLACE.search(lead) or words[-1].lower() in _EN_PLACE_WORDS:
            places.append(run)
        elif re.search(r"\bthe\s+$", lead, re.I):
            things.append(f"the {run}")  # "the Naval Court": a body or a thing, no person
        elif len(words) >= 2:
            people.append(run)
            titled += [" ".join([*title, run])] if title else []
            if _EN_KIN.search(lead):
                kin.append(run)
    # A thing is a noun phrase with its article ("the only logbook"), never an adjective-led
    # cut of one ("only logbook"); "her logbook" is "logbook".
    things += [_thing(m) for m in _EN_THING.finditer(text) if m.group(2).split()[-1] not in
               _EN_NOT_THINGS]  # fmt: skip
    things += [_thing(m) for m in _EN_BEFORE_THING.finditer(text)]
    places = [p for p in places if p not in people]
    rivals = _rivals(text, people, False)
    return Named(*map(_unique, (tuple(people), tuple(places), tuple(times), tuple(things),
                                tuple(kin), rivals, tuple(titled))))  # fmt: skip


def _thing(match: re.Match[str]) -> str:
    article = match.group(1).strip().lower()
    return f"{article} {match.group(2)}" if article in ("a", "an", "the") else match.group(2)


_ZH_VERB_FLAGS = ("v", "vn", "vd", "p", "d", "r", "c")


def plain(phrase: str, chinese: bool, people: tuple[str, ...] = ()) -> bool:
    """Whether `phrase` can stand as a place or a name: a noun phrase, with no verb, no
    preposition and no person in it ("指向掌管…的上海" and "the first Tunde Okafor keeps it
    quiet" cannot)."""
    if any(person in phrase for person in people):
        return False
    if chinese:
        return not any(flag in _ZH_VERB_FLAGS for _, flag in segment.tagged(phrase[:100]))
    return not _EN_VERBS.search(phrase)


_EN_VERBS = re.compile(
    r"\b(?:is|are|was|were|has|have|had|must|will|would|can|could|should|keeps?|carr(?:y|ies)"
    r"|finds?|hides?|discovers?|wants?|opens?|calls?|comes?|takes?|goes|gets?|makes?|says?"
    r"|tells?|knows?|runs?|stops?|holds?|leads?|points?|first|who|that|which)\b",
    re.I,
)


def with_codex(given: Named, codex: Codex) -> Named:
    """What the writer named as the codex says it (the hero first, the rival marked), the
    reader's things and kin kept; `given` alone when the codex is empty."""
    if not codex.entries:
        return given
    people = sorted(codex.of_kind("person"), key=lambda entry: entry.role != HERO)
    return replace(
        given,
        people=tuple(entry.name for entry in people),
        places=tuple(entry.name for entry in codex.of_kind("place")),
        times=tuple(entry.name for entry in codex.of_kind("time")),
        rivals=tuple(entry.name for entry in people if entry.role == RIVAL),
    )
