"""The codex read from the writer's idea, once (issue 76, DESIGN 6b'): the reader of names
(`named.read`) and of the hero's role, turned into codex entries the writer then sees with
the first proposal and corrects with `EditCodex`.

CPU work (a cold 500 characters of Chinese is ~2 ms of segmentation): the worker calls it off
its loop (`asyncio.to_thread`). The hero is the first person no word marks as the rival or as
someone's kin; the rival is the person a word marks ("his nemesis", 宿敌); a time the idea says
something must happen before ("before Hogmanay", 中秋节前) is the deadline.
"""

import re

from infinite_scribe.domain.codex import DEADLINE, HERO, ORIGIN, RIVAL, Codex, CodexEntry
from infinite_scribe.domain.language import CHINESE, language_of
from infinite_scribe.text import (
    described,
    named,
    named_zh,
    reading_en,
    reading_zh,
    renames,
    requests,
    segment,
    vocabulary,
)
from infinite_scribe.text.facts import Facts

_EN_BEFORE = re.compile(
    rf"\b(?:{vocabulary.alternation('en', 'deadline_prepositions')})\s+(?:the\s+)?$", re.I
)
_ZH_BEFORE = vocabulary.phrases("zh", "before_marks")
#: The verb of an event's happening between it and 前 (国际学术会议召开前).
_ZH_HAPPENS = tuple(vocabulary.words("zh", "event_happens"))
_ZH_BY = vocabulary.phrases("zh", "deadline_leads")
#: A place said as where someone comes from ("from Shanghai", 上海来的): their origin, not
#: where the story is (issue 76; the role ORIGIN).
_EN_FROM = re.compile(r"\bfrom\s+(?:the\s+)?$", re.I)
_ZH_FROM = vocabulary.phrases("zh", "origin_after")
_ZH_FROM_BEFORE = vocabulary.phrases("zh", "origin_before")  # 来自兰州的老专家
_ZH_CAME_FROM = re.compile(r"从([\u4e00-\u9fff]{2,4}?)来的")
#: A role word is never a name or a thing (宿敌, nemesis).
_ROLE_WORDS = {lang: vocabulary.words(lang, "roles", "request_foe") for lang in ("zh", "en")}
#: Bounds of what one idea can put in the codex.
MAX_READ = 40
#: A feedback names its people in its first words: read up to this many characters (the
#: offline writer reads a feedback's names so too, agents/llm/offline/codex_named.py).
FEEDBACK_NAMES = 80


def read_codex(idea: str) -> Codex:
    """The codex of `idea` (empty entries for an idea that names nothing): people with the
    hero and the rival marked, places, times with the deadline marked, and things."""
    language = language_of(idea)
    chinese = language == CHINESE
    if not idea.strip():
        return Codex(language=language)
    given = named.read(idea, chinese)
    entries = _people(idea, given, chinese)
    entries += [
        CodexEntry("place", place, ORIGIN if _origin(idea, place, chinese) else None)
        for place in given.places
    ]
    said = [*given.places, *given.times, *(entry.name for entry in entries)]
    described = _described_origins(idea, said) if chinese else []
    entries += [CodexEntry("place", place, ORIGIN) for place in described]
    deadline = next((time for time in given.times if _before(idea, time, chinese)), None)
    entries += [
        CodexEntry("time", time, DEADLINE if time == deadline else None) for time in given.times
    ]
    entries += [CodexEntry("object", thing) for thing in given.things if _a_thing(thing, language)]
    unique = {entry.name: entry for entry in reversed(entries) if 0 < len(entry.name) <= 100}
    kept = [entry for entry in entries if unique.get(entry.name) is entry]
    return Codex(tuple(kept[:MAX_READ]), language)


def _a_thing(thing: str, language: str) -> bool:
    """Whether a thing read is one: no role or trade (化妆师), no owner ("the Earl's daughters")."""
    roles = _ROLE_WORDS[language]
    if thing in roles or thing.split()[-1] in roles or thing.endswith(("'s", "\u2019s")):
        return False
    return language != CHINESE or not reading_zh.is_role(thing)


