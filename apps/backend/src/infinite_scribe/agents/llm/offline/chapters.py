# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""The offline chapter writer (issue 39): beats planned from the chapter's outline entry, then
prose for each beat, built from the bible's characters, places and rules (read in
agents/llm/offline/chapter_cast.py), in the writer's language. No model, no network, no
randomness: the same brief always gives the same beats and prose, and a different wish or
feedback gives different ones (their named things appear).

The beats are the plan a writer reads and may edit; the prose of a beat follows its text (who
and where it names), so an edited beat is written as edited.
"""

from infinite_scribe.agents.llm.offline.chapter_cast import (
    Cast,
    Person,
    cap,
    chapter_place,
    fill,
    mentions,
    other_for,
    read_cast,
    seed,
    sentence,
    words_for,
)
from infinite_scribe.agents.llm.offline.chapter_words import ChapterWords
from infinite_scribe.domain.chapter_brief import ChapterBrief

MIN_BEATS, MAX_BEATS = 4, 8
_MAX_BEAT = 1000


def plan_beats(brief: ChapterBrief) -> list[str]:
    """The chapter's beats, in order (4 to 8): the hero's opening, the outline entry, a
    meeting, what the writer asked for, the world's rule in the way, the hero's turn and
    the chapter's close."""
    cast, words = read_cast(brief), words_for(brief)
    zh = brief.language == "zh"
    slots = {"hero": cast.hero.name, "place": chapter_place(brief, cast)}
    meeting = _meeting(brief, cast, words, slots["place"])
    asked = _asked_beats(cast, words, slots, zh)
    rule = []
    if cast.rules:
        rule = [
            fill(words.rule, zh, **slots, rule=cast.rules[(brief.number - 1) % len(cast.rules)])
        ]
    core = [sentence(brief.summary, words)] if brief.summary else []
    fixed = [_opening(brief, words, slots), *core, _turn(cast.hero, words, zh), ""]
    # Too many: the rule goes first, then the meeting; what the writer asked for stays.
    if len(fixed) + len(meeting) + len(asked) + len(rule) > MAX_BEATS:
        rule = []
    if len(fixed) + len(meeting) + len(asked) > MAX_BEATS:
        meeting = []
    close = fill(words.close, zh, **slots)
    return [*fixed[:-2], *meeting, *asked, *rule, fixed[-2], close][:MAX_BEATS]


def _opening(brief: ChapterBrief, words: ChapterWords, slots: dict[str, str]) -> str:
    earlier = [entry for entry in brief.earlier if entry[0] < brief.number and entry[2]]
    zh = brief.language == "zh"
    if not earlier:
        return fill(words.open_first, zh, **slots)
    last = sentence(max(earlier)[2][:500], words)
    return fill(words.open_after, zh, **slots, last=last)


def _meeting(brief: ChapterBrief, cast: Cast, words: ChapterWords, place: str) -> list[str]:
    other = other_for(brief, cast)
    if other is None:
        return []
    names = [name for name, _ in cast.places]
    turn = brief.number % len(names)
    # Somewhere else than the chapter's opening place, when the world has another.
    where = next((name for name in names[turn:] + names[:turn] if name != place), place)
    zh = brief.language == "zh"
    return [
        fill(
            words.meet[other.role if other.role in words.meet else "other"],
            zh,
            hero=cast.hero.name,
            other=other.name,
            place=where,
        )
    ]


def _asked_beats(cast: Cast, words: ChapterWords, slots: dict[str, str], zh: bool) -> list[str]:
    """What the writer asked for: up to two beats of things (the second takes the rest),
    and one of wishes told as they were said."""
    beats = []
    things = list(cast.things)
    joiner = "、" if zh else " and "
    for group in (things[:1], things[1:]):
        if group:
            beats.append(fill(words.thing, zh, **slots, thing=joiner.join(group)))
    if cast.wishes:
        beats.append(fill(words.wish, zh, **slots, wish=("；" if zh else "; ").join(cast.wishes)))
    return beats


def _turn(hero: Person, words: ChapterWords, zh: bool) -> str:
    if not hero.motivation:
        return fill(words.turn_plain, zh, hero=hero.name)
    motivation = sentence(hero.motivation, words)
    if not zh and motivation.startswith("To "):
        motivation = "to " + motivation[3:]
    return fill(words.turn, zh, hero=hero.name, motivation=motivation)


def write_beat(brief: ChapterBrief, beats: list[str], index: int) -> str:
    """The prose of beat `index` (a few paragraphs): the place's atmosphere, the beat as it
    happens, who is in it speaking (or the hero's thought), and the chapter's last line at
    its last beat."""
    if not 0 <= index < len(beats):
        raise IndexError(f"beat {index} of {len(beats)}")
    cast, words = read_cast(brief), words_for(brief)
    zh = brief.language == "zh"
    beat = " ".join(beats[index].split())[:_MAX_BEAT]
    people = {person.name: person for person in cast.people}
    named = mentions(beat, list(people), fold=not zh)
    hero = cast.hero
    lead = people[named[0]] if named else hero
    speaker = next((people[name] for name in named if name != hero.name), None)
    places = dict(cast.places)
    here_named = mentions(beat, list(places), fold=not zh)
    here = here_named[0] if here_named else chapter_place(brief, cast)
    told_before = mentions(" ".join(beats[:index]), [here], fold=not zh)
    turn = seed(brief) + index
    join = "" if zh else " "
    setting = fill(_pick(words.atmospheres[cast.mood], turn), zh, place=here)
    if places.get(here) and (index == 0 or not told_before):
        setting += join + _described(here, places[here], words, zh)
    action = sentence(beat, words) + join + fill(_pick(words.gestures, turn + 1), zh, who=lead.name)
    slots = {"hero": hero.name, "place": here}
    if speaker is not None:
        role = speaker.role if speaker.role in words.lines else "other"
        line = fill(_pick(words.lines[role], turn), zh, **slots)
        if not zh and line.endswith("."):
            line = line[:-1] + ","  # “..., ” she said.
        talk = fill(words.said, zh, line=line, who=speaker.name)
        talk += join + fill(_pick(words.replies, turn), zh, **slots)
    else:
        line = fill(_pick(words.alone, turn), zh, **slots)
        talk = fill(_pick(words.thoughts, turn + 2), zh, line=line, who=hero.name)
    paragraphs = [setting, action, talk]
    if index == len(beats) - 1:
        paragraphs.append(fill(_pick(words.hooks, turn), zh, **slots))
    return "\n\n".join(paragraphs)


def _pick(bank: tuple[str, ...], turn: int) -> str:
    """A variant by turn: consecutive beats of a chapter get different ones."""
    return bank[turn % len(bank)]


def _described(place: str, description: str, words: ChapterWords, zh: bool) -> str:
    text = sentence(description, words)
    if zh:
        return f"{place}，{text}"
    return f"{cap(place)}: {text[:1].lower() + text[1:]}"
