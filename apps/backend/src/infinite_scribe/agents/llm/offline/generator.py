# ruff: noqa: RUF001 - Chinese and typographic punctuation on purpose
"""The offline generator: deterministic proposals built from the writer's words, no network.
The default provider, so `make run` walks all five stages with nothing configured, and the
benchmark measures the pipeline rather than a model. Each stage is drafted (`Drafter`) from the
story (story.py) in the writer's language; what a revision changed is said in its
`revision_note`, never in the writer's text; `source = offline_draft` and the note say so."""

import asyncio
import random
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from infinite_scribe.agents.llm.language import CHINESE as ZH, writer_language
from infinite_scribe.agents.llm.offline.story import Story, confirmed, feedbacks, seeded
from infinite_scribe.agents.llm.offline.words import CHINESE, ENGLISH, Words, mood_of
from infinite_scribe.agents.llm.port import DraftCallback, GenerationRequest
from infinite_scribe.domain.codex import DEADLINE, Codex
from infinite_scribe.domain.genesis import STAGE_ORDER
from infinite_scribe.domain.language import HAN
from infinite_scribe.domain.outline_plan import BATCH, Batch, BatchBrief
from infinite_scribe.domain.proposals import Proposal, ProposalSource, proposal_model
from infinite_scribe.domain.revision_note import revision_note
from infinite_scribe.text import named, segment
from infinite_scribe.text.facts import cap
from shared_types.enums import GenesisStage


class OfflineGenerator:
    """Proposals from the request's inputs (`StreamingOffline` serves them as an `LLMProvider`)."""

    name = "offline"
    #: What provenance names as the model and its "prompt" (the generator's rules: decision 3300).
    model = "offline-generator"
    prompt_version = "offline-3300"

    async def generate(self, request: GenerationRequest) -> Proposal:
        """A valid proposal for `request.stage`, the same one every time for this request."""
        words = await _words(request)
        # Off the loop (issue 55): milliseconds, but the loop is the API's and the relay's too.
        return await offline_work(draft, request, words)

    async def outline_chapters(
        self, request: GenerationRequest, brief: BatchBrief, draft: DraftCallback | None = None
    ) -> list[dict[str, Any]]:
        """One batch of a long outline's chapters (decision 5404), off the loop, not streamed."""
        words = await _words(request)
        return await offline_work(batch_chapters, request, words, brief.batch)

    async def aclose(self) -> None:
        """Nothing to release."""


#: Offline drafts computed at once in a process (threads): the machine's cores are the API's too.
_DRAFTS = threading.BoundedSemaphore(2)
T = TypeVar("T")


async def _words(request: GenerationRequest) -> Words:
    """The words of the writer's language (a first Chinese request loads jieba: off the loop)."""
    if not segment.loaded() and HAN.search(repr(request)):
        await asyncio.to_thread(segment.warm)
    return CHINESE if writer_language(request) == ZH else ENGLISH


async def offline_work(work: Callable[..., T], *args: Any) -> T:
    """`work(*args)` in a worker thread, at most two at once in the process."""
    return await asyncio.to_thread(_bounded, work, *args)


def _bounded(work: Callable[..., T], *args: Any) -> T:
    with _DRAFTS:
        return work(*args)


def batch_chapters(request: GenerationRequest, words: Words, batch: Batch) -> list[dict[str, Any]]:
    """The chapters of `batch`, from the story the request tells (the same every time)."""
    drafter = Drafter(Story(request, words))
    return [drafter.outline_entry(n) for n in range(batch.first, batch.first + batch.count)]


def draft(request: GenerationRequest, words: Words) -> Proposal:
    """The proposal, built and validated (synchronous: no I/O once the dictionary is loaded)."""
    story = Story(request, words)
    content = Drafter(story).draft()
    feedback, lang = request.feedback, ZH if story.chinese else "en"
    wished, edits = asked(story, feedback), request.offered_edits
    # What this feedback asks alone: nothing read is said, whatever the earlier ones asked.
    heard = edits or asked(Story(replace(request, previous_proposal=None), words), feedback)
    before = request.previous_proposal
    meta = {
        "source": ProposalSource.OFFLINE_DRAFT,
        "note": words.note,
        "revision_note": revision_note(before, content, lang, feedback, wished, edits, not heard),
        "feedback_applied": [text[:1000] for text in feedbacks(request)[-20:]],
    }
    return proposal_model(request.stage).model_validate(content | meta)