def _people(idea: str, given: named.Named, chinese: bool) -> list[CodexEntry]:
    """The people, the hero and the rival marked, each with the words that describe them."""
    facts = (reading_zh if chinese else reading_en).read(idea)
    free = [p for p in given.people if p not in given.rivals and p not in given.kin]
    # The one the idea gives the hero's role, said with it (郑和船队的年轻水手阿福: 阿福), else
    # the first.
    said = chinese and f"{facts.hero}{facts.hero_name}" in idea and facts.hero_name in free
    hero = facts.hero_name if said else next(iter(free), None)
    rival = next((p for p in given.rivals if p != hero), None)
    entries = []
    for person in given.people:
        role = HERO if person == hero else RIVAL if person == rival else None
        words = _person_words(idea, person, role, given, facts, chinese)
        entries.append(CodexEntry("person", person, role, _words(words)))
    return entries


def _person_words(
    idea: str, person: str, role: str | None, given: named.Named, facts: Facts, chinese: bool
) -> tuple[str, ...]:
    """What describes `person` in `idea`: a kin word, the rival's words, the hero's role (the
    role read is the hero's only if read of no one else: a rival's title is his), else what is
    said right before their name, and where anyone else comes from."""
    if person in given.kin:  # "his aunt Rosa": described as "aunt"
        return named.kin_words(idea, person, chinese)
    if role == RIVAL:  # "his rival, the night warden Ada Pike": "night warden"
        return named.rival_words(idea, person, chinese) or described.before(idea, person, chinese)
    own = facts.hero_name in (None, person)
    words: tuple[str, ...] = (facts.hero,) if role == HERO and facts.hero and own else ()
    words = words or described.before(idea, person, chinese)
    return words + (_came_from(idea, person, chinese) if role is None else ())


#: The request slots that name a person the codex holds by role.
_SLOT_ROLES = {"name": HERO, "hero": HERO, "antagonist": RIVAL}


def offered_edits(feedback: str, codex: Codex) -> tuple[dict[str, str], ...]:
    """The codex edits a feedback asks for, offered to the writer as EditCodex edits rather
    than made (issue 76: a reader of free text is unsure; the codex is the writer's): a new name
    for the hero or the rival renames them, as does a new name for a person the codex has said
    with their name ("Rename Declan Furey to Cathal Breen", whatever their role); a person the
    codex has is offered the role, one it has not an entry in it. Only a person's name: a hero
    or rival described is the writer's."""
    said = feedback[:FEEDBACK_NAMES]
    language = language_of(said)
    chinese = language == CHINESE
    offered: dict[str, dict[str, str]] = {}
    for clause in _CLAUSES.split(said):
        renamed = _renamed(clause.strip(), codex, language)
        if renamed is not None:  # by their name: the hero's, the rival's or anyone's
            entry = codex.named(renamed["name"])
            offered.setdefault((entry.role if entry else None) or renamed["name"], renamed)
        for change in requests.changes_in(clause.strip(), language):
            _offer(change, codex, chinese, offered)
    return tuple(offered.values())


#: The hero as the readers of a change to the hero read them ("the hero should be a doctor").
_HERO_SAID = {"zh": "主角", "en": "the hero"}
_TITLES = vocabulary.words("en", "titles")


def hero_said(feedback: str, codex: Codex) -> str:
    """`feedback` with the hero said as "the hero" where it changes them by their name, whole
    or first ("Juno should be a doctor", 让燕十三当一名警察), so that the readers of a change
    to the hero read it; any other feedback (a scene with Juno in it) as it is."""
    hero, language = codex.hero, language_of(feedback)
    if hero is None or hero.kind != "person":
        return feedback
    reader = reading_zh if language == CHINESE else reading_en
    parts = [part for part in hero.name.split() if part.lower() not in _TITLES]  # "Sister"
    for name in dict.fromkeys((hero.name, *parts)):
        said = feedback.replace(name, _HERO_SAID[language], 1)
        if name in feedback and reader.read_feedback(said).hero:
            return said
    return feedback


