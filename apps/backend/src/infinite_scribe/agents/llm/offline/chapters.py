"""The offline chapter writer (issue 39): beats planned from the chapter's outline entry, then
prose for each beat from the bible's characters, places and rules (chapter_cast.py), in the
writer's language; no model, no randomness: the same brief always gives the same chapter. The
beats are the plan a writer reads and may edit; a beat's prose follows its text (who and where
it names), so an edited beat is written as edited."""

import os

from infinite_scribe.agents.llm.offline import chapter_book
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
from infinite_scribe.agents.llm.offline.words import ChapterWords
from infinite_scribe.domain import passages
from infinite_scribe.domain.chapter_brief import ChapterBrief, chapter_outline

MIN_BEATS, MAX_BEATS = 4, 8
#: The details a chapter may have: `_three`'s 1,001 sentences last a book of 50 chapters.
SLOTS = 20
#: A chapter's details: fewer than the eleven sounds of the details' middle bank.
DETAILS = 10
_MAX_BEAT = 1000


def plan_beats(brief: ChapterBrief) -> list[str]:
    """The chapter's beats (4 to 8): the hero's opening, the outline entry, a meeting, what the
    writer asked for (a plot wish as its scene), the hero's turn and the chapter's close."""
    cast, words = read_cast(brief), words_for(brief)
    zh = brief.language == "zh"
    slots = {"hero": cast.hero.name, "place": chapter_place(brief, cast)}
    asked = [*cast.scenes, *_asked_beats(cast, words, slots, zh)]
    core = [told for told in [_core(brief)] if told] if brief.summary else []
    # A meeting, a turn or a close the book has said all of is left out (not said again).
    meeting = [told for told in [chapter_book.once(brief, _meetings)] if told]
    turn = [told for told in [_turn(brief, cast.hero, words)] if told]
    first = brief.number <= 1 and not brief.earlier
    opening = fill(words.open_first, zh, **slots) if first else chapter_book.once(brief, _openings)
    fixed = [told for told in [opening] if told] + core
    # Too many: the meeting goes first; what the writer asked for stays.
    if len(fixed) + len(turn) + len(meeting) + len(asked) + 1 > MAX_BEATS:
        meeting = []
    close = [told for told in [chapter_book.once(brief, _closes)] if told]
    # A short chapter (no one else in the book, nothing asked) keeps to the place's ways.
    short = len(fixed) + len(meeting) + len(asked) + len(turn) < 4
    filler = [told for told in [chapter_book.once(brief, _rules)] if told and short]
    beats = [*fixed, *meeting, *asked, *filler, *turn, *close]
    # Still short (a book that has said all its banks): moments of the details' stock.
    while len(beats) < MIN_BEATS:
        beats.append(_moment(brief, len(beats)))
    return beats[:MAX_BEATS]


def _details(beats: int, index: int) -> tuple[int, int]:
    """(first, count) of paragraph `index`'s details: DETAILS a chapter in consecutive turns,
    so each says a different sound of the middle bank's eleven (issue 76)."""
    first = index * DETAILS // beats
    return first, (index + 1) * DETAILS // beats - first


def _moment(brief: ChapterBrief, index: int) -> str:
    """The beat `index` of a chapter short of beats: the detail of its place among the
    chapter's details, so its paragraph's details follow it in their order."""
    first, _ = _details(MIN_BEATS, index)  # moments fill a chapter up to MIN_BEATS beats
    detail = _three(words_for(brief).details, SLOTS * brief.number + first)
    return fill(detail, brief.language == "zh", who=read_cast(brief).hero.name)


def _core(brief: ChapterBrief) -> str | None:
    """The outline entry as a beat; one opening as an earlier one does (a long outline's later
    rounds) is told by the clause it adds, if no earlier entry has it too (issue 70)."""
    words, summary = words_for(brief), brief.summary
    if any(name and name in summary for name in brief.memory.get("dead") or ()):
        return None  # an entry planned before someone died would have the dead act (78)
    told = [before.summary for before in chapter_book.earlier_briefs(brief)]
    common = (len(os.path.commonprefix([summary, other])) for other in told)  # noqa: RUF071
    shared = max(common, default=0)
    if shared < chapter_book.RUN:
        return sentence(summary, words)
    cut = max(summary.rfind(mark, 0, shared + 1) for mark in (", ", "\uff0c", "; ", "\uff1b"))
    rest = summary[cut:].lstrip(" ,;\uff0c\uff1b") if cut > 0 else ""
    rest = rest[4:] if rest.startswith("and ") else rest
    key = rest.rstrip("\u3002.!?\uff01\uff1f ").lower()
    if not key or any(key in other.lower() for other in told):
        return None
    return sentence(cap(rest), words)


