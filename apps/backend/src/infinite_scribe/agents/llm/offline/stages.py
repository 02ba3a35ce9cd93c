# ruff: noqa: RUF001 - Chinese and typographic punctuation on purpose
"""The five stages the offline generator drafts, each built from the story's parts
(agents/llm/offline/story.py) and the sentence patterns of the writer's language."""

import random
from collections.abc import Callable
from typing import Any

from infinite_scribe.agents.llm.offline.story import Story, confirmed, seeded
from infinite_scribe.agents.llm.offline.words import mood_of
from infinite_scribe.domain.codex import DEADLINE, Codex
from infinite_scribe.domain.outline_plan import BATCH
from infinite_scribe.text import named
from infinite_scribe.text.facts import cap
from shared_types.enums import GenesisStage

Draft = dict[str, Any]


class Drafter:
    """One draft of the story, in the words of its language."""

    def __init__(self, story: Story) -> None:
        self.story, self.words, self.request = story, story.words, story.request
        # What the open choices (a tone, a theme) are drawn by: not the feedback, so a revision
        # changes only what it asks for (issue 69).
        request = self.request
        key = "\x1f".join((str(request.session_id), request.stage.value, request.user_input or ""))
        self.base = seeded(key).random()
        self.drawn = 0

    def pick(self, bank: "list[str] | tuple[str, ...]") -> str:
        """The n-th open choice of the draft, drawn on its own: a tone asked for does not move
        the themes drawn after it (a revision changes only what it asks, issue 69)."""
        self.drawn += 1
        return random.Random(f"{self.base}:{self.drawn}").choice(list(bank))

    def draft(self) -> Draft:
        builders: dict[GenesisStage, Callable[[], Draft]] = {
            GenesisStage.CONCEPT_SELECTION: self.concepts,
            GenesisStage.STORY_CONCEPTION: self.story_draft,
            GenesisStage.WORLDVIEW: self.worldview,
            GenesisStage.CHARACTERS: self.characters,
            GenesisStage.PLOT_OUTLINE: self.plot,
        }
        return builders[self.request.stage]()

    def by_deadline(self, text: str) -> str:
        """`text` telling the codex's deadlines it does not say yet (issue 76: the story and the
        outline hold the writer's deadline, verbatim)."""
        codex = Codex.from_json(self.request.codex)
        for entry in codex.of_kind("time"):
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

    def premise(self) -> str:
        return cap(self.fill(self.words.premise))

    def end(self, text: str) -> str:
        done = text.endswith(("。", ".", "!", "?", "！", "？"))
        return text if done else text + ("。" if self.story.chinese else ".")

    def concepts(self) -> Draft:
        words, request = self.words, self.request
        genres: list[str | None] = [*request.theme_preferences] or [None]
        concepts = []
        for index, (title, angle) in enumerate(
            zip(words.concept_titles, words.angles, strict=True)
        ):
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
        styles = self.words.list_separator.join(self.styles())
        return {
            "title": self.title(),
            "premise": (logline if keep else self.end(self.premise()))[:1000],  # type: ignore[index]
            "synopsis": cap(self.by_deadline(self.fill(words.synopsis)))[:6000],
            "conflicts": [line[:1000] for line in conflicts[:8]],
            "themes": self.themes(),
            "writing_style": styles[:100] or None,
        }

    def worldview(self) -> Draft:
        words, story = self.words, self.story
        places = story.places
        locations = [(places[0], self.fill(words.home))]
        locations += [(place, self.fill(words.story_place)) for place in places[1:8]]
        locations += [(self.fill(name), self.fill(about)) for name, about in words.sites]
        rules = [self.fill(rule) for rule in words.rules]
        rules += [self.fill(words.element_rule, element=e) for e in story.things]
        setting = self.fill(words.setting)
        return {
            "setting": setting.strip(),
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
        """The people the writer's codex names with no role, each with the words it describes
        them with ("Rosa": "aunt"; a person a feedback added: none)."""
        people = Codex.from_json(self.request.codex).of_kind("person")
        joined = self.words.list_separator.join
        return {entry.name: joined(entry.words) for entry in people if entry.role is None}

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
            acts.append(
                {
                    "title": words.act_title.format(number=number, act=act),
                    "summary": cap(summary)[:1000],
                    "chapters": chapters,
                }
            )
        return {"acts": acts}

    def outline_entry(self, number: int) -> dict[str, str]:
        """Chapter `number` of the outline: its title and a beat of the story (the beats
        come round again in a long outline's later chapters)."""
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