def _offer(
    change: requests.Change, codex: Codex, chinese: bool, offered: dict[str, dict[str, str]]
) -> None:
    """The codex edit a change of the hero's or the rival's name asks for, into `offered`."""
    role = _SLOT_ROLES.get(change.slot)
    if role is None or role in offered:
        return
    # The `name` slot's value is a name by the request's shape ("the hero's name is Mara");
    # another's is a name when it names one person ("a woman named Aiko Sato": her name).
    people = named.read(change.value, chinese).people
    value = change.value if change.slot == "name" or len(people) != 1 else people[0]
    if change.slot != "name" and value not in people:
        return
    holder, known = codex.with_role(role), codex.named(value)
    if known is not None and known.kind == "person":  # someone it has takes the role
        if known.role != role:
            offered[role] = {"op": "set_role", "name": value, "role": role}
    elif holder is not None:
        offered[role] = {"op": "rename", "name": holder.name, "to": value}
    elif known is None:
        offered[role] = {"op": "add", "kind": "person", "name": value, "role": role}


def _renamed(clause: str, codex: Codex, language: str) -> dict[str, str] | None:
    """The rename of the codex's person `clause` names by their name (text/renames.py), or
    None: the name is no person of the codex, or the new one is a role word or an entry's."""
    for old, new in renames.read_renames(clause, language):
        entry = codex.named(old) or _by_part(codex, old, language)
        if entry is None or entry.kind != "person":
            continue
        if entry.name != old and len(new.split()) == 1:  # "Rename Furey to Breen": Declan Breen
            new = " ".join(new if word == old else word for word in entry.name.split())
        if new.split()[-1].lower() in _ROLE_WORDS[language] or codex.named(new) is not None:
            return None  # "Rename Mr Dunbar to the Villain": unsure
        return {"op": "rename", "name": entry.name, "to": new}
    return None


def _by_part(codex: Codex, part: str, language: str) -> CodexEntry | None:
    """The one person whose English name `part` opens or ends ("Rename Declan to ..."); none
    where two have it (two Rooneys), nor in Chinese (a name has no parts by spaces)."""
    if language == "zh" or " " in part:
        return None
    ends = [(e, e.name.split()) for e in codex.of_kind("person")]
    held = [e for e, words in ends if len(words) > 1 and part in (words[0], words[-1])]
    return held[0] if len(held) == 1 else None


def read_feedback_people(feedback: str, codex: Codex) -> tuple[str, ...]:
    """The people a writer's feedback names that the codex has not (issue 76), as entries of
    source `feedback`. When unsure, none: not from a feedback asking to change a part of the
    story (`requests`: whom it replaces the writer says with `EditCodex`) or renaming someone
    (`renames`); not a name sharing a word with one the codex has, nor one opening an English
    clause (a capital there says nothing); not a role word, nor a word the writer marked "not a
    name"."""
    said = feedback[:FEEDBACK_NAMES]
    language = language_of(said)
    chinese = language == CHINESE
    clauses = [clause.strip() for clause in _CLAUSES.split(said) if clause.strip()]
    # Nor from one renaming someone by name: the new name is theirs, offered; if the codex has
    # not the old one, whom it means is unsure.
    if any(
        requests.read_change(clause, language) or renames.read_renames(clause, language)
        for clause in clauses
    ):
        return ()
    known = {word for entry in codex.entries for word in entry.name.split()}
    refused = _ROLE_WORDS[language] | set(codex.not_names)
    return tuple(
        person
        for person in _named_in(said, clauses, chinese)
        if person not in refused
        and person.split()[-1] not in refused
        # Han names have no spaces (沈清 in 沈清秋); an English word is compared whole.
        and not (chinese and any(person in name or name in person for name in known))
        and not known.intersection(person.split())
        and (chinese or not any(clause.startswith(person) for clause in clauses))
    )


def _named_in(said: str, clauses: list[str], chinese: bool) -> list[str]:
    """The people `said` names, and those a part of it names by a naming word read on its own:
    小石头 is a name in 叫小石头的跑堂, a stone in the whole feedback."""
    parts = [part for clause in clauses for part in _PARTS.split(clause) if _NAMING.search(part)]
    read = [named.read(text, chinese).people for text in (said, *parts)]
    return list(dict.fromkeys(person for people in read for person in people))


#: Of a feedback, what its people's descriptions are read from.
FEEDBACK_WORDS = 400


