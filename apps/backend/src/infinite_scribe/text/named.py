# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""What the writer named (issue 69): the people, places, times and things of an idea or a
feedback, exactly as written, so every stage carries them verbatim and the generator never
invents a name for a role the writer named. Chinese by jieba's part-of-speech tags and
`named_zh`'s rules where the tagger splits or mistags a name; English by capitalised runs
(`named_en`), its times (`times_en`) and the noun phrase a verb takes. A phrase with a verb in
it is never a place or a name; a title is no part of a name (Captain Hollis Wren); the rival is
the one a word marks (nemesis, 宿敌).
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from infinite_scribe.text import (
    epithets,
    harm_zh,
    named_en,
    named_zh,
    opposed,
    reading_en,
    rival_zh,
    segment,
    times_en,
    vocabulary,
    where_zh,
)

_EN_RUN = re.compile(r"\b[A-Z][\w'’-]*(?:\s+(?:of\s+|de\s+|the\s+)?[A-Z][\w'’-]*)*")
_EN_KIN_WORDS = vocabulary.words("en", "kin")
_ZH_MARKS = vocabulary.words("zh", "request_foe")
_ZH_FINDING = frozenset(vocabulary.phrases("zh", "verb_leads"))
_NOT_TIMES = vocabulary.words("zh", "not_times")
_LOCATIVES = vocabulary.words("zh", "locatives")
_EN_MARK = "|".join(w.replace("-", " ") for w in vocabulary.words("en", "request_foe"))
#: What describes the rival between the word that marks them and their name ("his rival, the
#: night warden Ada Pike"): an article and up to three lower-case words.
_EN_ARTICLE = vocabulary.either("en", "articles")
_EN_DESCRIBED = rf"(?:{_EN_ARTICLE}\s+(?P<described>(?:[a-z'’-]+\s+){{1,3}}))?"
#: The mark, then a comma or a copula ("his rival, the warden", "her rival is the warden").
_EN_MARK_JOIN = rf"(?:,|\s+(?:{vocabulary.alternation('en', 'copulas')}))?"
_EN_MARK_BEFORE = re.compile(
    rf"\b(?:{_EN_MARK})\b{_EN_MARK_JOIN}\s+{_EN_DESCRIBED}(?:[A-Z][\w'’-]*\s+)?$"
)
_EN_OWNERS = vocabulary.either("en", "described_articles")
_EN_MARK_AFTER = re.compile(rf"^,\s+{_EN_OWNERS}\s+(?:[a-z-]+\s+)?(?:{_EN_MARK})\b")
_ZH_MARK_AFTER = re.compile(  # 是……宿敌, 正是幕后主使
    f"^{vocabulary.either('zh', 'copula_adverbs')}?是[^，,。；;]*?"
    + vocabulary.either("zh", "request_foe")
)
_EN_KIN = re.compile(  # "his friends Mara and Old Tom": both
    rf"\b({vocabulary.alternation('en', 'kin')})\s+(?:(?<=s\s)[A-Z][\w'’-]*\s+and\s+)?$"
)
#: One name after "the" and a role word is a person's ("the witch Morgause").
_EN_ROLE_BEFORE = re.compile(  # "the witch Morgause", "Hypatia's apprentice Theon"
    rf"\b(?:the|[A-Z][\w-]*(?:'s|’s)|(?P<a>[Aa]n?))\s+(?:[a-z-]+\s+)?"
    rf"(?:{vocabulary.alternation('en', 'roles')})\s+"
    r"(?(a)(?:named|called)\s+|(?:(?:named|called)\s+)?)$"  # "a thief called Wren"
)
_EN_QUOTED = re.compile(rf"\b(?:{reading_en.NAMINGS})\s+[\"“]$")
_ZH_KIN = re.compile(f"(?:{named_zh.KIN.pattern})$")


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
    #: A person with the title the writer gave them (the name is without it, the card with it).
    titled: tuple[str, ...] = ()

    def over(self, older: "Named") -> "Named":
        return Named(*(_unique((*getattr(self, f), *getattr(older, f))) for f in _FIELDS))

    @property
    def items(self) -> tuple[str, ...]:
        return _unique((*self.people, *self.places, *self.times, *self.things))


