# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""The guard (issue 76, DESIGN 6b'): what any generator (the offline writer or a model) proposes
is read here before the writer sees it, pure and cheap (under 5 ms a proposal, bench/guard.py).

`check_stage` reads a Genesis stage's proposal, `check_chapter` a chapter's draft; each returns
the checks that failed (`Failed`, with a stable code), [] when it may be shown. Codex checks:
every entry kept verbatim where it belongs (the hero in every concept, the story, the cast and
the outline; every person in the cast, the rival under their own name; every place in the
world; a deadline in the story and the outline), no cast member invented in a role the writer
gave someone. Codex-free checks: no two options that repeat each other, no text that is only
punctuation or digits or holds template markers, no echo of the prompt's headings or
instructions, no label-and-list scaffolding pasted as prose, no sentence said twice in a
chapter (nor more than twice in the book the pipeline holds), the count asked for, the
writer's language. `reason` says the failures in the writer's language.
"""

import itertools
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from infinite_scribe.domain.codex import DEADLINE, HERO, ORIGIN, RIVAL, Codex, CodexEntry
from infinite_scribe.domain.junk_text import junk
from infinite_scribe.domain.language import HAN
from infinite_scribe.domain.prompt_echoes import NO_ECHOES, Echoes, echo_in
from infinite_scribe.domain.proposals import PROPOSAL_META

HERO_MISSING = "GUARD_HERO_MISSING"
PERSON_MISSING = "GUARD_PERSON_MISSING"
RIVAL_RENAMED = "GUARD_RIVAL_RENAMED"
PLACE_MISSING = "GUARD_PLACE_MISSING"
DEADLINE_MISSING = "GUARD_DEADLINE_MISSING"
ROLE_INVENTED = "GUARD_ROLE_INVENTED"
REPEATED_OPTIONS = "GUARD_REPEATED_OPTIONS"
JUNK_TEXT = "GUARD_JUNK_TEXT"
PROMPT_ECHO = "GUARD_PROMPT_ECHO"
PASTED_SCAFFOLD = "GUARD_PASTED_SCAFFOLD"
REPEATED_SENTENCE = "GUARD_REPEATED_SENTENCE"
WRONG_COUNT = "GUARD_WRONG_COUNT"
WRONG_LANGUAGE = "GUARD_WRONG_LANGUAGE"
#: A chapter draft that contradicts the story memory (issue 78): asked again once with it
#: named, never refused: shown with its findings beside it.
DEAD_ACTS = "CONTINUITY_DEAD_ACTS"
TRAIT_CHANGED = "CONTINUITY_TRAIT_CHANGED"
CODES = (
    HERO_MISSING,
    PERSON_MISSING,
    RIVAL_RENAMED,
    PLACE_MISSING,
    DEADLINE_MISSING,
    ROLE_INVENTED,
    REPEATED_OPTIONS,
    JUNK_TEXT,
    PROMPT_ECHO,
    PASTED_SCAFFOLD,
    REPEATED_SENTENCE,
    WRONG_COUNT,
    WRONG_LANGUAGE,
    DEAD_ACTS,
    TRAIT_CHANGED,
)
#: A failure's line for the writer, by code and language ({where}: the field, {what}: detail).
_SAID = {
    "en": {
        HERO_MISSING: "the hero {what} is not named in {where}",
        PERSON_MISSING: "{what}, whom you named, is not in the cast",
        RIVAL_RENAMED: "the rival {what} is not in the cast under their own name",
        PLACE_MISSING: "the place {what} is not in the world",
        DEADLINE_MISSING: "the deadline {what} is not in {where}",
        ROLE_INVENTED: "{where} invents someone in the role you gave {what}",
        REPEATED_OPTIONS: "two options repeat each other ({where})",
        JUNK_TEXT: "{where} is not text ({what})",
        PROMPT_ECHO: "{where} repeats the instructions ({what})",
        PASTED_SCAFFOLD: "{where} pastes a plan or a list as prose ({what})",
        REPEATED_SENTENCE: "a sentence is said again ({what})",
        WRONG_COUNT: "{where}: {what}",
        WRONG_LANGUAGE: "{where} is not in your language",
        DEAD_ACTS: "{where} died earlier in the book, and acts here ({what})",
        TRAIT_CHANGED: "{where}: this chapter contradicts what the book established ({what})",
    },
    "zh": {
        HERO_MISSING: "{where}没有写出主角{what}",
        PERSON_MISSING: "你写下的{what}不在人物表里",
        RIVAL_RENAMED: "对手{what}没有以原名出现在人物表里",
        PLACE_MISSING: "世界里没有地点{what}",
        DEADLINE_MISSING: "{where}没有写出期限{what}",
        ROLE_INVENTED: "{where}替你给{what}的角色另造了人物",
        REPEATED_OPTIONS: "两个选项彼此重复（{where}）",
        JUNK_TEXT: "{where}不是文字（{what}）",
        PROMPT_ECHO: "{where}照抄了提示里的指令（{what}）",
        PASTED_SCAFFOLD: "{where}把提纲或清单当正文贴了进来（{what}）",
        REPEATED_SENTENCE: "有句子重复出现（{what}）",
        WRONG_COUNT: "{where}：{what}",
        WRONG_LANGUAGE: "{where}不是你使用的语言",
        DEAD_ACTS: "{where}在前文已经死去，本章却又有所行动（{what}）",
        TRAIT_CHANGED: "{where}：本章与前文确立的不符（{what}）",
    },
}
_REFUSED = {
    "en": "The proposal was not shown: {checks}. Ask again, or change the request.",
    "zh": "提案未展示：{checks}。请再试一次，或修改要求。",
}

#: The words a cast card's role starts with for a codex role (the writer's roles of a person).
ROLE_WORDS: dict[str, tuple[str, ...]] = {
    HERO: ("protagonist", "hero", "heroine", "main character", "主角", "主人公", "女主", "男主"),
    RIVAL: ("antagonist", "rival", "villain", "nemesis", "反派", "对手", "宿敌", "反角"),
}
#: A label the writer's own scaffolding starts a pasted list with ("Also in the story: a, b").
_LABELS = ("also in the story", "things that matter here", "characters", "places", "beats",
           "故事里还有", "人物", "地点", "节拍")  # fmt: skip
_SCAFFOLD = re.compile(
    "(?:" + "|".join(_LABELS) + ")\\s*[:：][^,，、.。\\n]+(?:[,，、][^,，、.。\\n]+)+"
)
_SENTENCES = re.compile(r"(?<=[.!?。！？…])[\"'”’」』)）]*\s*|\n+")
_WORD = re.compile(r"[\w']+")
_LATIN = re.compile(r"[A-Za-z]")
#: Shorter sentences may repeat ("Yes." "他点点头。"): a sentence counts from this many characters.
_MIN_SENTENCE = {"en": 24, "zh": 10}
#: Two options whose words overlap this much (Jaccard) repeat each other.
_SAME_OPTIONS = 0.8
#: An option told apart by its own words (not the writer's) adds at least this many.
_OWN_WORDS = 6
#: Fewer letters than this say nothing of a text's language.
_LANGUAGE_LETTERS = 20
#: Characters of each text the language is judged by.
_LANGUAGE_SAMPLE = 400


@dataclass(frozen=True)
class Failed:
    """One failed check: its stable `code`, where (a field's path) and what (the detail).
    With a `finding` (a continuity finding of a chapter draft, issue 78) it is a note: the
    draft is asked again once with it named, and then shown with the finding beside it."""

    code: str
    where: str
    what: str = ""
    finding: Mapping[str, Any] | None = field(default=None, compare=False, hash=False)

    def said(self, language: str) -> str:
        return _SAID[_lang(language)][self.code].format(where=self.where, what=self.what)


@dataclass(frozen=True)
class Asked:
    """What the writer asked that a proposal is counted against: their language (`zh`, `en`),
    and the chapters and options they asked for (None: not said)."""

    language: str = "en"
    chapters: int | None = None
    options: int | None = None
    #: The writer's own words (the idea, the feedback): every option may say them again, so
    #: options are told apart by what they add (issue 76: revised concepts all restating a long
    #: idea and the feedback's wish were refused as repeats).
    said: str = ""


def _lang(language: str) -> str:
    return "zh" if language == "zh" else "en"


def reason(failed: Sequence[Failed], language: str) -> str:
    """What the writer reads when a proposal is refused: each failed check, with its code."""
    lang = _lang(language)
    separator = "；" if lang == "zh" else "; "
    checks = separator.join(f"{f.said(lang)} [{f.code}]" for f in failed[:6])
    return _REFUSED[lang].format(checks=checks)[:1000]


#: A proposal's fields about itself that no generator wrote: stamped (its source, the edits
#: offered), the writer's own feedback, the diff's revision note. Its `note` is read: it is the
#: generator's own words to the writer, shown beside the proposal ("{ { {{": SmolLM2).
_NOT_WRITTEN = frozenset(PROPOSAL_META) - {"note"}


def texts(content: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, text) of every string a generator wrote in a proposal (see `_NOT_WRITTEN`)."""
    if isinstance(content, str):
        yield path, content
    elif isinstance(content, Mapping):
        for key, value in content.items():
            if not path and key in _NOT_WRITTEN:
                continue
            yield from texts(value, f"{path}.{key}" if path else str(key))
    elif isinstance(content, list | tuple):
        for index, item in enumerate(content):
            yield from texts(item, f"{path}[{index}]")


def check_stage(
    stage: str, content: Mapping[str, Any], codex: Codex, asked: Asked, echoes: Echoes = NO_ECHOES
) -> list[Failed]:
    """The checks a Genesis stage's proposal fails ([]: it may be shown); `echoes`: the words
    of the prompts it was asked with."""
    found = list(_text_checks(list(texts(content)), asked.language, echoes))
    found += _STAGE_CHECKS.get(stage, _nothing)(content, codex, asked)
    return found


def check_chapter(
    text: str,
    beats: Sequence[str],
    codex: Codex,
    language: str,
    book: Sequence[str] = (),
    echoes: Echoes = NO_ECHOES,
) -> list[Failed]:
    """The checks a chapter's draft fails: the text checks, a beat pasted as prose, a sentence
    said twice in it or more than twice with `book` (what the pipeline holds of the book: the
    brief's summaries, the memory's digest; never every chapter's text)."""
    found = list(_text_checks([("chapter", text)], language, echoes))
    beat_keys = {_key(beat) for beat in beats if len(_key(beat)) >= _min(language)}
    sentences = [key for key in map(_key, _SENTENCES.split(text)) if len(key) >= _min(language)]
    # The plan pasted as a block: two beats in a row with nothing told between them (a beat
    # told as its paragraph's sentence, among its details, is the beat written).
    pasted = next(
        (one for one, two in itertools.pairwise(sentences) if {one, two} <= beat_keys), None
    )
    if pasted is not None:
        found.append(Failed(PASTED_SCAFFOLD, "chapter", pasted[:60]))
    counts = Counter(sentences)
    held = Counter(key for part in book for key in map(_key, _SENTENCES.split(part)))
    again = next((k for k, n in counts.items() if n > 1 or n + held[k] > 2), None)
    if again is not None:
        found.append(Failed(REPEATED_SENTENCE, "chapter", again[:60]))
    return found


def _min(language: str) -> int:
    return _MIN_SENTENCE[_lang(language)]


def _key(sentence: str) -> str:
    return " ".join(sentence.lower().split()).strip(" \"'“”‘’「」")


def _text_checks(found: list[tuple[str, str]], language: str, echoes: Echoes) -> Iterator[Failed]:
    for path, text in found:
        flat = text.strip()
        lower = flat.lower()
        if (debris := junk(flat, path)) is not None:
            yield Failed(JUNK_TEXT, path, debris[:40])
        elif echo := echo_in(flat, echoes):
            yield Failed(PROMPT_ECHO, path, echo[:40])
        elif any(label in lower for label in _LABELS) and (pasted := _SCAFFOLD.search(lower)):
            yield Failed(PASTED_SCAFFOLD, path, pasted.group()[:40])
    # The language by the first characters of each text: bounded whatever the text's length.
    whole = " ".join(text[:_LANGUAGE_SAMPLE] for _, text in found)
    han, latin = len(HAN.findall(whole)), len(_LATIN.findall(whole))
    if han + latin >= _LANGUAGE_LETTERS:
        share = han / (han + latin)
        if (share < 0.3) if _lang(language) == "zh" else (share > 0.5):
            yield Failed(WRONG_LANGUAGE, re.split(r"[.\[]", found[0][0])[0] or "text")


def _nothing(content: Mapping[str, Any], codex: Codex, asked: Asked) -> list[Failed]:
    return []


def _said_in(name: str, *parts: Any) -> bool:
    return any(name in text for part in parts for _, text in texts(part))


def _concepts(content: Mapping[str, Any], codex: Codex, asked: Asked) -> list[Failed]:
    options = [o for o in content.get("concepts") or [] if isinstance(o, Mapping)]
    found = []
    hero = codex.hero
    for index, option in enumerate(options):
        if hero is not None and not _said_in(hero.name, option.get("title"), option.get("logline")):
            found.append(Failed(HERO_MISSING, f"concepts[{index}]", hero.name))
    titles = [_key(str(option.get("title") or "")) for option in options]
    writers = _words(asked.said)
    words = [_words(option.get("logline")) for option in options]
    for later in range(1, len(words)):
        for earlier in range(later):
            same = titles[earlier] == titles[later]
            if same or _repeats(words[earlier], words[later], writers):
                found.append(Failed(REPEATED_OPTIONS, f"concepts[{earlier}], concepts[{later}]"))
                break
    if asked.options is not None and len(options) != asked.options:
        found.append(_count(asked, "concepts", len(options), asked.options))
    return found


def _repeats(one: frozenset[str], two: frozenset[str], writers: frozenset[str]) -> bool:
    """Whether two options' logline words say the same: compared on what each adds to the
    writer's own words when both add enough to be told apart so, else whole."""
    own_one, own_two = one - writers, two - writers
    if min(len(own_one), len(own_two)) >= _OWN_WORDS:
        return _overlap(own_one, own_two) >= _SAME_OPTIONS
    return _overlap(one, two) >= _SAME_OPTIONS


def _words(*parts: Any) -> frozenset[str]:
    text = " ".join(str(part or "") for part in parts).lower()
    return frozenset(_WORD.findall(text)) | frozenset(HAN.findall(text))


def _overlap(one: frozenset[str], two: frozenset[str]) -> float:
    return len(one & two) / max(len(one | two), 1)


def _count(asked: Asked, where: str, got: int, wanted: int) -> Failed:
    what = f"{got} instead of the {wanted} asked for"
    if _lang(asked.language) == "zh":
        what = f"有{got}个，要求的是{wanted}个"
    return Failed(WRONG_COUNT, where, what)


def _story(content: Mapping[str, Any], codex: Codex, asked: Asked) -> list[Failed]:
    told = (content.get("premise"), content.get("synopsis"), content.get("conflicts"))
    return _hero_and_deadlines(codex, "story", told)


def _hero_and_deadlines(codex: Codex, where: str, told: Any) -> list[Failed]:
    found = []
    if codex.hero is not None and not _said_in(codex.hero.name, told):
        found.append(Failed(HERO_MISSING, where, codex.hero.name))
    for entry in codex.of_kind("time"):
        if entry.role == DEADLINE and not _said_in(entry.name, told):
            found.append(Failed(DEADLINE_MISSING, where, entry.name))
    return found


def _world(content: Mapping[str, Any], codex: Codex, asked: Asked) -> list[Failed]:
    told = (content.get("setting"), content.get("locations"), content.get("history"))
    # A place someone only comes from is not where the story is (issue 76: "from 上海").
    places = [place for place in codex.of_kind("place") if place.role != ORIGIN]
    missing = [place for place in places if not _said_in(place.name, told)]
    return [Failed(PLACE_MISSING, "locations", place.name) for place in missing]


def _cast(content: Mapping[str, Any], codex: Codex, asked: Asked) -> list[Failed]:
    cards = [card for card in content.get("characters") or [] if isinstance(card, Mapping)]
    names = [str(card.get("name") or "") for card in cards]
    people = codex.of_kind("person")
    found = []
    for person in people:
        if any(person.name in name for name in names):
            continue
        code = {HERO: HERO_MISSING, RIVAL: RIVAL_RENAMED}.get(person.role or "", PERSON_MISSING)
        found.append(Failed(code, "characters", person.name))
    for index, card in enumerate(cards):
        holder = _role_holder(str(card.get("role") or ""), people)
        if holder is not None and not any(p.name in names[index] for p in people):
            found.append(Failed(ROLE_INVENTED, f"characters[{index}]", holder.name))
    return found


def _role_holder(role: str, people: Sequence[CodexEntry]) -> CodexEntry | None:
    """The codex person whose role a card's role names (None: nobody's)."""
    said = role.strip().lower()
    for person in people:
        if person.role and said.startswith(ROLE_WORDS.get(person.role, (person.role.lower(),))):
            return person
    return None


def _outline(content: Mapping[str, Any], codex: Codex, asked: Asked) -> list[Failed]:
    acts = [act for act in content.get("acts") or [] if isinstance(act, Mapping)]
    found = _hero_and_deadlines(codex, "acts", acts)
    chapters = sum(len(act.get("chapters") or []) for act in acts)
    if asked.chapters is not None and chapters != asked.chapters:
        found.append(_count(asked, "acts", chapters, asked.chapters))
    return found


_STAGE_CHECKS = {
    "CONCEPT_SELECTION": _concepts,
    "STORY_CONCEPTION": _story,
    "WORLDVIEW": _world,
    "CHARACTERS": _cast,
    "PLOT_OUTLINE": _outline,
}
