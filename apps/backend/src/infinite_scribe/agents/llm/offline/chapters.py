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
    """What the writer asked for: up to two beats of things (the second takes the rest). A
    wish read as nothing is not told (it is an open note: `open_notes`)."""
    beats = []
    things = list(cast.things)
    joiner = "、" if zh else " and "
    for group in (things[:1], things[1:]):
        if group:
            beats.append(fill(words.thing, zh, **slots, thing=joiner.join(group)))
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
    named = mentions(beat, [person.name for person in cast.people], fold=not zh)
    lead = next((person for person in cast.people if named and person.name == named[0]), None)
    places = dict(cast.places)
    here_named = mentions(beat, list(places), fold=not zh)
    here = here_named[0] if here_named else chapter_place(brief, cast)
    told_before = mentions(" ".join(beats[:index]), [here], fold=not zh)
    turn = seed(brief) + index
    join = "" if zh else " "
    setting = fill(_pick(words.atmospheres[cast.mood], turn), zh, place=here)
    if places.get(here) and (index == 0 or not told_before):
        setting += join + _described(here, places[here], words, zh)
    who = (lead or cast.hero).name
    action = sentence(beat, words) + join + fill(_pick(words.gestures, turn + 1), zh, who=who)
    paragraphs = [setting, action, _talk(brief, cast, beats, index, here)]
    if index == len(beats) - 1:
        hook = _pick(words.hooks, turn)
        paragraphs.append(fill(hook, zh, hero=cast.hero.name, place=here))
    return "\n\n".join(paragraphs)


def _speaker(beat: str, cast: Cast, zh: bool) -> Person | None:
    """Who speaks to the hero in a beat: the first character but the hero it names."""
    names = mentions(beat[:_MAX_BEAT], [person.name for person in cast.people[1:]], fold=not zh)
    return next((person for person in cast.people[1:] if names and person.name == names[0]), None)


def _talk(brief: ChapterBrief, cast: Cast, beats: list[str], index: int, here: str) -> str:
    """A line the beat's other character says and the hero's reply, or the hero's thought.
    Variants go in turn through the chapter (a line is not said twice before the bank is
    used up): the n-th line of a role is the bank's n-th after the chapter's start."""
    words, zh = words_for(brief), brief.language == "zh"
    speakers = [_speaker(beat, cast, zh) for beat in beats[: index + 1]]
    speaker, before = speakers[-1], speakers[:-1]
    start, join = seed(brief), "" if zh else " "
    slots = {"hero": cast.hero.name, "place": here}
    if speaker is None:
        alone = sum(1 for person in before if person is None)
        line = fill(_pick(words.alone, start + alone), zh, **slots)
        thought = _pick(words.thoughts, start + alone + 1)
        return fill(thought, zh, line=line, who=cast.hero.name)
    role = speaker.role if speaker.role in words.lines else "other"
    same = sum(1 for person in before if person is not None and person.role == speaker.role)
    line = fill(_pick(words.lines[role], start + same), zh, **slots)
    if not zh and line.endswith("."):
        line = line[:-1] + ","  # “..., ” she says.
    talk = fill(words.said, zh, line=line, who=speaker.name)
    spoken = sum(1 for person in before if person is not None)
    return talk + join + fill(_pick(words.replies, start + spoken), zh, **slots)


def _pick(bank: tuple[str, ...], turn: int) -> str:
    """A variant by turn: consecutive beats of a chapter get different ones."""
    return bank[turn % len(bank)]


def _described(place: str, description: str, words: ChapterWords, zh: bool) -> str:
    text = sentence(description, words)
    if zh:
        return f"{place}，{text}"
    return f"{cap(place)}: {text[:1].lower() + text[1:]}"


def open_notes(brief: ChapterBrief) -> list[str]:
    """What the writer asked for that this draft does not write, in their language (issue 55:
    said so and kept visible, never pasted into the prose)."""
    words = words_for(brief)
    return [words.unread.format(wish=wish) for wish in read_cast(brief).unread]