def _openings(brief: ChapterBrief) -> list[str]:
    """A later chapter's openings: back at its place, thinking of who and where the last named."""
    earlier = [entry for entry in brief.earlier if entry[0] < brief.number and entry[2]]
    zh, words, cast = brief.language == "zh", words_for(brief), read_cast(brief)
    known = [p.name for p in cast.people[1:]] + [name for name, _ in cast.places]
    named = mentions(max(earlier)[2][:500], known, fold=not zh)[:2] if earlier else []
    last = ("、" if zh else " and ").join(named) or words.before
    slots = {"hero": cast.hero.name, "place": chapter_place(brief, cast), "last": last}
    return [fill(pattern, zh, **slots) for pattern in words.open_after]


def _meetings(brief: ChapterBrief) -> list[str]:
    """Where the hero may meet the chapter's other character: elsewhere, the next place first."""
    cast, words = read_cast(brief), words_for(brief)
    other = other_for(brief, cast)
    if other is None:
        return []
    place = chapter_place(brief, cast)
    names = [name for name, _ in cast.places]
    turn = brief.number % len(names)
    elsewhere = [name for name in names[turn:] + names[:turn] if name != place] or [place]
    bank = words.meet[other.role if other.role in words.meet else "other"]
    slots = {"hero": cast.hero.name, "other": other.name}
    zh = brief.language == "zh"
    return [fill(p, zh, **slots, place=where) for where in elsewhere for p in bank]


def _asked_beats(cast: Cast, words: ChapterWords, slots: dict[str, str], zh: bool) -> list[str]:
    """Up to two beats of the things asked for (a wish read as nothing is an open note)."""
    things, joiner = list(cast.things), "、" if zh else " and "
    groups = [group for group in (things[:1], things[1:]) if group]
    return [fill(words.thing, zh, **slots, thing=joiner.join(group)) for group in groups]


def _turn(brief: ChapterBrief, hero: Person, words: ChapterWords) -> str | None:
    """Why the hero goes on: their motivation in the first chapter, then a short turn of a bank
    (a motivation said in every chapter is a repeated passage, issue 69)."""
    zh = brief.language == "zh"
    if not hero.motivation or brief.number > 1:
        return chapter_book.once(brief, _turns)
    motivation = sentence(_untold(hero.motivation, brief), words)
    motivation = motivation if zh or not motivation.startswith("To ") else "to " + motivation[3:]
    return fill(words.turn, zh, hero=hero.name, motivation=motivation)


def _untold(text: str, brief: ChapterBrief) -> str:
    """`text` without the passages the outline's later entries say (their first two words
    kept): an outline that says "the truth about X" later is not quoted in the first chapter."""
    zh, entries = brief.language == "zh", chapter_outline(brief.bible.outline)[brief.number :]
    shared = {p.quote for _, _, summary in entries for p in passages.shared(text, summary)}
    # Longest first, in a fixed order: a set's order follows the process's hash seed, and a
    # passage cut first can hide a longer one it overlaps (the same book told two ways).
    for said in sorted(shared, key=lambda quote: (-len(quote), quote)):
        at = text.find(said)
        if not zh and at > 0 and text[at - 1].isalnum() and " " in said:
            said = said.split(" ", 1)[1]  # from the first whole word
        kept = said[:2] if zh else " ".join(said.split()[:2])
        text = text.replace(said, kept)
    return text


def write_beat(brief: ChapterBrief, beats: list[str], index: int) -> str:
    """The prose of beat `index`, one paragraph: the place's atmosphere at the first, the beat,
    neutral details, a line its other character says, the last line at the last beat."""
    if not 0 <= index < len(beats):
        raise IndexError(f"beat {index} of {len(beats)}")
    cast, words = read_cast(brief), words_for(brief)
    zh = brief.language == "zh"
    beat = " ".join(beats[index].split())[:_MAX_BEAT]
    who, here = _who_where(brief, cast, beat)
    parts = _arriving(brief, beats, index, here) if index == 0 else []
    parts.append(sentence(beat, words))
    if index == 0:  # one gesture a chapter, once in a book
        parts.append(chapter_book.once(brief, _gestures) or "")
    parts += _detail_lines(brief, beats, index, who)
    parts.append(_talk(brief, beats, index, here))
    if index == len(beats) - 1:
        parts.append(chapter_book.once(brief, _hooks) or "")
    return ("" if zh else " ").join(part for part in parts if part)


def _who_where(brief: ChapterBrief, cast: Cast, beat: str) -> tuple[str, str]:
    """Who leads the beat (the first living character it names, else the first alive) and
    where it is (the first place it names, else the chapter's)."""
    zh = brief.language == "zh"
    living = [person for person in cast.people if person.name not in cast.dying]
    named = mentions(beat, [person.name for person in living], fold=not zh)
    lead = next((person for person in living if named and person.name == named[0]), None)
    here_named = mentions(beat, [name for name, _ in cast.places], fold=not zh)
    here = here_named[0] if here_named else chapter_place(brief, cast)
    return (lead or (living or [cast.hero])[0]).name, here


