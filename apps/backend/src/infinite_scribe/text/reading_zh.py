# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""Reading a Chinese idea or feedback: jieba's words and a few rules find the hero (a role such
as 女法医), the place (火星殖民地), the time (2150年), what happens and the writer's wishes."""

import itertools
import re
from functools import partial

from infinite_scribe.text import core_zh, named, named_zh, segment, vocabulary, where_zh, wishes_zh
from infinite_scribe.text.copula_zh import copula_hero
from infinite_scribe.text.facts import Facts
from infinite_scribe.text.requests import by_clause, read_changes
from infinite_scribe.text.rival_zh import own_clauses
from infinite_scribe.text.untold_zh import untold

_words = partial(vocabulary.alternation, "zh")  # a lexicon's list as an alternation
_han, _is_place = named_zh.han, named_zh.zh_place
_SURNAMES, _NOT_NAME_OPENERS = named_zh.SURNAMES, named_zh.NOT_NAME_OPENERS
ROLES = vocabulary.words("zh", "roles")
_ROLE_ENDS = vocabulary.characters("zh", "role_ends")
_NOT_ROLES = vocabulary.words("zh", "not_roles")
_MODIFIERS = vocabulary.words("zh", "modifiers")
_MEASURES = vocabulary.words("zh", "measures")
#: A given name may open with 阿 or 小 (阿罗, 小满); a word opening with a direction or a
#: preposition is not a name, whatever surname it looks like (上守灯).
_NAME_OPENERS = frozenset(vocabulary.characters("zh", "name_openers"))
#: The writer's time as written, the named reader's first (民国二十三年 before 民国).
_TIME = re.compile(
    f"{named_zh.ZH_TIME.pattern}|"
    r"(公元前?\d{1,4}年|\d{2,4}\s*年代?|[一二三四五六七八九十百千万两]+年(?:前|后)"
    f"|{_words('periods')})"
)
_SENTENCE_END = re.compile(r"[。！？!?\n；;]")
_VERB_LEADS = vocabulary.phrases("zh", "verb_leads")  # the longest first
_FUNCTION = vocabulary.words("zh", "function")
_STOPS = _FUNCTION - {"的", "会"} | vocabulary.words("zh", "stops")
_DIRECTIONS = vocabulary.words("zh", "directions")
#: A role's last character jieba cuts off (守灯 + 人).
_ROLE_TAILS = vocabulary.characters("zh", "role_tails")
_KIN_ROLES = vocabulary.words("zh", "kin_roles")  # 之女: a child's place is a role
#: A verb that says what its subject is (是, 身为): the role after it is the hero's own.
_COPULAS = vocabulary.words("zh", "copulas")
_NUMERALS = "".join(vocabulary.characters("zh", "numerals"))
_CLAUSE_MARKS = ("，", ",", "；", ";", "：", ":", "、")
#: A modal verb (必须, 要): what follows is a task of the hero's.
_MODALS = tuple(vocabulary.words("zh", "modals"))
_SUBJECTS = vocabulary.words("zh", "subject_pronouns")  # 他 + 手按长剑: a pronoun, no role


def is_role(word: str) -> bool:
    # 一家 (a shop), 两位: a number and a measure word, not a role ending in 家 or 位.
    if word in ROLES:
        return True
    ends = len(word) >= 2 and word.endswith(_ROLE_ENDS) and word not in _NOT_ROLES
    return ends and _han(word) and word[0] not in _NUMERALS and word[0] not in _SUBJECTS


def _name(word: str) -> bool:
    """A person's name the writer made up: not in the dictionary, and it starts with a surname;
    a job or a trade is not a name (胡商, issue 55)."""
    if not (2 <= len(word) <= 3 and _han(word)) or word[0] in _NOT_NAME_OPENERS:
        return False
    return word[0] in _SURNAMES and not segment.known(word) and not is_role(word)


def _hero_name(words: list[str], after: int) -> str | None:
    """The name right after the hero's role (仵作宋慈, 女儿阿罗): an apposition."""
    if after < 0 or after >= len(words):
        return None
    word = words[after]
    if not (2 <= len(word) <= 3 and _han(word)) or is_role(word) or _is_place(word):
        return None
    # Right after the role a known word may be a name too (宋慈 is in the dictionary).
    opens = word[0] in _NAME_OPENERS or (word[0] in _SURNAMES and word[0] not in _NOT_NAME_OPENERS)
    return word if opens and word not in _STOPS else None


