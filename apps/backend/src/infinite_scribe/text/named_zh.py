# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""What a Chinese text names, word by word (issue 69): a person's name as jieba tags it or
splits it (韩/j 小川/nr -> 韩小川; 顾/v 南站/ns -> 顾南), a place with the nouns before it, the
thing a measure word opens (一只停在九点的怀表 -> 怀表), the place an idea opens with. `named`
walks a text with these."""

import itertools
import re
from functools import partial

from infinite_scribe.text import segment, vocabulary

SURNAMES = frozenset(vocabulary.characters("zh", "surnames"))
_ZH_ROLES = vocabulary.words("zh", "roles")
PEOPLE_WORDS = (*_ZH_ROLES, "人")  # 洋孩子, 证人: a person, never a thing
_ZH_PLACES = vocabulary.words("zh", "places")
_ZH_PLACE_ENDS = vocabulary.characters("zh", "place_ends")
_NOT_PLACES = vocabulary.words("zh", "not_places")
_NEVER_NAME_ENDS = tuple(vocabulary.characters("zh", "never_name_ends"))
NOT_NAME_OPENERS = frozenset(vocabulary.characters("zh", "not_name_openers"))
#: A tagged name ending so is a place (龙井村, 广寒宫); 王铁山 and 赵德海 are people.
_STRICT_PLACE_ENDS = vocabulary.characters("zh", "strict_place_ends")
_any = partial(vocabulary.either, "zh")  # a lexicon's list as a group of alternatives
_ON_THE_DAY = vocabulary.alternation("zh", "on_the_day")
ZH_TIME = re.compile(
    rf"(?:公元前?)?(?:\d{{1,4}}|[〇零一二三四五六七八九]{{4}})年(?:代)?"  # 一九八零年代
    rf"|{_any('eras')}[一二三四五六七八九十元]+年"
    # A festival with its event (上元夜, 中秋灯会): the writer's words whole.
    f"|{_any('festivals')}(?:夜|{vocabulary.alternation('zh', 'event_nouns')})?"
    # A reign's or a dynasty's years at the idea's start or after a stop, with the reign's name,
    # with the dynasty's before it (清朝乾隆年间).
    rf"|(?<![\u4e00-\u9fff]){_any('periods')}?[\u4e00-\u9fff]{{2}}{_any('reign_spans')}"
    rf"|(?<![\u4e00-\u9fff])[\u4e00-\u9fff]{{2,3}}{_any('ages')}(?=[，,的])"  # an age first
    # A festival the story is due before or after, whatever its name.
    rf"|(?<=[在于到])[\u4e00-\u9fff]{{2,4}}节(?=[前后]|之[前后]|{_ON_THE_DAY})"
    # An event the story is due before: a few words and an event noun, the one after 的 when
    # the event is someone's.
    rf"|(?<=[在于到的])[\u4e00-\u9fff]{{0,5}}?{_any('event_nouns')}"
    f"(?={_any('event_happens')}?之?前|{_ON_THE_DAY})"
    # A day of a month and a span the story is due within (七日之内).
    r"|(?:[一二三四五六七八九十冬腊正]{1,2}|\d{1,2})月(?:初|廿)?(?:[一二三四五六七八九十]{1,3}|\d{1,2})[日号]?"
    rf"|(?<=[在于])[一二三四五六七八九十百两\d]{{1,3}}{_any('span_units')}(?=之?内)"
    # A season the story is due before or after, by its last character (台风季, 雨季, 汛期).
    rf"|(?<=[在于到])[\u4e00-\u9fff]{{1,3}}{_any('season_ends')}(?=之?[前后])"
)
OPENS = ("", "，", "。")
_ZH_WHEN = f"(?:{ZH_TIME.pattern})[^，,。的]{{0,4}}"
_ZH_OPENING = re.compile(
    f"^(?:{_ZH_WHEN}[，,])?(?:{_ZH_WHEN}的|在)(?P<place>[\u4e00-\u9fff]{{2,8}})[，,]"
)
#: A measure word that opens a thing (一只, 两封): a number and one of the measures.
MEASURE = re.compile(f"^[一两几][{''.join(vocabulary.characters('zh', 'thing_measures'))}]$")
KIN = re.compile(vocabulary.alternation("zh", "kin"))


def describes(after: tuple[str, str]) -> bool:
    """Whether a place right before `after` describes it (日本商人, 日本商会: a nationality or
    an origin), so is no place of the story (火星殖民地 is one place)."""
    return after[1] in ("n", "nz", "nt") and not zh_place(after[0])


def describing(text: str) -> list[str]:
    """The places `text` says of the noun right after them (英国 + 商船): no place of the story."""
    pairs = itertools.pairwise(segment.tagged(text))
    return [word for (word, flag), after in pairs if flag == "ns" and describes(after)]


def opening_place(text: str) -> str | None:
    """The place a Chinese idea or draft opens with (宣统二年的大连, 在大连), whatever the
    tagger makes of the word (大连 is tagged an adverb), if no verb is in it."""
    match = _ZH_OPENING.match(text)
    place = match.group("place") if match else ""
    # No verb in it, nor a count or a demonstrative (一九八七年的那场矿难中: an event).
    verb = any(flag[0] in "vpurm" for _, flag in segment.tagged(place))
    return place if place and not verb else None


def zh_name(word: str, flag: str, after: tuple[str, str], before: str, later: str) -> str | None:
    """A person's name: tagged `nr` (not a place, a role or a dictionary word without a
    surname; `nrfg` a famous one's, 严世蕃), or a surname alone before the given name the
    tagger split off (韩 + 小川; 顾 + 南站 where 站上 is a word: 顾南). After a title or a
    role (特务头子丁墨村) a tagged name is a person's however it ends."""
    if said_where(after, before, later):
        return None  # 在 + 王府/nr + 里, 王府/nr + 里 + 的: where, not who
    if _name_tagged(word, flag):
        return _tagged_person(word, flag, after, before, later)
    if _given_alone(word, flag, after, before) or _opened_name(word, flag, before):
        return word
    if len(word) != 1 or word not in SURNAMES or word in NOT_NAME_OPENERS:
        return None
    return _split_name(word, after, before, later)


