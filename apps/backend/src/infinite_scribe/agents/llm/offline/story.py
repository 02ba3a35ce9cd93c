# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""The story a request is about: the facts read from the writer's idea, what they confirmed and
their feedback (the latest word wins), and the words the patterns are filled with."""

import hashlib
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import cached_property, lru_cache
from typing import Any

from infinite_scribe.agents.llm.offline import codex_named
from infinite_scribe.agents.llm.offline.words import CHINESE, MACHINE, Words, at_word, opening
from infinite_scribe.agents.llm.port import GenerationRequest
from infinite_scribe.domain.codex import Codex
from infinite_scribe.domain.language import HAN
from infinite_scribe.text import codex_reading, goals, noun_phrase, reading_en, reading_zh
from infinite_scribe.text.facts import Facts, cap
from shared_types.enums import GenesisStage

_PLANETS = ("mars", "venus", "the moon", "europa", "titan", "mercury", "jupiter", "saturn")
_ON = ("island", "ship", "station", "moon", "planet", "asteroid", "coast", "border", "frontier")
_FOE_ZH = re.compile(r"与(.+?)之间的对抗")
_FOE_EN = re.compile(r"\bagainst (.+?):")


def confirmed(request: GenerationRequest, stage: GenesisStage) -> Mapping[str, Any]:
    value = request.confirmed_data.get(stage.value)
    return value if isinstance(value, Mapping) else {}


def seeded(key: str) -> random.Random:
    """A random source drawn the same for the same `key`, in any process."""
    return random.Random(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big"))


def feedbacks(request: GenerationRequest) -> list[str]:
    """The feedback this stage's draft has taken in so far, oldest first, with this one."""
    earlier = (request.previous_proposal or {}).get("feedback_applied")
    said = [text for text in earlier if isinstance(text, str)] if isinstance(earlier, list) else []
    return [*said, request.feedback] if request.feedback else said