def _merged(words: list[str]) -> list[str]:
    """Words with a role's last character joined back to it (守灯 + 人 -> 守灯人)."""
    out: list[str] = []
    for word in words:
        joins = out and _han(out[-1]) and out[-1] not in _FUNCTION and len(out[-1]) <= 3
        if word in _ROLE_TAILS and joins and not _is_place(out[-1]):
            out[-1] += word
        else:
            out.append(word)
    return out


def _hero(words: list[str]) -> tuple[str | None, int]:
    """The first role with its modifiers (女 + 法医 -> 女法医) and the index after it."""
    for index, word in enumerate(words):
        if not is_role(word) or _taken(words, index):
            continue
        start = _modified_from(words, index)
        if _trade(words, start, described=True):
            start -= 1  # 铁路巡警白露 after a comma, 上海的钢琴教师: the hero's trade
        end = index + 1
        while end < len(words) and is_role(words[end]):
            end += 1  # 少年 + 剑客: one role
        if end < len(words) and words[end][0] == "之" and words[end] in _KIN_ROLES:
            end += 1  # 窑工之女 (one word to the segmenter): the daughter is the hero
        elif end + 1 < len(words) and words[end] + words[end + 1] in _KIN_ROLES:
            end += 2  # 胡商 + 之 + 女: two words
        elif end + 1 < len(words) and words[end] in "的之" and is_role(words[end + 1]):
            end += 2  # 胡商的女儿: the daughter is the hero, her father's trade describes her
        return "".join(words[start:end]), end
    return None, -1


def _modified_from(words: list[str], index: int) -> int:
    """Where the role at `index` starts with its modifiers (女 + 法医, 年轻 + 的 + 水手), or an
    acronym right before it (AI + 工程师)."""
    start = index
    if start > 0 and words[start - 1].isascii() and words[start - 1].isupper():
        return start - 1
    while start > 0 and (
        words[start - 1] in _MODIFIERS
        or (words[start - 1] == "的" and start > 1 and words[start - 2] in _MODIFIERS)
    ):
        start -= 1
    return start


def _taken(words: list[str], index: int) -> bool:
    """Whether the role at `index` is what a verb of its clause takes (找到 + 凶手: the one
    the hero looks for), not what the hero is: a verb before it and no verb saying what its
    subject is (是, 身为); with a 的 after the verb (来自上海的女法医 is described), only when the
    verb's subject stands before it in the clause (她必须……找到失踪的父亲: whom she looks for)."""
    described = False
    for at in range(index - 1, -1, -1):
        word = words[at]
        if word in _CLAUSE_MARKS or word in _COPULAS:
            return False
        if word == "的":
            described = True
        elif not is_role(word) and any(flag.startswith("v") for _, flag in segment.tagged(word)):
            return not described or _said_by_subject(words, at)
    return False


def _said_by_subject(words: list[str], verb: int) -> bool:
    """Whether a pronoun or a name opens the clause of the verb at `verb` (她必须……找到)."""
    for word in reversed(words[:verb]):
        if word in _CLAUSE_MARKS:
            return False
        if word in _SUBJECTS or _name(word):
            return True
    return False


def _named_role(words: list[str], people: tuple[str, ...] = ()) -> tuple[str, int] | None:
    """The role right before the first name (码头工人秦小满, 绣娘林婉; 叶知秋, a dictionary
    word, as the names' reader read it), whatever the word if it is a noun, with the trade
    before it (冰雕 + 师傅, 青云山的 + 外门 + 弟子); and the name's index."""
    given = tuple(people)  # 叶知秋要 one word, 林 + 晚秋 two: the name the names' reader read
    first = next(
        (
            at
            for at, w in enumerate(words)
            if _name(w) or "".join(words[at : at + 3]).startswith(given)
        ),
        -1,
    )
    word = words[first - 1] if first > 0 else ""
    tags = segment.tagged(word) if len(word) >= 2 and _han(word) else []
    noun = len(tags) == 1 and tags[0][1] in ("n", "nr", "nz")
    if not tags or _is_place(word) or not (noun or is_role(word)):
        return None
    start = first - 2 if _trade(words, first - 1, described=True) else first - 1
    return "".join(words[start:first]), first