def said_where(after: tuple[str, str], before: str, later: str) -> bool:
    """Whether the word between `before` and `after` is where someone is: a locative after it
    and 在 before it (在王府里) or 的 after that (王府里的侍女)."""
    return after[0] in _LOCATIVES and (before in _WHERE_OPENS or later == "的")


def _name_tagged(word: str, flag: str) -> bool:
    """Tagged a name, a name's length, and no kin (二叔/nrt) nor role word."""
    longest = 6 if flag == "nrt" else 4  # 罗德里格斯: a transliteration runs longer
    # 之 inside a name, 的 anywhere, is the particle the tagger took in (玄机 + 子之命: the
    # master's order; 撑得 + 高高的/nrfg: held high).
    named = flag in NAME_TAGS and not KIN.fullmatch(word) and "之" not in word[:-1]
    named = named and "的" not in word
    return named and 2 <= len(word) <= longest and han(word) and word not in _ZH_ROLES


def _tagged_person(
    word: str, flag: str, after: tuple[str, str], before: str, later: str
) -> str | None:
    """A word tagged a name is a person's after a title or a role, a surname first however it
    ends; else as `_tagged_name` reads it."""
    if len(word) == 3 and word[-1] in _VERB_ENDS and after[1][:1] in ("p", "v", "d"):
        word = word[:2]  # 郑三想/nr + 在……: the tagger took the verb after the name into it
    if before in _COUNTS and word[0] in _MEASURES:
        return None  # 一 + 张嘴/nr: a measure word and a mouth, no 张
    place = surely_a_place(word)
    after_title = titled(before) and (word[0] in SURNAMES or not place)
    # 金吾卫 + 校尉 + 裴行俭: a body a title and a name follow describes them, no person.
    body = titled(after[0]) and 2 <= len(later) <= 3 and later[0] in SURNAMES
    return word if not body and (after_title or _tagged_name(word, flag)) else None


def _given_alone(word: str, flag: str, after: tuple[str, str], before: str) -> bool:
    """A given name without a surname the tagger calls a noun (狐女 + 青璃 + 联手): a word the
    dictionary lacks, after a role and before a verb; a word it knows is no name (狐女 + 一起)."""
    short = flag == "n" and 2 <= len(word) <= 3 and han(word) and word not in _ZH_ROLES
    placed = short and titled(before) and after[1].startswith("v")
    return placed and not segment.known(word)


def opened_by_role(pairs: list[tuple[str, str]], index: int) -> str | None:
    """A given name the dictionary knows as a word (清风, 白露), right after a role that opens
    its clause and before a verb (小道士 + 清风 + 奉): the role's own name, not a thing. The
    caller asks it only where no one is named before (渔民 + 船只 + 出海 after the hero: boats)."""
    if not 0 < index < len(pairs) - 1 or (index > 1 and pairs[index - 2][1] != "x"):
        return None
    word, flag = pairs[index]
    fits = flag == "n" and len(word) == 2 and han(word) and word not in _ZH_ROLES
    placed = titled(pairs[index - 1][0]) and pairs[index + 1][1].startswith("v")
    return word if fits and placed else None


_WHERE_OPENS = ("在", "于")
#: Verbs a tagger joins to a two-character name before them (郑三 + 想: 郑三想/nr).
_VERB_ENDS = frozenset(vocabulary.characters("zh", "name_end_verbs"))
_LOCATIVES = vocabulary.words("zh", "locatives")