_FIELDS = ("people", "places", "times", "things", "kin", "rivals", "titled")


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item for item in items if item))


@lru_cache(maxsize=256)
def read(text: str, chinese: bool) -> Named:
    """What `text` names (its first 500 characters). Cached: a session's idea is read at
    every stage and every chapter (a cold 500 characters of Chinese is about 1.7 ms)."""
    text = " ".join(text.split())[:500]
    return _read_zh(text) if chinese else _read_en(text)


@dataclass
class _Found:
    """What a reading found so far, in the order written (lists it appends to)."""

    people: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    times: list[str] = field(default_factory=list)
    things: list[str] = field(default_factory=list)
    kin: list[str] = field(default_factory=list)
    titled: list[str] = field(default_factory=list)
    #: People named only by an epithet ("the Warden", 老狐狸), none tied to the hero.
    epithets: list[str] = field(default_factory=list)


def _read_zh(text: str) -> Named:
    pairs = segment.tagged(text)
    found = _Found(times=[m.group(0) for m in named_zh.ZH_TIME.finditer(text)])
    for index in range(len(pairs)):
        _zh_token(text, pairs, index, found)
    return _zh_settled(text, found)


def _neighbours(pairs: list[tuple[str, str]], index: int) -> tuple[tuple[str, str], str, str]:
    """The pair after `index`, the word before it and the word two after it."""
    after = pairs[index + 1] if index + 1 < len(pairs) else ("", "x")
    before = pairs[index - 1][0] if index else ""
    later = pairs[index + 2][0] if index + 2 < len(pairs) else ""
    return after, before, later


def _zh_token(text: str, pairs: list[tuple[str, str]], index: int, found: _Found) -> None:
    """What the word at `index` names: a person, a place or a time, and a thing it opens."""
    word, flag = pairs[index]
    after, before, later = _neighbours(pairs, index)
    name = _zh_person(pairs, index, after, before, later)
    if name is None and not found.people:  # the hero's introduction: no one named before
        name = named_zh.opened_by_role(pairs, index)
    if _rest_of_a_name(found, name, before, word):
        return  # 韩 + 小川, 顾 + 南站, 维克多 · 凯恩: the rest of a name the tagger split
    if name:
        found.people.append(name)
        if named_zh.KIN.search(before):
            found.kin.append(name)
    elif _zh_place_at(word, flag, after, later) and not _counted(pairs, index):
        named_zh.add_place(found.places, pairs, index)
    elif flag == "ns" and after[1] == "n" and later in _LOCATIVES:  # 上海 + 弄堂 + 里: two places
        found.places += [word, after[0]]
    elif flag == "t" and len(word) >= 2 and not _in_time(text, word, found.times):
        _add_time(found.times, before, word)
    thing = _zh_opened_thing(pairs, index, before, after)
    if thing:
        found.things.append(thing)


def _rest_of_a_name(found: _Found, name: str | None, before: str, word: str) -> bool:
    """Whether `word` only goes on with the name read last: the part after a dot (凯瑟琳 · 李,
    whatever follows: 李 + 必须 is no name), or a word no name opens that the name began."""
    last = found.people[-1] if found.people else ""
    if harm_zh.rest_of(last, before, word):
        return True
    return name is None and bool(last) and (before + word).startswith(last)


def _add_time(times: list[str], before: str, word: str) -> None:
    """A word tagged a time, joined to the time read right before it (明朝 + 嘉靖 + 年间)."""
    if before and times and times[-1].endswith(before):
        times[-1] += word
    else:
        times.append(word)