def _trade(words: list[str], start: int, described: bool = False) -> bool:
    """Whether the word before a role at `start` opens its clause and is a plain noun (铁路 in
    铁路巡警白露要…… after a comma): part of the role, not a place, a time or a name."""
    opener = words[start - 2] if start > 1 else ""
    opens = opener in ("", "，", ",", "；", ";", "：", ":") or opener[-1:] == "名"
    if start < 1 or not (opens or (described and opener == "的")):  # 青云山的 + 外门弟子
        return False  # 铁路巡警 after a comma, and 一名铁路巡警, open the hero's phrase
    word = words[start - 1]
    plain = len(word) == 2 and _han(word) and word not in _STOPS and not _TIME.search(word)
    plain = plain and word[0] not in _NUMERALS  # 一名 before a role is its measure word
    return plain and not _is_place(word) and not _name(word) and not is_role(word)


def _places(words: list[str]) -> list[str]:
    """Places in the order named: runs of place words (火星 + 殖民地), with what describes
    them before a 的 (终年飘雪的城市) or after a measure word (一座 + 会遗忘的城市)."""
    found: list[str] = []
    index = 0
    while index < len(words):
        if not _is_place(words[index]):
            index += 1
            continue
        start = end = index
        while end + 1 < len(words) and _is_place(words[end + 1]):
            end += 1
        if start > 0 and words[start - 1] in _DIRECTIONS:
            start -= 1
        start = _described_from(words, start)
        phrase = "".join(words[start : end + 1]).lstrip("的")
        when = named_zh.ZH_TIME.match(phrase)  # 成化年间的景德镇: the time is no part of it
        phrase = phrase[when.end() :].lstrip("的") if when and phrase[when.end() :] else phrase
        if found and found[-1] in phrase:
            found[-1] = phrase  # 北海边 + 的小镇: one place
        else:
            found.append(phrase)
        index = end + 1
    return found


def _described_from(words: list[str], start: int) -> int:
    """Where a place's description begins: back over "X的" (at most four words), or to the
    measure word that opens the phrase."""
    for back in range(start - 1, max(start - 6, -1), -1):
        if words[back] in _MEASURES:
            return back + 1
        if not _han(words[back]) or words[back] in _STOPS or is_role(words[back]):
            break
        if _name(words[back]) or _TIME.fullmatch(words[back]):
            break
    if start < 2 or words[start - 1] != "的":
        return start
    back = start - 1
    while back > max(start - 5, 0) and _han(words[back - 1]):
        word = words[back - 1]
        if word in _STOPS or is_role(word) or _name(word) or word in _MEASURES:
            break
        back -= 1
    return back if back < start - 1 else start


def _event(
    words: list[str], after: int, places: list[str], name: str | None, people: tuple[str, ...]
) -> str | None:
    """What happens to the hero: the words after them, without where (在…) and who again."""
    if after < 0:
        return None
    rest = "".join(words[after:]).strip("，,、：: ").removeprefix("他").removeprefix("她")
    if name:
        rest = rest.removeprefix(name)
    for place in places:
        for lead in ("在" + place, "于" + place, place):
            if rest.startswith(lead):
                rest = rest.removeprefix(lead).lstrip("，,的里上中 ").removeprefix("深处")
    return own_clauses(rest, people, name)[:200] or None


#: A preposition saying for whom the hero acts (替地下党藏起……): a deed follows.
_FOR = vocabulary.words("zh", "benefactives")
_SEARCH = re.compile(
    f"^(?:{_words('search_modals')})[^，,。]{{0,12}}?(?:{_words('search_verbs')})(.+)$"
)


def event_core(event: str) -> str:
    """What is found out, without the finding ("发现记录被篡改" -> "记录被篡改")."""
    for lead in _VERB_LEADS:
        if event.startswith(lead):
            return event.removeprefix(lead).lstrip("了：:，, ") or event
    # A task turns on what it searches for; a task that is no search on nothing: "" (untold).
    task = _SEARCH.search(event)
    if task and len(task.group(1)) >= 2:
        return core_zh.bare(task.group(1))
    if core_zh.searched(event):  # 在九龙城寨追查父亲失踪的真相: 父亲失踪
        return core_zh.searched(event) or ""
    if event.startswith(_MODALS):
        return ""
    # Where first (在酒肆里 + 发现……): what is found; the hero's own deed: nothing to find out.
    where = re.match(f"^[在于][^，,]{{1,10}}?(?:{'|'.join(_VERB_LEADS)})", event)
    if where:
        return event[where.end() :].lstrip("了：:，, ") or event
    return "" if _a_deed(segment.tagged(event)) else event