def asked(story: Story, feedback: str | None) -> list[tuple[str, str]]:
    """(value, sentence) for each change read in a revision's feedback (issue 55): the note
    (domain/revision_note.py) says each made only when the diff of the versions shows it."""
    if feedback is None:
        return []
    wished, changes, said = story.wished, story.words.changes, []
    for kind in ("hero", "place", "time", "antagonist"):
        if value := getattr(wished, kind):
            value_a = f"{'an' if value[:1].lower() in 'aeiou' else 'a'} {value}"  # English only
            the = f"the {value}" if value[:1].islower() and value[:4] != "the " else value
            said.append((value, changes[kind].format(value=value, value_a=value_a, value_the=the)))
    said += [(name, changes["name"].format(value=name)) for name in (wished.hero_name,) if name]
    said += [(story.held(e), changes["elements"].format(value=e)) for e in wished.elements]
    # Who this feedback adds to the codex, however said, if no card nor change read shows them.
    known = repr((story.request.previous_proposal, said))
    new = [name for name in story.added if name in feedback and name not in known]
    said += [(name, changes["elements"].format(value=name)) for name in new]
    said += [(wish, changes["acts"].format(number=n, value=wish)) for n, wish in wished.acts]
    said += [(s, changes["styles"].format(value=s)) for s in wished.styles]
    said += [(t, changes["tone"].format(value=t)) for t in (mood_of(story.words, feedback),) if t]
    return said


Draft = dict[str, Any]


