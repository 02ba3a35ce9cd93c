# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""Where a Chinese hero is, said after 在 (issue 76, second walk): the words up to a locative
(在荒山古寺中, 在地下网络深处; 在木卫二的冰层深处: 木卫二, what the rest is part of), or a
place the tagger knows with the place nouns after it (在马六甲海峡 + 遭遇, whatever the tagger
makes of the verb). A span (在七日之内) or a time is no place."""

import re

from infinite_scribe.text import named_zh, segment, vocabulary

_ENDS = vocabulary.alternation("zh", "locative_ends")
_LOCATIVE = re.compile(
    f"在(?P<where>[\u4e00-\u9fff]{{2,8}}?)(?:的[\u4e00-\u9fff]{{1,4}}?)?(?:{_ENDS})"
)


def places(text: str) -> list[str]:
    """The places said after 在 in `text`, in order."""
    found = []
    for match in _LOCATIVE.finditer(text):
        where = match.group("where")
        tags = segment.tagged(where)
        nouns = all(flag[0] in "nsf" or flag == "nrt" for _, flag in tags)
        if nouns and "之" not in where and not named_zh.ZH_TIME.search(where):
            found.append(where)
    pairs = segment.tagged(text)
    for index, (word, _) in enumerate(pairs[:-1]):
        if word != "在" or _time_frame(pairs[index + 1 :]):
            continue
        run = []
        for noun, flag in pairs[index + 1 :]:
            if flag not in ("n", "ns", "nz", "s") or named_zh.no_place(noun):
                break
            run.append((noun, flag))
        ends = [at for at, (w, flag) in enumerate(run) if flag == "ns" or named_zh.zh_place(w)]
        if ends:  # 在马六甲海峡 + 遭遇/n: up to the last place word
            found.append("".join(noun for noun, _ in run[: ends[-1] + 1]))
    return found


#: What closes 在 + a clause into a time (在英国商船离港前: before the ship leaves).
_FRAME_ENDS = vocabulary.words("zh", "frame_ends")


def _time_frame(pairs: list[tuple[str, str]]) -> bool:
    """Whether what follows 在 is a clause with a verb closed by 前 or 后, before the clause's
    end (在英国商船离港/v + 前): when something happens, no place (在马六甲海峡 + 遭遇 is one)."""
    verb = False
    for word, flag in pairs:
        if flag == "x":
            return False
        if word in _FRAME_ENDS:
            return verb
        verb = verb or flag[:1] == "v" or named_zh.no_place(word)
    return False


#: A kind of place and the name it goes by in quotes (海底城市“深蓝”): the place is the name.
_NAMED = re.compile(
    f'(?P<kind>{vocabulary.alternation("zh", "places")})[“"「](?P<name>[^”"」，。]{{1,8}})[”"」]'
)


def with_places(text: str, read: list[str]) -> list[str]:
    """The places read with those said after 在 and those named in quotes, in place of the
    kind they name, none that is part of another (古寺 of 荒山古寺), in the order of the
    text."""
    named = {match["kind"]: match["name"] for match in _NAMED.finditer(text)}
    read = [place for place in read if place not in named]
    every = list(dict.fromkeys([*read, *places(text), *named.values()]))
    kept = [p for p in every if not any(p != q and p in q for q in every)]
    return sorted(kept, key=lambda p: text.find(p) if p in text else len(text))


_COUNTED = re.compile("(?<=[\u4e00-\u9fff])(?<![在于到])[一两几][\u4e00-\u9fff]$")


def found_thing(text: str, place: str) -> bool:
    """Whether a measure word opens the place, not after 在 (发现一座外星基地): a thing."""
    at = text.find(place)
    return at > 0 and bool(_COUNTED.search(text[:at]))