def feedback_people(feedback: str, codex: Codex) -> dict[str, tuple[str, ...]]:
    """`read_feedback_people`, each with the role the reader reads in their own clause. When
    unsure, none: a role read with another name, or beside two new people with none."""
    people = read_feedback_people(feedback, codex)
    said = feedback[:FEEDBACK_WORDS]
    language = language_of(said)
    reader = reading_zh if language == "zh" else reading_en
    described: dict[str, tuple[str, ...]] = {}
    for person in people:
        clause = next((c for c in _CLAUSES.split(said) if person in c), "")
        facts = reader.read(clause)
        own = facts.hero_name == person or (facts.hero_name is None and len(people) == 1)
        # Where they are said to come from is part of what describes them ("from Inishbofin").
        origins = [p for p in facts.places if _origin(clause, p, language == "zh")]
        if not origins and language == "en" and (place := reading_en.origin(clause, person)):
            origins = [place]  # "Add Inés Arancibia from Chiloé": no role, still her words
        if not origins and language == "zh" and (came := _ZH_CAME_FROM.search(clause)):
            origins = [came.group(1)]  # 加一个从厦门来的教书先生林素: 厦门来的
        words = (facts.hero or "", *(_FROM[language].format(p) for p in origins))
        described[person] = _words(words) if own and (facts.hero or origins) else ()
    return described


_FROM = {"en": "from {}", "zh": "{}来的"}


#: A feedback's clauses: by its full stops, question and exclamation marks and semicolons
#: (the Chinese ones written as escapes).
_CLAUSES = re.compile(r"[.!?;\n\u3002\uff01\uff1f\uff1b]+")
_PARTS = re.compile("[,\uff0c\u3001]")
_NAMING = re.compile(f"{vocabulary.alternation('zh', 'naming')}|\\b(?:{reading_en.NAMINGS})\\b")


def _came_from(idea: str, person: str, chinese: bool) -> tuple[str, ...]:
    """Where the idea says `person` comes from, as their words (从漳州来的老舵工林伯: 漳州来的;
    "Ida Kern from Riga": "from Riga"), as a feedback's person is described (`feedback_people`)."""
    at = idea.find(person)
    if chinese:
        came = _ZH_CAME_FROM.search(
            re.split("[\uff0c,\u3002\uff1b;\uff1a:]", idea[: max(at, 0)])[-1]
        )
        place = came.group(1) if came else None
    else:
        place = (reading_en.origin(idea, person) or "").rstrip(".!?")  # "a nun from Cordoba."
    return (_FROM["zh" if chinese else "en"].format(place),) if place and at > 0 else ()


def _words(words: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(" ".join(word.split())[:200] for word in words if word.strip())


def _origin(idea: str, place: str, chinese: bool) -> bool:
    """Whether `place` is only ever said as where someone comes from."""
    ats = [m.start() for m in re.finditer(re.escape(place), idea)]
    if chinese:
        return all(
            idea[at + len(place) :].startswith(_ZH_FROM) or idea[:at].endswith(_ZH_FROM_BEFORE)
            for at in ats
        )
    return bool(ats) and all(_EN_FROM.search(idea[max(0, at - 12) : at]) for at in ats)


def _described_origins(idea: str, said: list[str]) -> list[str]:
    """The places a Chinese idea says only of someone (日本商人, 江南丝绸世家的长孙): where they
    come from, which the reader of names leaves out of the story's places (`said`: the places,
    people and times read, none of which is one: 台风季's 台风)."""
    pairs = segment.tagged(idea)
    found: list[str] = []
    for (word, flag), after in zip(pairs, [*pairs[1:], ("", "x")], strict=True):
        origin = flag == "ns" and named_zh.describes(after) and not named_zh.no_place(word)
        if origin and word not in found and not any(word in name for name in said):
            found.append(word)
    # What stands in "从 … 来的" is where someone comes from, whatever the tagger made of it.
    for match in _ZH_CAME_FROM.finditer(idea):
        word = match.group(1)
        pronoun = any(flag == "r" for _, flag in segment.tagged(word, guessed=0))
        if not pronoun and word not in found and not any(word in name for name in said):
            found.append(word)
    return found


def _before(idea: str, time: str, chinese: bool) -> bool:
    """Whether the idea says something must happen before `time`."""
    at = idea.find(time)
    if at < 0:
        return False
    if chinese:
        after = idea[at + len(time) : at + len(time) + 4]
        after = after.removeprefix(next((v for v in _ZH_HAPPENS if after.startswith(v)), ""))
        return after.startswith(_ZH_BEFORE) or idea[max(0, at - 2) : at].endswith(_ZH_BY)
    return bool(_EN_BEFORE.search(idea[max(0, at - 20) : at]))