def _detail_lines(brief: ChapterBrief, beats: list[str], index: int, who: str) -> list[str]:
    """The beat's lines of neutral detail, by the chapter's number and the beat's index."""
    first, count = _details(len(beats), index)
    if len(beats) <= MIN_BEATS and beats[index] == _moment(brief, index):
        first, count = first + 1, count - 1  # the moment is the first of its paragraph's
    start, zh = SLOTS * brief.number + first, brief.language == "zh"
    details = words_for(brief).details
    return [fill(_three(details, turn), zh, who=who) for turn in range(start, start + count)]


def _arriving(brief: ChapterBrief, beats: list[str], index: int, here: str) -> list[str]:
    """The place's atmosphere where the chapter opens, and its description the first time the
    book opens a chapter there (said in every chapter, a repeated passage: issue 70)."""
    cast, words, zh = read_cast(brief), words_for(brief), brief.language == "zh"
    if here != chapter_place(brief, cast):
        return []
    parts = [chapter_book.once(brief, _atmospheres) or ""]
    description = dict(cast.places).get(here)
    if description and chapter_book.first_time(brief, here, _opening_place):
        parts.append(_described(here, description, words, zh))
    return parts


def _bank(name: str) -> chapter_book.Choices:
    """The bank `name` of the chapter's words (a pattern, a list, or lists by mood), filled:
    one function per bank, kept, as `chapter_book` keeps what each bank offered a chapter."""

    def choices(brief: ChapterBrief) -> list[str]:
        cast, bank = read_cast(brief), getattr(words_for(brief), name)
        bank = [bank] if isinstance(bank, str) else bank
        bank = bank[cast.mood] if isinstance(bank, dict) else bank
        hero, place = cast.hero.name, chapter_place(brief, cast)
        return [fill(p, brief.language == "zh", hero=hero, who=hero, place=place) for p in bank]

    return choices


_rules, _atmospheres, _gestures = _bank("rule"), _bank("atmospheres"), _bank("gestures")
_hooks, _turns, _closes = _bank("hooks"), _bank("turn_plain"), _bank("close")


def _opening_place(brief: ChapterBrief) -> list[str]:
    return [chapter_place(brief, read_cast(brief))]


def _three(banks: tuple[tuple[str, ...], ...], turn: int) -> str:
    """One part of each bank by `turn`'s rest (by a quotient, one part was said in every line
    of a chapter: issue 76). The banks' sizes are coprime (details 7 or 23, 11, 13: 1,001
    sentences or more; lines 12 or 7, 11, 13: an opening and middle come round after 132 or 77)."""
    return "".join(bank[turn % len(bank)] for bank in banks)


def _speaker(beat: str, cast: Cast, zh: bool) -> Person | None:
    """Who speaks to the hero in a beat: the first other character it names not dying in it."""
    others = [person for person in cast.people[1:] if person.name not in cast.dying]
    names = mentions(beat[:_MAX_BEAT], [person.name for person in others], fold=not zh)
    return next((person for person in others if names and person.name == names[0]), None)


def _talk(brief: ChapterBrief, beats: list[str], index: int, here: str) -> str:
    """A line the beat's other character says to the hero, or nothing: the book's p-th line (4
    a chapter) by `_three`, so none is said twice in a book of 30 chapters (issue 70)."""
    cast, words, zh = read_cast(brief), words_for(brief), brief.language == "zh"
    speaker = _speaker(beats[index], cast, zh)
    if speaker is None:
        return ""
    spoken = sum(1 for beat in beats[:index] if _speaker(beat, cast, zh) is not None)
    if spoken > 3:  # a chapter's lines are four: a fifth would say one of them again (76)
        return ""
    line = fill(_three(words.speech, 4 * brief.number + spoken), zh,
                hero=cast.hero.name, place=here)  # fmt: skip
    said = words.said[brief.number % len(words.said)]
    if not zh and line.endswith(".") and said.startswith("“{line}"):
        line = line[:-1] + ","  # “..., ” she says.
    return fill(said, zh, line=line, who=speaker.name)


def _described(place: str, description: str, words: ChapterWords, zh: bool) -> str:
    """The place and its description as a sentence ("This is Lisbon, where ..."), never the
    name, a colon and the description pasted (the hand walk of issue 76)."""
    text = sentence(description, words)
    lead = text.split(maxsplit=1)[0].lower() if text.split() else ""
    joined = zh or lead in words.described_leads.split()
    pattern = words.described[0 if joined else 1]
    if joined and not zh:
        text = text[:1].lower() + text[1:]
    return pattern.format(place=place, description=text, Description=cap(text))


def open_notes(brief: ChapterBrief) -> list[str]:
    """What the writer asked for that this draft does not write (issue 55: never prose)."""
    return [words_for(brief).unread.format(wish=wish) for wish in read_cast(brief).unread]