def _opened_name(word: str, flag: str, before: str) -> bool:
    """A name a name opener begins (阿海, 小翠) after a title or a role (渔民 + 阿海), whatever
    the tagger's noun tag (阿海/ns)."""
    return len(word) == 2 and word[0] in _NAME_OPENERS and flag[:1] == "n" and titled(before)


_NAME_OPENERS = frozenset(vocabulary.characters("zh", "name_openers"))
#: The tags of a person's name: jieba's `nrfg` is a famous person's (严世蕃).
NAME_TAGS = ("nr", "nrt", "nrfg")
_TITLED = vocabulary.words("zh", "titles") | _ZH_ROLES
_ROLE_ENDS = vocabulary.characters("zh", "role_ends")
_NOT_ROLES = vocabulary.words("zh", "not_roles")
_COUNTS = frozenset(vocabulary.characters("zh", "numerals"))
_MEASURES = frozenset(vocabulary.characters("zh", "request_measures"))


def titled(before: str) -> bool:
    """Whether `before` is a title or a role said before a name (头子, 巡抚, 督陶官)."""
    ends = len(before) >= 2 and before.endswith(_ROLE_ENDS) and before not in _NOT_ROLES
    return before in _TITLED or ends  # 老家 + 湘西: home, no title


def trailing_given(name: str, pairs: list[tuple[str, str]], index: int) -> str:
    """A two-character name with the last character the tagger cut off as a measure word or a
    number (陆子 + 期 + 要, 罗伯 + 年 + 。): all three, when the clause goes on with a verb or
    ends there (王五 + 年 + 后 is no name); as a pronoun only where the clause ends (阿史 + 那 +
    。)."""
    if len(name) != 2 or index + 1 >= len(pairs) or pairs[index][0] != name:
        return name  # 林/ng + 舟/ns: the name took the next word already
    last, flag = pairs[index + 1]
    after = pairs[index + 2] if index + 2 < len(pairs) else ("", "x")
    # 陆沉 + 舟/ns + 追查: a place of one character is no place.
    cut = flag in ("q", "m", "ng", "ns") or (flag == "r" and after[1] == "x")
    return (
        name + last if len(last) == 1 and han(last) and cut and after[1][:1] in ("x", "v") else name
    )


_KIN_ROLES = tuple(vocabulary.words("zh", "kin_roles"))


def clause_end_name(pairs: list[tuple[str, str]], index: int) -> str | None:
    """A surname after a title or someone's kin (掌门之子 + 萧 + 问 + 天 + 。; 盐商之女 + 沈 +
    知意/v + 为了/p) with one or two characters up to the clause's end or a word that is never
    part of a name (a preposition, an adverb, a conjunction), whatever the tagger made of them:
    the whole name."""
    word = pairs[index][0]
    if word not in SURNAMES or word in NOT_NAME_OPENERS or index == 0:
        return None
    before = "".join(w for w, _ in pairs[max(0, index - 2) : index])
    if not (before.endswith(_KIN_ROLES) or titled(pairs[index - 1][0])):
        return None
    rest, flag = "", "x"
    for given, flag in pairs[index + 1 :]:
        if flag == "x" or (rest and flag[:1] in ("p", "d", "c")):
            break
        rest += given
    if len(rest) == 2 and rest[-1] in _VERB_ENDS and flag != "x":
        rest = rest[:1]  # 书生 + 王 + 涣要/v + 在: the verb after the name is no part of it
    return word + rest if 1 <= len(rest) <= 2 and han(rest) else None


def surely_a_place(word: str) -> bool:
    """A place the readers know, or a word with a place's surest ending (龙井村, 广寒宫):
    never a name, where 王铁山 and 赵德海 may be."""
    return word in _ZH_PLACES or word.endswith(_STRICT_PLACE_ENDS)


def _tagged_name(word: str, flag: str) -> bool:
    """Whether a word tagged a name is one: no place, and a transliteration (nrt: 佐藤), a
    surname first, or a word the dictionary does not know."""
    place = surely_a_place(word)
    if word.endswith(_NEVER_NAME_ENDS):  # 万寿节 a festival, 陶官 the end of a title (督陶官)
        return False
    return not place and (flag == "nrt" or word[0] in SURNAMES or not segment.known(word))


def _split_name(surname: str, after: tuple[str, str], before: str, later: str) -> str | None:
    """The surname with the given name the tagger split off after it, if it is one."""
    given, tag = after
    if not given or tag in ("v", "p", "x", "uj", "f") or not han(given) or len(given) > 2:
        return None
    if before and len(before) == 1 and before in SURNAMES:
        return None
    if tag == "ns" and len(given) == 2 and later and segment.known(given[1] + later[0]):
        return surname + given[0]
    return surname + given