def _zh_person(
    pairs: list[tuple[str, str]], index: int, after: tuple[str, str], before: str, later: str
) -> str | None:
    """The name the word at `index` opens, whole: one of several words (维克多 · 凯恩, a
    compound, a foreign or a Japanese name), or one the tagger tagged or split."""
    joined = harm_zh.dotted_name(pairs, index) or harm_zh.compound_name(pairs, index)
    joined = joined or harm_zh.titled_foreign(pairs, index) or harm_zh.japanese_name(pairs, index)
    word, flag = pairs[index]
    name = named_zh.zh_name(word, flag, after, before, later) or named_zh.clause_end_name(
        pairs, index
    )
    name = (
        named_zh.trailing_given(named_zh.whole_split_name(name, pairs, index), pairs, index)
        if name
        else None
    )
    return joined or name


def _counted(pairs: list[tuple[str, str]], index: int) -> bool:
    """A place word a measure word opens before a noun (一座 + 外星 + 遗迹) describes a thing."""
    return 0 < index < len(pairs) - 1 and pairs[index - 1][1] == "m" and pairs[index + 1][1] == "n"


def _in_time(text: str, word: str, times: list[str]) -> bool:
    """Whether a word tagged a time is part of one read (上 + 元夜 in 上元夜) or no time (正在)."""
    at = text.find(word)
    spans = [(text.find(time), len(time)) for time in times]
    overlaps = any(0 <= start < at + len(word) and at < start + size for start, size in spans)
    return overlaps or word in _NOT_TIMES


def _zh_place_at(word: str, flag: str, after: tuple[str, str], later: str) -> bool:
    """A place tagged so (not describing the noun after it), a noun that reads as one, or a
    word tagged a name that someone is said to be in (王府/nr + 里 + 的 + 侍女)."""
    tagged = flag == "ns" and not named_zh.describes(after) and not named_zh.no_place(word)
    held = flag == "nr" and named_zh.said_where(after, "", later)  # no 在 before: 里 + 的
    return tagged or held or (flag in ("n", "nr", "nz") and named_zh.zh_place(word))


def _zh_opened_thing(
    pairs: list[tuple[str, str]], index: int, before: str, after: tuple[str, str]
) -> str | None:
    """The thing the word at `index` opens (a measure word, 着, "the only"), or is."""
    word, flag = pairs[index]
    if named_zh.MEASURE.match(word) or (word == "着" and flag == "uz"):
        return named_zh.zh_thing(pairs[index + 1 : index + 9])
    if flag == "n" and (after[0] == "被" or (before in named_zh.OPENS and after[0] == "是")):
        return word  # 鹦鹉是……, 账本被……
    if word in named_zh.ONLY and after[0] == "的":
        return named_zh.noun_run(pairs[index + 2 : index + 5])  # 唯一的调度日志
    return None


def _zh_settled(text: str, found: _Found) -> Named:
    """The items found, each kind without what another kind holds."""
    found.epithets = [n for n in epithets.zh_people(text) if not _inside(n, found.kin)]
    found.people += found.epithets + epithets.zh_called(text)
    # A word of a time is no person (端午龙舟赛: 龙舟赛 tagged a name).
    found.people = [p for p in found.people if not any(p in t and p != t for t in found.times)]
    people, places, times, things = found.people, found.places, found.times, found.things
    opening = named_zh.opening_place(text)
    if opening and not any(p in opening for p in places):
        places.insert(0, opening)
    # A name read whole once and cut short elsewhere (韩大有, 韩大) is one person.
    people = [p for p in people if not _inside(p, [q for q in people if q != p])]
    places = where_zh.with_places(text, places)
    places = [p for p in places if not _inside(p, (*people, *times))]
    times = [t for t in times if not _inside(t, people)]
    places = [p for p in places if p not in things]
    things = [t for t in things if t not in places and not t.endswith(named_zh.PEOPLE_WORDS)]
    things = [t for t in things if not named_zh.KIN.fullmatch(t)]  # 姐姐是警察: a person
    things = [t for t in things if not _inside(t, people) and not epithets.zh_naming(t)]
    people, rivals = _zh_rivals(text, people, found.epithets)
    return Named(*map(_unique, (people, places, times, things, found.kin, rivals)))


