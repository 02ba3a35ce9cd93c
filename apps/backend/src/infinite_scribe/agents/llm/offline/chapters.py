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
    sentence,
    words_for,
)
from infinite_scribe.agents.llm.offline.chapter_words import ChapterWords
from infinite_scribe.domain.chapter_brief import ChapterBrief

MIN_BEATS, MAX_BEATS = 4, 8
_MAX_BEAT = 1000


def plan_beats(brief: ChapterBrief) -> list[str]:
    """The chapter's beats, in order (4 to 8): the hero's opening, the outline entry, a
    meeting, what the writer asked for (a plot wish as its scene), the hero's turn and the
    chapter's close. A world's rule is never pasted into the beats (issue 69)."""
    cast, words = read_cast(brief), words_for(brief)
    zh = brief.language == "zh"
    slots = {"hero": cast.hero.name, "place": chapter_place(brief, cast)}
    meeting = _meeting(brief, cast, words, slots["place"])
    asked = [*cast.scenes, *_asked_beats(cast, words, slots, zh)]
    core = [sentence(brief.summary, words)] if brief.summary else []
    fixed = [_opening(brief, words, slots), *core, _turn(brief, cast.hero, words)]
    # Too many: the meeting goes first; what the writer asked for stays.
    if len(fixed) + len(meeting) + len(asked) + 1 > MAX_BEATS:
        meeting = []
    # A short chapter (no one else in the book, nothing asked) keeps to the place's ways.
    filler = [fill(words.rule, zh, **slots)] if len(fixed) + len(meeting) + len(asked) < 4 else []
    close = fill(words.close[brief.number % len(words.close)], zh, **slots)
    return [*fixed[:-1], *meeting, *asked, *filler, fixed[-1], close][:MAX_BEATS]


def _opening(brief: ChapterBrief, words: ChapterWords, slots: dict[str, str]) -> str:
    earlier = [entry for entry in brief.earlier if entry[0] < brief.number and entry[2]]
    zh = brief.language == "zh"
    if not earlier:
        return fill(words.open_first, zh, **slots)
    cast = read_cast(brief)
    known = [p.name for p in cast.people[1:]] + [name for name, _ in cast.places]
    named = mentions(max(earlier)[2][:500], known, fold=not zh)[:2]
    last = ("、" if zh else " and ").join(named) or words.before
    pattern = words.open_after[brief.number % len(words.open_after)]
    return fill(pattern, zh, **slots, last=last)


def _meeting(brief: ChapterBrief, cast: Cast, words: ChapterWords, place: str) -> list[str]:
    other = other_for(brief, cast)
    if other is None:
        return []
    names = [name for name, _ in cast.places]
    turn = brief.number % len(names)
    # Somewhere else than the chapter's opening place, when the world has another.
    where = next((name for name in names[turn:] + names[:turn] if name != place), place)
    bank = words.meet[other.role if other.role in words.meet else "other"]
    pattern = bank[brief.number % len(bank)]
    return [
        fill(pattern, brief.language == "zh", hero=cast.hero.name, other=other.name, place=where)
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


def _turn(brief: ChapterBrief, hero: Person, words: ChapterWords) -> str:
    """Why the hero goes on: their motivation in the first chapter, a short turn of a bank
    after it (a motivation said in every chapter is a repeated passage, issue 69)."""
    zh = brief.language == "zh"
    if not hero.motivation or brief.number > 1:
        plain = words.turn_plain[brief.number % len(words.turn_plain)]
        return fill(plain, zh, hero=hero.name)
    motivation = sentence(hero.motivation, words)
    if not zh and motivation.startswith("To "):
        motivation = "to " + motivation[3:]
    return fill(words.turn, zh, hero=hero.name, motivation=motivation)


def write_beat(brief: ChapterBrief, beats: list[str], index: int) -> str:
    """The prose of beat `index`, one paragraph: the place's atmosphere where the chapter
    arrives there, the beat as it happens, a line of neutral detail, a line the beat's other
    character says, and the chapter's last line at its last beat. The detail and the line are
    drawn by the chapter's number and the beat's index (no sentence twice in a chapter, no
    paragraph or line of dialogue in two chapters, issue 69)."""
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
    arrivals = _arrivals(brief, cast, beats[: index + 1], zh)
    who = (lead or cast.hero).name
    parts = []
    mood = words.atmospheres[cast.mood]
    if arrivals and arrivals[-1] == (index, here) and len(arrivals) == 1:
        parts.append(fill(mood[brief.number % len(mood)], zh, place=here))
        told = " ".join(summary for _, _, summary in brief.earlier)
        first = next(i for i, place in arrivals if place == here) == index
        if first and places.get(here) and not mentions(told, [here], fold=not zh):
            parts.append(_described(here, places[here], words, zh))
    parts.append(sentence(beat, words))
    if index == 0:  # one gesture a chapter, by its number
        gesture = words.gestures[brief.number % len(words.gestures)]
        parts.append(fill(gesture, zh, who=who))
    for turn in (16 * brief.number + 2 * index, 16 * brief.number + 2 * index + 1):
        parts.append(fill(_three(words.details, turn), zh, who=who))
    talk = _talk(brief, cast, beats, index, here)
    if talk:
        parts.append(talk)
    if index == len(beats) - 1:
        hook = words.hooks[brief.number % len(words.hooks)]
        parts.append(fill(hook, zh, hero=cast.hero.name, place=here))
    return ("" if zh else " ").join(parts)


def _arrivals(brief: ChapterBrief, cast: Cast, beats: list[str], zh: bool) -> list[tuple[int, str]]:
    """(beat index, place) where the chapter comes to a place it was not at just before."""
    found: list[tuple[int, str]] = []
    places = [name for name, _ in cast.places]
    for index, beat in enumerate(beats):
        named = mentions(beat, places, fold=not zh)
        here = named[0] if named else (found[-1][1] if found else chapter_place(brief, cast))
        if not found or found[-1][1] != here:
            found.append((index, here))
    return found


def _three(banks: tuple[tuple[str, ...], ...], turn: int) -> str:
    """One part of each bank by `turn`: banks of coprime sizes (7, 11, 13) give 1,001
    different sentences before one comes round again."""
    return "".join(bank[turn % len(bank)] for bank in banks)


def _speaker(beat: str, cast: Cast, zh: bool) -> Person | None:
    """Who speaks to the hero in a beat: the first character but the hero it names."""
    names = mentions(beat[:_MAX_BEAT], [person.name for person in cast.people[1:]], fold=not zh)
    return next((person for person in cast.people[1:] if names and person.name == names[0]), None)


def _talk(brief: ChapterBrief, cast: Cast, beats: list[str], index: int, here: str) -> str:
    """A line the beat's other character says to the hero, or nothing: the n-th line of the
    chapter is drawn by the chapter's number (no line said in two chapters of a book)."""
    words, zh = words_for(brief), brief.language == "zh"
    speaker = _speaker(beats[index], cast, zh)
    if speaker is None:
        return ""
    spoken = sum(1 for beat in beats[:index] if _speaker(beat, cast, zh) is not None)
    line = fill(_three(words.speech, 4 * brief.number + min(spoken, 3)), zh, hero=cast.hero.name,
                place=here)  # fmt: skip
    if not zh and line.endswith("."):
        line = line[:-1] + ","  # “..., ” she says.
    return fill(words.said, zh, line=line, who=speaker.name)


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