#: A particle or an auxiliary (吗, 了, 的) ends a clause; it is never the last of a name.
_PARTICLES = ("y", "u", "e", "o", "x")


def whole_split_name(name: str, pairs: list[tuple[str, str]], index: int) -> str:
    """A surname and a one-character given name split off right before the clause's last
    character, said after a noun that describes them (掌柜 + 韩 + 大 + 有 + 。): the name is
    all three, the clause saying no more (交给 + 王五 + 看: a verb, as read)."""
    if len(name) != 2 or len(pairs[index][0]) != 1 or index + 2 >= len(pairs):
        return name
    if index == 0 or not pairs[index - 1][1].startswith("n"):
        return name
    last, flag = pairs[index + 2]
    ends = index + 3 == len(pairs) or pairs[index + 3][1] == "x"
    fits = len(last) == 1 and han(last) and not flag.startswith(_PARTICLES)
    return name + last if ends and fits else name


def han(word: str) -> bool:
    return bool(word) and all("\u3400" <= c <= "\u9fff" for c in word)


def add_place(places: list[str], pairs: list[tuple[str, str]], index: int) -> None:
    """The place at `index` with the plain nouns before it and the proper name before them
    (金陵 + 女子 + 学院), not another place (月球基地 + 广寒宫: 广寒宫) unless this one is a
    kind of place, said of the place before it (县城 + 中学)."""
    start, kind = index, pairs[index][0] in _ZH_PLACES
    while start and pairs[start - 1][1] == "n" and (kind or not zh_place(pairs[start - 1][0])):
        start -= 1
    if start < index and start and pairs[start - 1][1] in ("ns", "nr"):
        start -= 1
    back = start
    while back and pairs[back - 1][1] in ("n", "ns", "nz"):
        back -= 1
    counted = back and pairs[back - 1][1] == "m"  # 发现 + 一座 + 外星 + 基地: a thing found
    if counted and (back < 2 or pairs[back - 2][0] not in ("在", "于", "到")):
        return
    places.append("".join(word for word, _ in pairs[start : index + 1]))


def no_place(word: str) -> bool:
    """A word the tagger calls a place that is none: a kin word or a role (长孙/ns, 二叔), or
    what is done (下山/ns)."""
    return bool(KIN.fullmatch(word)) or word in PEOPLE_WORDS or word in _NOT_PLACES


def zh_place(word: str) -> bool:
    return word in _ZH_PLACES or (
        len(word) >= 2 and word.endswith(_ZH_PLACE_ENDS) and word not in _NOT_PLACES and han(word)
    )


#: "the only" before a thing: 唯一的调度日志 is a thing, whatever the tagger says of 日志.
ONLY = vocabulary.words("zh", "only")


def noun_run(pairs: list[tuple[str, str]]) -> str:
    """The nouns a thing is written with (调度/n 日志/ns -> 调度日志)."""
    run = []
    for word, flag in pairs:
        if flag not in ("n", "ns", "nz", "vn", "ng") or not han(word):
            break
        run.append(word)
    return "".join(run)


def zh_thing(pairs: list[tuple[str, str]]) -> str | None:
    """The noun a measure word (or 着) opens: the last noun before the clause goes on that is
    no person (一个带着怀表的洋孩子: 怀表), with the nouns before it (铜 + 钥匙)."""
    found = None
    for index, (word, flag) in enumerate(pairs):
        if flag == "x" or (found and flag in ("v", "p", "d")):
            break
        thing = _zh_noun_at(pairs, index)
        if thing:
            found = found if thing.endswith(PEOPLE_WORDS) else thing
        if flag == "n" and len(word) == 1 and index and pairs[index - 1][1] == "a":
            found = pairs[index - 1][0] + word  # 旧/a 信/n
    return found


def _zh_noun_at(pairs: list[tuple[str, str]], index: int) -> str | None:
    """The noun ending a run at `index` (the clause goes on after it), with the plain nouns
    before it, or None."""
    word, flag = pairs[index]
    following = pairs[index + 1][1] if index + 1 < len(pairs) else "x"
    # A word tagged a verb is the thing only right after the measure word (一卷 + 录音 + 。);
    # after a noun it is what is done with it (一只檀木匣 + 进京).
    opened = index == 0 or pairs[index - 1][1] not in ("n", "nr", "ns", "nz", "ng")
    noun = flag in ("n", "nz", "ng") or (flag == "v" and following == "x" and opened)
    if not noun or len(word) < 2 or following not in ("x", "v", "p", "d", "f", "uj"):
        return None
    start = index
    while flag != "v" and start and pairs[start - 1][1] == "n" and han(pairs[start - 1][0]):
        start -= 1
    return "".join(w for w, _ in pairs[start : index + 1])