class Story:
    """The facts of one request in one language, and the slots its patterns are filled with."""

    def __init__(self, request: GenerationRequest, words: Words) -> None:
        self.request, self.words = request, words
        self.chinese = words is CHINESE
        reader = reading_zh if self.chinese else reading_en
        self.wished, codex = Facts(), Codex.from_json(request.codex)
        for said in feedbacks(request):  # "Juno should be …" of the hero: a change to them
            wished = reader.read_feedback(codex_reading.hero_said(said, codex))
            self.wished = wished.over(self.wished)
        self.wished = codex_named.codex_held(self.wished, request.codex, self.chinese)
        self.told = Facts()
        for text in self._told():  # each by its own language's reader (a Chinese title)
            self.told = self.told.over(_read(text))
        if self.wished.place and self.told.place and self.wished.place in self.told.place:
            # "主角必须是火星上的女法医" keeps the story on 火星殖民地, the place it was on.
            self.wished = replace(self.wished, place=None)
        self.facts = self.wished.over(self.told)
        self.event_core = reader.event_core
        #: What the writer named (issue 69; the codex's, issue 76): carried verbatim.
        self.given = codex_named.given_of(request, feedbacks(request))
        idea = request.user_input or ""
        own = _read(idea) if idea.strip() else Facts()
        #: Places in the writer's own words (their idea, their feedback), not in a draft's.
        self.own_places = {*own.places, *self.wished.places, self.wished.place}
        self.own_place = own.place

    def fits(self, place: str) -> bool:
        """Whether `place` can stand as a place: the writer's own words with no one in them, or a
        noun phrase with no verb (never a cut of a draft's sentence, issue 69)."""
        if any(person in place for person in self.given.people) or self._straddles(place):
            return False
        return place in self.own_places or noun_phrase.plain(place, self.chinese)

    def _straddles(self, place: str) -> bool:
        """Whether the idea writes `place` only across a name or a time (顾南站上: 南站)."""
        idea = self.request.user_input or ""
        items = (*self.given.people, *self.given.times)
        spans = [m.span() for item in items for m in re.finditer(re.escape(item), idea)]
        found = [m.span() for m in re.finditer(re.escape(place), idea)]
        return bool(found) and all(any(a < e and s < b for s, e in spans) for a, b in found)

    def _told(self) -> list[str]:
        """The writer's story as they gave and confirmed it, most recent first."""
        story = confirmed(self.request, GenesisStage.STORY_CONCEPTION)
        concept = confirmed(self.request, GenesisStage.CONCEPT_SELECTION)
        texts = [story.get("premise"), story.get("synopsis"), concept.get("logline")]
        texts.append(self.request.user_input)
        return [text for text in texts if isinstance(text, str) and text.strip()]

    @property
    def hero(self) -> str:
        return self.facts.hero or self.words.someone

    @property
    def place(self) -> str:
        place, given = self.wished.place, self.given.places
        for told in (self.told.place, self.own_place):
            if place is None and told and self.fits(told):
                # "火星殖民地" is the idea's place, 火星 its part; "the flooded city" is not Lagos.
                place = told if not given or any(g in told for g in given) else None
        place = place or next(iter(given), "")
        for time in self.given.times:
            place = place.replace(f"{time}的", "").strip()  # 民国二十三年的上海: the time is told
        if not place:
            return self.words.nowhere
        as_is = self.chinese or place[0].isupper() or place.startswith("the ")
        return place if as_is else f"the {place}"

    @property
    def places(self) -> list[str]:
        """The story's places, its main place first: the writer's words only (issue 69)."""
        found = [self.place, *self.given.places]
        found += [p for p in self.facts.places if self.fits(p)]
        hero = self.wished.hero or ""
        # 火星 inside 火星殖民地 is no place of its own; 飞船 in "飞船机械师" is the hero's.
        found = [p for p in found if p == found[0] or not (p in hero or any(
            p in other and p != other for other in found))]  # fmt: skip
        if not self.chinese:
            found = [p if p[0].isupper() or p.startswith("the ") else f"the {p}" for p in found]
        return list(dict.fromkeys(found))

    @property
    def event(self) -> str:
        """What happens, without the hero's name it opens with (never 韩小川韩小川: `opening`)."""
        return self.opening[1] or self.words.happening

    @property
    def opening(self) -> tuple[str, str]:
        """The words a premise names its hero with, and what happens after them."""
        return opening(self.facts, self.hero_name, self.renamed(self.facts.event), self.words)

    def renamed(self, text: str | None) -> str | None:
        """`text` with a renamed antagonist's new name (everywhere, issue 69)."""
        if text is None:
            return None
        for old in self.gone:
            text = text.replace(old, self.foe_names[0])
        return text

    @property
    def gone(self) -> tuple[str, ...]:
        """The rival the idea named, once a feedback renames the antagonist."""
        if not self.foe_names:
            return ()
        given = [p for p in self.given.people if p not in self.foe_names and p != self.hero_name]
        return tuple(self.rivals_first([p for p in given if p not in self.given.kin])[:1])

    def rivals_first(self, people: list[str]) -> list[str]:
        """`people`, those a word marks as the rival first ("his nemesis", 宿敌: issue 69)."""
        return sorted(people, key=lambda person: person not in self.given.rivals)

    @property
    def core(self) -> str:
        """What the story turns on, as a noun ("氧气配给记录被人篡改"; English: "why the oxygen
        ledger has been falsified", or "what happened" when the idea says no more)."""
        event = self.renamed(self.facts.event)
        if event is None:
            return "这件事" if self.chinese else "what happened"
        if self.chinese:  # without the hero's name it opens on (沈清秋必须…)
            return self.event_core(self.opening[1] or event) or "这件事"
        core = self.event_core(event)
        if core != event and core.split()[0].lower() in _QUESTIONS:
            return core  # "who sank the steamer Aurora": already a question
        # A thing found ("finds a brass key that ...") is no question: the premise tells it.
        said = not event[: event.find(core)].rstrip().endswith(" that")  # a thing, no clause
        noun = said and core.split()[0].lower() in ("a", "an", "the", "his", "her", "their")
        return f"why {core}" if core != event and not noun else "what happened"

    @property
    def antagonist(self) -> str:
        """Who stands against the hero, as a description: not its name (the cast's), nor the
        epithet the rival is named by ("the Harbourmaster, the Harbourmaster")."""
        named = (codex_named.rival_named(self.request.codex) or "").lower()
        if self.facts.antagonist:
            rest = self.facts.antagonist
            for name in self.foe_names:
                rest = rest.replace(name, "")
            rest = rest.strip(" ，,的")
            if rest and rest.lower() != named:
                return rest
        if described := codex_named.rival_described(self.request.codex, self.chinese):
            return described
        conflicts = confirmed(self.request, GenesisStage.STORY_CONCEPTION).get("conflicts")
        pattern = _FOE_ZH if self.chinese else _FOE_EN
        for line in conflicts if isinstance(conflicts, list) else []:
            match = pattern.search(line) if isinstance(line, str) else None
            if match and match.group(1).lower() != named:
                return match.group(1)
        return self.words.powers.format(place=self.place)

    @property
    def foe_names(self) -> tuple[str, ...]:
        """The name a feedback gives the antagonist ("把反派改成…副探长顾远山")."""
        return codex_named.names_in(self.wished.antagonist, self.chinese)

    @property
    def foe_is_machine(self) -> bool:
        return bool(MACHINE.search(self.antagonist))

    def cast(self) -> codex_named.Cast:
        """The confirmed cast's names by role, else the people the writer named, else the bank's
        (never one like theirs), once per session; a feedback's new name for the antagonist wins
        where there is no codex (with one, only its rival: issue 76)."""
        given = self.given.people
        # The session's own order: names nobody gave stay the same across its stages.
        order = seeded(str(self.request.session_id)).sample(self.words.names, len(self.words.names))
        added = self.added
        pool = codex_named.bank_names(order, [p for p in given if p not in added], added)
        hero = self.hero_name or pool[0]
        others = [p for p in given if p != hero and p not in hero and p not in self.foe_names]
        others = [p for p in others if p not in added]  # a card of their own, no one's
        foe = self._foe(others, pool)
        # A renamed antagonist leaves the cast under the old name (the rival the idea named).
        rest = [p for p in others if p != foe and p not in self.gone] + pool[2:]
        cards = confirmed(self.request, GenesisStage.CHARACTERS).get("characters")
        names = [hero, foe, rest[0], rest[1]]
        names = codex_named.carded(names, cards, self.words.roles, bool(self.foe_names))
        return codex_named.Cast(*names)

    @property
    def added(self) -> tuple[str, ...]:
        """The people a feedback added to the codex with no role: each a card after the cast's."""
        people = Codex.from_json(self.request.codex).of_kind("person")
        return tuple(e.name for e in people if e.source == "feedback" and e.role is None)

    def _foe(self, others: list[str], pool: list[str]) -> str:
        """The antagonist's name: a feedback's, the rival named, the machine, else the bank's."""
        rivals = self.rivals_first([p for p in others if p not in self.given.kin])
        if self.request.codex:  # the codex says who the rival is: no one else is made it
            rivals = [p for p in rivals if p in self.given.rivals]
        foe = next(iter(self.foe_names), None) or (rivals[0] if rivals else None)
        if foe is None:
            foe = cap(self.antagonist) if self.foe_is_machine else pool[1]
        return foe

    @property
    def hero_name(self) -> str | None:
        """The hero's name: a feedback's, the first named not marked the rival, else the idea's."""
        if self.wished.hero_name:
            return self.wished.hero_name
        given = [p for p in self.given.people if p not in self.foe_names]
        given = [p for p in given if p not in self.given.rivals] or given
        if given:
            return given[0]
        told = self.told.hero_name
        return told if told and noun_phrase.plain(told, self.chinese) else None

    def slots(self, **extra: str) -> dict[str, str]:
        """What the patterns are filled with, with `extra` ({wish}, ...), capitalized too."""
        if not extra:
            return self._slots
        capitalized = {cap(key): cap(value) for key, value in extra.items()}
        return self._slots | capitalized | extra

    @cached_property
    def _slots(self) -> dict[str, str]:
        cast, chinese, hero, place = self.cast(), self.chinese, self.hero, self.place
        cast_stages = (GenesisStage.CHARACTERS, GenesisStage.PLOT_OUTLINE)
        if self.hero_name is None and self.request.stage not in cast_stages:
            # Before the cast exists the hero is "the forensic doctor", not a name from a bank.
            cast = replace(cast, name=hero if chinese else f"the {hero}")
        hero_a = self.opening[0]
        # A sentence with its own subject is what the named hero sees happen.
        event = self.event if hero_a else self.words.witnessed.format(event=self.event)
        hero_does, at_place, when, when_s = self._where_when(hero_a)
        site = self.words.sites[0][0].format(place=place, Place_in=title_case(place, inside=True))
        place2 = self.places[1] if len(self.places) > 1 else site
        in_place = at_place.rstrip("，, ") if not chinese else f"在{place}"
        # A place the hero's own sentence names ("crosses the Dead Plains") is not told before it.
        told_in = re.search(rf"\b{re.escape(place)}\b", self.event) is not None
        at_place = "" if not chinese and told_in else at_place
        slots = {
            "hero": hero,
            "hero_does": hero_does,
            "place": place,
            "place2": place2 if chinese else place2.replace("The ", "the ", 1),
            "in_place": in_place,
            "at_place": at_place,
            "when": when,
            "when_s": when_s,
            "event": event,
            # An event with a clause of its own ("..., and the trail leads to X") is closed
            # before the hero acts again: "; Ada Pike tells no one", else ", and tells no one".
            "and_then": f"; {cast.name}" if _CLAUSED.search(event) else ", and",
            "core": self.core,
            "goal": goals.goal(self.event, chinese) or self.words.hero_goal.format(core=self.core),
            # A core that names a matter already (…事) is no matter of a matter (的事).
            "core_matter": self.core if self.core.endswith("事") else f"{self.core}的事",
            "foe": self.antagonist,
            "rival": codex_named.rival_named(self.request.codex) or self.antagonist,
            "foe_name": cast.foe_name,
            "name": cast.name,
            "mentor": cast.mentor,
            "ally": cast.ally,
            "elements": self.join(self.facts.elements),
            "elements_line": self.elements_line(),
            "long_ago": self.words.long_ago,
        }
        return self._with_starts(slots)

    def _with_starts(self, slots: dict[str, str]) -> dict[str, str]:
        """`slots` with their capitalized forms for sentence starts ({Hero}, {At_place}, ...)."""
        chinese, hero, place = self.chinese, slots["hero"], slots["place"]
        slots |= {cap(key): cap(value) for key, value in list(slots.items())}
        slots["Core_cap"] = cap(self.core)
        slots["Hero"] = hero if chinese else title_case(hero)
        slots["Place"] = place if chinese else title_case(place)
        slots["Place_in"] = place if chinese else title_case(place, inside=True)
        if not chinese and slots["foe_name"].startswith("The "):
            slots["foe_name"] = "the " + slots["foe_name"][4:]  # "faces the colony AI"
        if slots["when"]:  # "In 2150, on Mars, ..." rather than "In 2150, On Mars, ..."
            slots["At_place"] = slots["at_place"]
        return slots

    def _where_when(self, hero_a: str) -> tuple[str, str, str, str]:
        """({hero_does}, {at_place}, {when}, {when_s}) in the story's language."""
        place, time = self.place, self.facts.time
        if self.chinese:
            there = self.event.startswith(place) or f"在{place}" in self.event  # 在木卫二的冰层
            at_place = "" if there else f"在{place}，"
            told = not time or time in self.event  # a deadline the event says is said there
            when = ("" if told else f"{time}，", f"{time}的" if time else "")
            return hero_a + self.event, at_place, *when
        planet = place.lower() in _PLANETS or place.lower().split()[-1] in _ON
        on = at_word(place, self.request.user_input or "", planet)  # the writer's word
        decade = re.fullmatch(r"\d{3,4}s", time or "") is not None  # "in the 1780s"
        when = (f"in {'the ' if decade else ''}{time}, ", f"{time}: ") if time else ("", "")
        return f"{hero_a} {self.event}".strip(), f"{on} {place}, ", *when

    @property
    def things(self) -> tuple[str, ...]:
        """The elements wished for that are things: one that adds someone the codex holds ("a
        lamplighter named Percy Gale") is no conflict nor rule of the world."""
        return tuple(e for e in self.facts.elements if self.held(e) == e)

    def held(self, element: str) -> str:
        """The codex's person `element` adds (their words are their card's), else `element`."""
        people = [e.name for e in Codex.from_json(self.request.codex).entries if e.kind == "person"]
        return next((name for name in people if name in element), element)

    def elements_line(self) -> str:
        elements = self.facts.elements
        return self.words.with_elements.format(elements=self.join(elements)) if elements else ""

    def join(self, items: Sequence[str]) -> str:
        """ "A、B" / "A, B and C"."""
        if self.chinese or len(items) < 2:
            return self.words.list_separator.join(items)
        return ", ".join(items[:-1]) + " and " + items[-1]


def title_case(text: str, inside: bool = False) -> str:
    """ "the drowned city" -> "The Drowned City"; "Mars" stays; `inside` a title, the writer's
    small "the" stays small ("The Edge of the Hebrides")."""
    small = {"of", "the", "a", "an", "on", "in"}
    words = text.split()
    return " ".join(
        w if w[:1].isupper() or ((i or inside) and w in small) else w.capitalize()
        for i, w in enumerate(words)
    )


@lru_cache(maxsize=256)
def _read(text: str) -> Facts:
    """The facts a text states, by its language's reader (cached: read again at every stage)."""
    return (reading_zh if HAN.search(text) else reading_en).read(text)


_CLAUSED = re.compile(r"[,;]| that | and | but | while ")
_QUESTIONS = frozenset(["who", "what", "why", "how", "where", "whether"])