def _zh_rivals(
    text: str, people: list[str], named_by_epithet: list[str]
) -> tuple[list[str], tuple[str, ...]]:
    """The people and the rivals: those a word marks, opposes or harms; with none, one named
    only by a nickname, or a monster fought (对抗吸人精魄的黑山老妖) as a person and the rival."""
    rivals = _rivals(text, people, True) + rival_zh.opposed(text, people)
    rivals += harm_zh.harming(text, people)
    rivals = epithets.unmarked_rival(named_by_epithet, rivals, ())
    beast = None if rivals else harm_zh.monster(text, people)
    return ([*people, beast], (beast,)) if beast else (people, rivals)


def _inside(item: str, names: tuple[str, ...] | list[str]) -> bool:
    return any(item in name for name in names)


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


def _rivals(text: str, people: list[str], chinese: bool) -> tuple[str, ...]:
    """The people a word marks as the rival, before the name in its clause (宿敌白三爷) or after
    it ("Marc Vidal, her old enemy")."""
    found = []
    for person in people:
        at = text.find(person)
        before, after = text[: max(at, 0)], text[at + len(person) :]
        marked: object
        if chinese:
            clause = re.split(r"[，,。；;！!？?]", before)[-1]
            marked = any(mark in clause for mark in _ZH_MARKS) or _ZH_MARK_AFTER.match(after)
        else:
            marked = (  # a word marks them, or they are opposed ("hunted by", "must stop")
                _en_marked(before) or _EN_MARK_AFTER.match(after) or opposed.opposed(before, after)
            )
        if marked:
            found.append(person)
    return tuple(found)


_EN_NOT_DESCRIBING = vocabulary.words("en", "stop", "verbs")
_ZH_COPULAS = vocabulary.longest_first(vocabulary.words("zh", "copulas"))
_ZH_COPULA_ADVERBS = vocabulary.longest_first(vocabulary.words("zh", "copula_adverbs"))


def _en_marked(before: str) -> re.Match[str] | None:
    """The word marking the rival right before their name, with what describes them; none if
    a word of that description is a verb or a function word ("the man who …")."""
    match = _EN_MARK_BEFORE.search(before)
    described = (match.group("described") or "").split() if match else []
    return None if set(described) & _EN_NOT_DESCRIBING else match


def rival_words(text: str, person: str, chinese: bool) -> tuple[str, ...]:
    """What describes the rival between the word that marks them and their name ("his rival,
    the night warden Ada Pike": "night warden"; 对手是茶楼掌柜马六: 茶楼掌柜)."""
    at = text.find(person)
    before = text[: max(at, 0)]
    if not chinese:
        match = _en_marked(before) if at > 0 else None
        described = match.group("described") if match else opposed.described(before)
        return (described.strip(),) if described else ()
    if nicknamed := epithets.zh_described(text, person):
        return (nicknamed,)  # 人称“铁面判官”的巡检: 巡检
    clause = re.split(r"[，,。；;！!？?]", before)[-1]
    marks = [(clause.rfind(mark), mark) for mark in _ZH_MARKS if mark in clause]
    if at <= 0 or not marks:  # 督陶官冯保却……: the title said before an opposed rival's name
        return _zh_title(text, person)
    at_mark, mark = max(marks)
    said = clause[at_mark + len(mark) :].lstrip("、：:")  # 对手、港务长陈伯: 港务长
    said = said[len(next((a for a in _ZH_COPULA_ADVERBS if said.startswith(a)), "")) :]  # 竟是
    said = said[len(next((c for c in _ZH_COPULAS if said.startswith(c)), "")) :]
    return (said,) if 2 <= len(said) <= 12 and named_zh.han(said) else ()