def _a_deed(pairs: list[tuple[str, str]]) -> bool:
    """Whether an event opens on the hero's own deed: a verb (守着灯塔), or one for whom she
    acts (替地下党……); after where she is, a verb holding on (在白石岛 + 守/v 着/uz: a state,
    not 在锦里 + 丢了……, something that happened there)."""
    if pairs[:1] and pairs[0][0] in ("在", "于"):
        after = list(itertools.dropwhile(lambda pair: pair[1][:1] in "nsf", pairs[1:]))
        return after[:1] != [] and after[0][1][:1] == "v" and after[1:2] == [("着", "uz")]
    return bool(pairs) and (pairs[0][1][:1] == "v" or pairs[0][0] in _FOR)


def read(text: str) -> Facts:
    """The facts a Chinese idea or story text states (its first sentence tells what happens)."""
    text = " ".join(text.split())[:600]
    if not text:
        return Facts()
    first = _SENTENCE_END.split(text, 1)[0]
    words = _merged(segment.words(first))
    all_words = words if first == text else _merged(segment.words(text))
    found = named.read(text, True)
    places = _text_places(text, all_words, found)
    time = _TIME.search(text)
    when = time.group(0) if time else None
    people = found.people
    said = copula_hero(first, people)
    if said is not None:  # a copula says what the hero is, a clause what she must do
        return Facts.told(said.role, said.name, places, when, said.task)
    hero, after = _hero(words)
    attached = _named_role(words, people)
    if attached and (hero is None or after > attached[1]):
        hero, after = attached  # 绣娘林婉…对手是织造太监冯保: the role the hero is given
    name = _named_hero(first, words, after, all_words, people)
    event = _event(words, after, places, name, people)
    if event is None and hero is None:
        event = untold(first, places, when, people)
    return Facts.told(hero, name, places, when, event)


def _named_hero(
    first: str, words: list[str], after: int, all_words: list[str], people: tuple[str, ...]
) -> str | None:
    """The hero's name: a person read whole right after the role, the word there, or the
    first name the text says."""
    said_after = "".join(words[after:]) if after >= 0 else ""  # 镖师 + 杨 + 青锋: 杨青锋
    name = next((p for p in people if said_after.startswith(p)), None)
    name = name or _hero_name(words, after) or next((w for w in all_words if _name(w)), None)
    # A name the segmenter cut short (林晚 + 舟) is the whole name the names' reader read.
    return next((p for p in people if name and p.startswith(name) and p in first), name)


def _text_places(text: str, words: list[str], found: named.Named) -> list[str]:
    """The places the words name, the place the text opens with first; none that is a time, or
    a thing or a person as the names' reader reads it (守着 + 灯塔: what a verb takes; 渔民 +
    阿海/ns: a name)."""
    said = (*found.things, *found.people, *named_zh.describing(text))
    times = [match.group(0) for match in named_zh.ZH_TIME.finditer(text)]
    places = [p for p in _places(words) if not any(p in t for t in times) and p not in said]
    places = [place for place in places if not where_zh.found_thing(text, place)]
    opening = named_zh.opening_place(text)
    if opening and not any(opening in place or place in opening for place in places):
        places.insert(0, opening)  # 宣统二年的大连: the story's place, whatever its tag
    return places


_ACT_WISH = re.compile(
    f"第([一二三四五12345])幕(?:{_words('act_places')})?(?:{_words('act_modals')})*"
    f"(?:{_words('act_wish_verbs')})?(?:{_words('act_counts')})?(.+)"
)
STYLES = re.compile(_words("styles"))
_TIME_CUES = re.compile(_words("time_cues"))
_NUMBERS = vocabulary.numbers("zh", "digits")


def read_feedback(feedback: str) -> Facts:
    """What a Chinese feedback asks for, clause by clause (主角必须是…, 加入…, 第二幕要有…)."""
    return by_clause(feedback, _SENTENCE_END, _directive, tuple(STYLES.findall(feedback)))


def _directive(clause: str) -> Facts:
    if (asked := read_changes(clause, "zh", read, _TIME)) is not None:
        return asked
    if match := _ACT_WISH.search(clause):
        number = _NUMBERS.get(match.group(1)) or int(match.group(1))
        return Facts(acts=((number, wishes_zh.clean(match.group(2))),))
    if (added := wishes_zh.added(clause)) is not None:
        return Facts(elements=added)
    time = _TIME.search(clause) if _TIME_CUES.search(clause) else None
    return Facts(time=time.group(0) if time else None)