class Drafter:
    """One draft of the story, in the words of its language."""

    def __init__(self, story: Story) -> None:
        self.story, self.words, self.request = story, story.words, (request := story.request)
        # The open choices (a tone, a theme) are drawn by all but the feedback (issue 69).
        key = "\x1f".join((str(request.session_id), request.stage.value, request.user_input or ""))
        self.base, self.drawn = seeded(key).random(), 0

    def pick(self, bank: "list[str] | tuple[str, ...]") -> str:
        """The n-th open choice of the draft, drawn on its own: a tone asked for does not move
        the themes drawn after it."""
        self.drawn += 1
        return random.Random(f"{self.base}:{self.drawn}").choice(list(bank))

    def draft(self) -> Draft:
        stages = (self.concepts, self.story_draft, self.worldview, self.characters, self.plot)
        return dict(zip(STAGE_ORDER, stages, strict=False))[self.request.stage]()

    def by_deadline(self, text: str) -> str:
        """`text` telling the codex's deadlines it does not say yet, verbatim (issue 76)."""
        for entry in Codex.from_json(self.request.codex).of_kind("time"):
            if entry.role == DEADLINE and entry.name not in text:
                text += self.words.deadline_line.format(deadline=entry.name)
        return text

    def fill(self, pattern: str, **extra: str) -> str:
        return pattern.format(**self.story.slots(**extra))

    def themes(self) -> list[str]:
        """The writer's themes and one from the bank; from the story stage on, the themes of
        the concept they chose (kept unless asked, issue 69)."""
        chosen = confirmed(self.request, GenesisStage.CONCEPT_SELECTION).get("themes")
        if isinstance(chosen, list) and chosen and all(isinstance(t, str) for t in chosen):
            return [theme[:100] for theme in chosen[:8]]
        themes = [theme[:100] for theme in self.request.theme_preferences[:7]]
        bank = self.words.themes
        return [*themes, self.pick([t for t in bank if t not in themes] or bank)]

    def styles(self) -> list[str]:
        """The writer's style wishes, those of their feedback too ("第三人称", "first person")."""
        said = [*self.request.style_preferences, *self.story.facts.styles]
        return list(dict.fromkeys(style[:100] for style in said if style.strip()))

    def tone(self) -> str:
        # The tone the feedback asks for ("darker" -> brooding), the style the writer wishes.
        mood = mood_of(self.words, self.request.feedback or "")
        parts = list(dict.fromkeys([m for m in [mood] if m] + self.styles()))
        chosen = confirmed(self.request, GenesisStage.CONCEPT_SELECTION).get("tone")
        if not parts and isinstance(chosen, str) and chosen.strip():
            return chosen.strip()[:100]
        tone = self.pick(self.words.tones)
        return self.words.list_separator.join(parts)[:100] or tone

    def title(self) -> str:
        for stage in (GenesisStage.STORY_CONCEPTION, GenesisStage.CONCEPT_SELECTION):
            title = confirmed(self.request, stage).get("title")
            if isinstance(title, str) and title.strip():
                return title.strip()[:200]
        return self.words.untitled

    def premise(self, ended: bool = False) -> str:
        premise = cap(self.fill(self.words.premise))
        done = not ended or premise.endswith(("。", ".", "!", "?", "！", "？"))
        return premise if done else premise + ("。" if self.story.chinese else ".")

    def concepts(self) -> Draft:
        words, facts = self.words, self.story.facts
        genres: list[str | None] = [*self.request.theme_preferences] or [None]
        concepts = []
        titles = words.concept_titles[bool(facts.hero_name and not facts.hero)]
        patterns = zip(titles, words.angles, strict=True)
        for index, (title, angle) in enumerate(patterns):
            logline = self.premise() + self.fill(angle) + self.story.elements_line()
            concepts.append(
                {
                    "title": self.fill(title)[:200],
                    "logline": logline.strip()[:1000],
                    "themes": self.themes(),
                    "tone": self.tone(),
                    "genre": (genres[index % len(genres)] or "")[:100] or None,
                }
            )
        return {"concepts": concepts}

    def story_draft(self) -> Draft:
        words, story = self.words, self.story
        logline = confirmed(self.request, GenesisStage.CONCEPT_SELECTION).get("logline")
        keep = isinstance(logline, str) and logline.strip() and not story.wished.story_changed
        conflicts = [self.fill(line) for line in words.conflicts]
        conflicts += [self.fill(words.element_conflict, element=e) for e in story.things]
        return {
            "title": self.title(),
            "premise": (logline if keep else self.premise(ended=True))[:1000],  # type: ignore[index]
            "synopsis": cap(self.by_deadline(self.fill(words.synopsis)))[:6000],
            "conflicts": [line[:1000] for line in conflicts[:8]],
            "themes": self.themes(),
            "writing_style": words.list_separator.join(self.styles())[:100] or None,
        }

    def worldview(self) -> Draft:
        words, story = self.words, self.story
        places = story.places
        locations = [(places[0], self.fill(words.home))]
        locations += [(place, self.fill(words.story_place)) for place in places[1:8]]
        locations += [(self.fill(name), self.fill(about)) for name, about in words.sites]
        rules = [self.fill(rule) for rule in words.rules]
        rules += [self.fill(words.element_rule, element=e) for e in story.things]
        return {
            "setting": self.fill(words.setting).strip(),
            "rules": [rule[:1000] for rule in rules[:12]],
            "locations": [
                {"name": name[:200], "description": about[:1000]} for name, about in locations[:12]
            ],
            "history": self.fill(words.history),
        }

    def characters(self) -> Draft:
        words, story = self.words, self.story
        cast = story.cast()
        names = (cast.name, cast.foe_name, cast.mentor, cast.ally)
        held = named.holders(self.request.user_input or "", story.given)
        unassigned = self.unassigned()
        characters = []
        cards: list[tuple[str, ...]] = [
            *zip(names, words.roles, words.character, words.motivations, words.arcs, strict=True)
        ]
        added = [name for name in story.added if name not in names]
        cards += [(name, *words.unassigned[:2], *words.unassigned[3:5]) for name in added]
        for index, (name, role, pattern, motivation, arc) in enumerate(cards):
            extra: dict[str, str] = {}
            if index >= 2 and name in unassigned:  # no mentor nor ally the writer did not ask for
                role, pattern, said, motivation, arc, _ = words.unassigned
                extra = {"person": name, "said": said.format(said=unassigned[name])}
                extra["said"] = extra["said"] if unassigned[name] else ""
            if index == 1 and story.foe_is_machine:
                pattern = words.machine_foe
            if index == 0 and story.facts.hero_name and not story.facts.hero:
                pattern = words.hero_no_role  # not "the stranger of": no role is invented
            # Each of a card's sentences opens with a capital, a name that is an epithet too.
            description = cap(self.fill(pattern, **extra))
            if tied := [thing for thing, holder in held.items() if holder == name]:
                description += words.thing_tie.format(items=story.join(tied))
            # "Captain Hollis Wren": the name is the card's, the title stays with it.
            titled = [t for t in story.given.titled if t.endswith(" " + name)]
            description = description.replace(name, titled[0], 1) if titled else description
            characters.append(
                {
                    "name": name[:200],
                    "role": role,
                    "description": description[:1000],
                    "motivation": cap(self.fill(motivation, **extra))[:1000],
                    "arc": cap(self.fill(arc, **extra))[:1000],
                }
            )
        relationships = [cap(self.fill(line))[:1000] for line in words.relationships]
        for index, name in ((1, cast.mentor), (2, cast.ally)):
            if name in unassigned:
                relationships[index] = cap(self.fill(words.unassigned[5], person=name))[:1000]
        relationships += [cap(self.fill(words.unassigned[5], person=n))[:1000] for n in added]
        return {"characters": characters, "relationships": relationships}

    def unassigned(self) -> dict[str, str]:
        """The people the codex names with no role, with the words it describes them with."""
        people = Codex.from_json(self.request.codex).of_kind("person")
        return {e.name: self.words.list_separator.join(e.words) for e in people if e.role is None}

    def plot(self) -> Draft:
        words = self.words
        wishes = dict(self.story.facts.acts)
        shares = _shares(self.request.preferences.get("chapters"), len(words.acts))
        acts, chapter = [], 0
        for number, (act, share) in enumerate(zip(words.acts, shares, strict=False), start=1):
            chapters = []
            for i in range(share):
                chapter += 1
                wish = wishes.get(number) if i == min(1, share - 1) else None
                if wish is None:
                    chapters.append(self.outline_entry(chapter))
                    continue
                title = self.fill(words.wish_chapter_title, number=str(chapter), wish=wish)
                summary = self.fill(words.wish_beat, wish=wish)
                chapters.append({"title": title[:200], "summary": cap(summary)[:1000]})
            summary = self.fill(words.act_summaries[number - 1])
            if number in wishes:
                summary += self.fill(words.act_wish, wish=wishes[number])
            if number == len(shares):
                summary = self.by_deadline(summary)
            title = words.act_title.format(number=number, act=act)
            acts.append({"title": title, "summary": cap(summary)[:1000], "chapters": chapters})
        return {"acts": acts}

    def outline_entry(self, number: int) -> dict[str, str]:
        """Chapter `number` of the outline: its title and a beat of the story (in rounds)."""
        words = self.words
        title = words.chapter_title.format(number=number)
        summary = cap(self.fill(words.beats[(number - 1) % len(words.beats)]))
        turn = (number - 1) // len(words.beats)
        if turn:  # a later round of the beats: its own words (no two chapters alike)
            items = [*self.story.given.items, *self.story.places]
            rounds = words.rounds
            item = items[(turn - 1) // len(rounds) % len(items)]
            pattern = rounds[number % len(rounds)]  # its own in each chapter of the round
            summary = summary.rstrip("。.") + pattern.format(item=item)
        return {"title": title[:200], "summary": summary[:1000]}


def _shares(asked: Any, acts: int) -> list[int]:
    """Chapters per act: the count the writer asked for (one reply's worth; more are written
    in batches, domain/outline_plan.py), else three an act; an act has one at least."""
    fits = isinstance(asked, int) and not isinstance(asked, bool) and 0 < asked <= BATCH
    total = asked if fits else 3 * acts
    count = min(acts, total)
    return [total // count + (1 if index < total % count else 0) for index in range(count)]