def _zh_title(text: str, person: str) -> tuple[str, ...]:
    """The title said right before the name of a rival no word marks (督陶官冯保却……)."""
    title = harm_zh.title(text, person) or rival_zh.title_before(text, person) or ""
    title = title[len(rival_zh.opener(title)) :]  # 可 + 地产商何志强: the title is 地产商
    pairs = segment.tagged(title)
    # The clause's adverb or verb of finding is no part of the title after it (却 + 发现 +
    # 盐运使冯敬尧); a title alone keeps whatever tag the tagger gives it (帮主/v).
    while len(pairs) > 1 and (pairs[0][1] in ("d", "c") or pairs[0][0] in _ZH_FINDING):
        pairs.pop(0)
    return ("".join(word for word, _ in pairs),) if pairs else ()


def _read_en(text: str) -> Named:
    found = _Found(times=times_en.read(text))
    for match in _EN_RUN.finditer(text):
        _en_run(text, match, found)
    found.things += named_en.things(text)
    people = found.people
    places = [p for p in found.places if p not in people]
    rivals = epithets.unmarked_rival(found.epithets, _rivals(text, people, False), found.kin)
    lists = (people, places, found.times, found.things, found.kin, rivals, found.titled)
    return Named(*map(_unique, lists))


def _en_run(text: str, match: re.Match[str], found: _Found) -> None:
    """What a capitalised run names: a place, a thing ("the Naval Court") or a person (with
    the title the writer gave them)."""
    title, words = named_en.titled(match.group(0).split())
    opening = not text[: match.start()].strip() or text[: match.start()].rstrip()[-1] in ".!?;"
    if opening and len(words) > 2 and reading_en.is_role(words[0], opening=True):
        words = words[1:]  # "Beekeeper Tobias Lind": the role is no part of the name
    run = " ".join(words)
    if not run or any(run in t or t in run for t in found.times if not t[0].isdigit()):
        return
    lead, after = text[: match.start() + match.group(0).find(run)], text[match.end() :]
    place = named_en.place(run, lead, after)
    run = run if place else named_en.with_shared_surname(run, lead, after)
    the = re.search(r"\bthe\s+$", lead, re.I)
    if the and (named_en.epithet(run) or (not place and epithets.en_acting(after))):
        found.people.append(f"the {run}")  # "from the Baron": a person, not a place
        found.epithets += [] if epithets.en_tied(lead[: the.start()]) else [f"the {run}"]
    elif place:
        found.places.append(place)
    elif the and reading_en.is_role(after.split()[0] if after.split() else ""):
        return  # "the Gestapo officer Klaus Brandt": the run describes the role after it
    elif the:
        # "the" and a run: a body or a thing, unless a word marks it as the rival.
        marked = _en_marked(lead[: lead.rstrip().rfind(" ") + 1]) or _EN_MARK_AFTER.match(after)
        (found.people if marked else found.things).append(f"the {run}")
    elif " " in run or any(p.search(lead) for p in (_EN_KIN, _EN_QUOTED, _EN_ROLE_BEFORE)):
        found.people.append(run)
        found.titled += [" ".join([*title, run])] if title else []
        if _EN_KIN.search(lead) and not named_en.OPENING_KIN.search(lead):
            found.kin.append(run)


def kin_words(text: str, person: str, chinese: bool) -> tuple[str, ...]:
    """The kin word `text` names `person` by where it first names them ("his aunt Rosa":
    "aunt"; 妹妹沈清禾: 妹妹), if any."""
    at = text.find(person)
    found = (_ZH_KIN if chinese else _EN_KIN).search(text[: max(at, 0)]) if at > 0 else None
    word = found.group(found.re.groups).strip() if found else ""  # "his friends Mara": "friend"
    return (word[:-1] if word[:-1] in _EN_KIN_WORDS else word,) if found else ()
